import { describe, expect, it } from 'vitest';
import { RUNTIMES, alive, childPids, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: close()', (runtime) => {
  it('drains running and queued work, then stops every worker; later calls get POOL_CLOSED', async () => {
    const p = pool(runtime, `export default { async fetch(req) { await new Promise((r) => setTimeout(r, 100)); return new Response(new URL(req.url).pathname) } }`, {
      maxWorkers: 2,
      // What is tested is the drain, not its bound: room for a slow first start (quickjs-wasm's first thread on a loaded machine).
      shutdownTimeoutMs: 20_000,
    });
    const running = Array.from({ length: 5 }, (_, i) => p.invoke({ path: `/${i}` }));
    await new Promise((r) => setTimeout(r, 30));
    const pids = p.stats().pids;
    const closing = p.close();
    await expect(p.invoke({ path: '/late' })).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    const results = await Promise.all(running);
    expect(results.map((r) => r.text())).toEqual(['/0', '/1', '/2', '/3', '/4']);
    await closing;
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(childPids().filter((pid) => pids.includes(pid))).toEqual([]);
    expect(p.stats().workers.total).toBe(0);
  });
});
