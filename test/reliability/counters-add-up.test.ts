import { describe, expect, it } from 'vitest';
import { RUNTIMES, outcome, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: stats().invocations', (runtime) => {
  it('counts every settled call once: answers, handler errors, QUEUE_FULL, bad requests, pre-aborted calls, POOL_CLOSED', async () => {
    const p = pool(
      runtime,
      `export default { async fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === '/throw') throw new Error('no');
        await new Promise((r) => setTimeout(r, 50));
        return new Response(path);
      } }`,
      { maxWorkers: 1, maxQueue: 3 },
    );
    const calls = [
      outcome(p.invoke({ path: '/a' })),
      outcome(p.invoke({ path: '/throw' })),
      outcome(p.invoke({ path: '/b' })),
      outcome(p.invoke({ path: '/full' })),
      outcome(p.invoke({ method: 'BAD METHOD', path: '/' })),
      outcome(p.invoke({ path: '/' }, { signal: AbortSignal.abort() })),
    ];
    const seen = await Promise.all(calls);
    await p.close();
    seen.push(await outcome(p.invoke({ path: '/late' })));
    expect(seen).toEqual(['/a', 'HANDLER_ERROR', '/b', 'QUEUE_FULL', 'INVALID_REQUEST', 'ABORTED', 'POOL_CLOSED']);
    const { total, succeeded, failed, byCode } = p.stats().invocations;
    expect({ total, succeeded, failed }).toEqual({ total: 7, succeeded: 2, failed: 5 });
    expect(byCode).toEqual({ HANDLER_ERROR: 1, QUEUE_FULL: 1, INVALID_REQUEST: 1, ABORTED: 1, POOL_CLOSED: 1 });
  });
});
