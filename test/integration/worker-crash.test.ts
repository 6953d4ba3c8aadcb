import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { profiles } from 'bunbase-functions';
import { RUNTIMES, alive, pool, waitFor } from '../helpers.js';

const EXIT_HANDLER: Record<string, string> = {
  bun: `export default { fetch(req) { if (req.url.endsWith('/die')) process.exit(3); return new Response('ok') } }`,
  // QuickJS-NG has no process object; a memory bomb with a tiny limit makes the worker exit instead.
  'quickjs-ng': `export default { fetch(req) { if (req.url.endsWith('/die')) { const a = []; for (;;) a.push(new Array(1e5).fill(1)); } return new Response('ok') } }`,
  // Typed arrays: filling plain arrays to the limit takes the WebAssembly engine many seconds.
  'quickjs-wasm': `export default { fetch(req) { if (req.url.endsWith('/die')) { const a = []; for (;;) a.push(new Float64Array(1 << 17)); } return new Response('ok') } }`,
};

describe.each(RUNTIMES)('%s: a crashing worker', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('fails only its own invocation, and the pool respawns to its minimum', async () => {
    // The memory bomb reaches a small limit sooner (the WebAssembly engine allocates slowly).
    const capabilities = runtime === 'quickjs-wasm' ? profiles.custom('test-project', { maxMemory: 32 * 1024 * 1024 }) : profiles.strict('test-project');
    p = pool(runtime, EXIT_HANDLER[runtime] as string, { minWorkers: 2, maxWorkers: 2, capabilities });
    await p.ready();
    const pids = p.stats().pids;
    // quickjs-wasm workers are runtimes inside the host's threads: no pids to follow.
    expect(pids).toHaveLength(runtime === 'quickjs-wasm' ? 0 : 2);
    const exits: number[] = [];
    p.on('workerexit', (e) => exits.push(e.workerId));
    const error = await p.invoke({ path: '/die' }).catch((e: unknown) => e);
    expect((error as { code: string }).code).toMatch(runtime === 'bun' ? /^WORKER_CRASHED$/ : /^(MEMORY_LIMIT|WORKER_CRASHED)$/);
    await waitFor(() => p?.stats().workers.ready === 2 && exits.length === 1);
    const survivors = p.stats().pids;
    if (runtime !== 'quickjs-wasm') {
      expect(survivors.filter((pid) => pids.includes(pid))).toHaveLength(1);
      const dead = pids.find((pid) => !survivors.includes(pid)) as number;
      expect(alive(dead)).toBe(false);
    }
    const results = await Promise.all([p.invoke({ path: '/' }), p.invoke({ path: '/' })]);
    expect(results.map((r) => r.text())).toEqual(['ok', 'ok']);
    // The first growth of a WebAssembly thread's memory to the limit takes seconds on a loaded machine.
  }, 90_000);
});
