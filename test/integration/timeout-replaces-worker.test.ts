import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, alive, pool, waitFor } from '../helpers.js';

describe.each(RUNTIMES)('%s: deadlines', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('an infinite loop ends in TIMEOUT, its process is killed and a new worker serves the next call', async () => {
    p = pool(runtime, `export default { fetch(req) { if (req.url.endsWith('/spin')) { for (;;) {} } return new Response('alive') } }`, {
      minWorkers: 1,
    });
    await p.ready();
    const exits: number[] = [];
    p.on('workerexit', (e) => exits.push(e.workerId));
    // quickjs-wasm workers are not processes: their replacement shows in the worker ids.
    const [firstPid] = p.stats().pids;
    if (runtime !== 'quickjs-wasm') expect(firstPid).toBeDefined();
    const error = await p.invoke({ path: '/spin' }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    await waitFor(() => exits.length === 1 && (firstPid === undefined || !alive(firstPid)));
    // Its own deadline: on a loaded machine the replacement may take longer than 300 ms to start.
    const res = await p.invoke({ path: '/' }, { timeoutMs: 20_000 });
    expect(res.text()).toBe('alive');
    expect(res.metrics.workerId).not.toBe(exits[0]);
    if (firstPid !== undefined) expect(p.stats().pids).not.toContain(firstPid);
  });

  it('the deadline covers awaited work', async () => {
    p = pool(runtime, `export default { async fetch() { await new Promise((r) => setTimeout(r, 60_000)); return new Response('late') } }`, {
      timeoutMs: 200,
    });
    const started = Date.now();
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a per-call timeoutMs overrides the pool default', async () => {
    p = pool(runtime, `export default { async fetch() { await new Promise((r) => setTimeout(r, 400)); return new Response('done') } }`, {
      timeoutMs: 100,
    });
    expect((await p.invoke({ path: '/' }, { timeoutMs: 5000 })).text()).toBe('done');
  });
});
