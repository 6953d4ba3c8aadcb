import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHandler, createPool, profiles } from 'bunbase-functions';

const project = mkdtempSync(join(tmpdir(), 'bunbase-cache-'));
const cacheDir = join(project, 'cache');
const entry = join(project, 'handler.ts');
mkdirSync(join(project, 'lib'));
writeFileSync(entry, "import { value } from './lib/value';\nexport default { fetch: (): Response => new Response(value) };\n");
writeFileSync(join(project, 'lib/value.ts'), "export const value: string = 'first';\n");
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** buildHandler in a fresh Node process: only the disk cache can help it. */
function buildElsewhere(): { from: string; code: string } {
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const script = `import { buildHandler } from ${JSON.stringify(dist)};
    const b = await buildHandler(${JSON.stringify(entry)}, { runtime: 'quickjs-ng', cacheDir: ${JSON.stringify(cacheDir)} });
    process.stdout.write(JSON.stringify({ from: b.from, code: b.code }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
    from: string;
    code: string;
  };
}

describe('a source.entry bundle is built once', () => {
  it('is cached in memory and on disk, keyed by the content of every input', async () => {
    const first = await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir });
    expect(first.from).toBe('build');
    expect(first.inputs.sort()).toEqual([entry, join(project, 'lib/value.ts')].sort());
    expect((await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir })).from).toBe('memory');
    const elsewhere = buildElsewhere();
    expect(elsewhere).toEqual({ from: 'disk', code: first.code });

    // Touched but unchanged: still the same bundle.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(project, 'lib/value.ts'), later, later);
    expect((await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir })).from).toBe('memory');

    // A changed import, even one the entry only reaches indirectly, is a new build.
    writeFileSync(join(project, 'lib/value.ts'), "export const value: string = 'second';\n");
    expect((await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir })).from).toBe('build');
    expect(buildElsewhere().from).toBe('disk');
    const pool = createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('ts'), source: { entry, cacheDir } });
    try {
      expect((await pool.invoke({ path: '/' })).text()).toBe('second');
    } finally {
      await pool.close();
    }
  });

  it('the Bun bundle is a separate entry (other conditions and target)', async () => {
    expect((await buildHandler(entry, { runtime: 'bun', cacheDir })).from).toBe('build');
    expect((await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir })).from).toBe('memory');
  });

  it('a build error reaches pool.ready() and every invocation, with file:line:column', async () => {
    const broken = join(project, 'broken.ts');
    writeFileSync(broken, "export default {\n  fetch(): Response { return new Response('x' }\n};\n");
    const pool = createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('ts'), source: { entry: broken, cacheDir } });
    try {
      const error = await pool.ready().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringMatching(/broken\.ts:2:\d+: Expected/) });
      // The same failure; each invocation gets its own copy, carrying its invocationId.
      await expect(pool.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: (error as Error).message, cause: error });
      expect(pool.stats().workersStarted).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('an entry that does not exist is refused by createPool itself', () => {
    expect(() =>
      createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('ts'), source: { entry: join(project, 'missing.ts') } }),
    ).toThrow(expect.objectContaining({ code: 'BUNDLE_LOAD_ERROR' }));
  });
});
