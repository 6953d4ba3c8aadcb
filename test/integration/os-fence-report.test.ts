import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { PROCESS_RUNTIMES, pool } from '../helpers.js';

const HELLO = `export default { fetch() { return new Response('ok') } }`;

describe.each(PROCESS_RUNTIMES)('%s: the OS fence is reported', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('every layer is on for a strict profile, in ready and in stats()', async () => {
    p = pool(runtime, HELLO, { requireOsSandbox: true });
    const starts: Record<string, unknown>[] = [];
    p.on('workerstart', (e) => starts.push(e.info.sandbox));
    await p.invoke({ path: '/' });
    const sandbox = p.stats().sandbox;
    expect(sandbox).toMatchObject({ landlock: 'on', seccomp: 'on', rlimits: 'on', noNewPrivs: 'on', netns: 'on' });
    expect(sandbox['landlockAbi']).toBeGreaterThanOrEqual(1);
    expect(starts).toEqual([sandbox]);
  });

  it('no private network namespace is needed when the profile allows network (fetch still goes through the host)', async () => {
    p = pool(runtime, HELLO, {
      capabilities: { projectId: 'n', allowNetwork: true, allowedDomains: ['api.example.com'] },
    });
    await p.invoke({ path: '/' });
    expect(p.stats().sandbox).toMatchObject({ netns: 'off', seccomp: 'on', landlock: 'on' });
  });

  it('osSandbox: false runs without the fence and says so', async () => {
    p = pool(runtime, HELLO, { osSandbox: false });
    await p.invoke({ path: '/' });
    expect(p.stats().sandbox['landlock'] ?? 'off').toBe('off');
  });
});
