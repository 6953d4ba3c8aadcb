import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHandler, createPool, profiles } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

const project = mkdtempSync(join(tmpdir(), 'bunbase-close-build-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe.each(RUNTIMES)('%s: a pool whose entry is still being built', (runtime) => {
  it('queues invocations until the build is done, then serves them', async () => {
    const entry = join(project, `queued-${runtime}.ts`);
    writeFileSync(entry, "export default { fetch: (): Response => new Response('built') };\n");
    const pool = createPool({ runtime, capabilities: profiles.strict('ts'), source: { entry, cacheDir: false } });
    try {
      expect(pool.stats().workers.total).toBe(0);
      const answers = await Promise.all([pool.invoke({ path: '/a' }), pool.invoke({ path: '/b' })]);
      expect(answers.map((r) => r.text())).toEqual(['built', 'built']);
    } finally {
      await pool.close();
    }
  });

  it('close() during the build resolves, and no worker is started afterwards', async () => {
    const entry = join(project, `closed-${runtime}.ts`);
    writeFileSync(entry, "export default { fetch: (): Response => new Response('never') };\n");
    const pool = createPool({ runtime, capabilities: profiles.strict('ts'), source: { entry, cacheDir: false }, minWorkers: 1 });
    const errors: unknown[] = [];
    pool.on('error', (e) => errors.push(e));
    await pool.close();
    // Joins the pool's build (one build per entry at a time), so it is over when this resolves.
    await buildHandler(entry, { runtime, cacheDir: false });
    await new Promise((r) => setImmediate(r));
    expect(pool.stats().workersStarted).toBe(0);
    expect(pool.stats().workers.total).toBe(0);
    expect(errors).toEqual([]);
  });
});
