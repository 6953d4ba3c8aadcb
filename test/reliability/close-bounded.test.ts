import { describe, expect, it } from 'vitest';
import { RUNTIMES, alive, outcome, pool, watchdog } from '../helpers.js';

const HANDLER = `export default { async fetch(req) {
  if (new URL(req.url).pathname === '/hang') await new Promise(() => {});
  return new Response('ok');
} }`;

describe.each(RUNTIMES)('%s: close() is bounded', (runtime) => {
  it('with a hung and a queued invocation, close() gives up after shutdownTimeoutMs: both get POOL_CLOSED, the worker is killed', async () => {
    const p = pool(runtime, HANDLER, { maxWorkers: 1, timeoutMs: 60_000, shutdownTimeoutMs: 300 });
    await p.ready();
    const [pid] = p.stats().pids;
    const hung = outcome(p.invoke({ path: '/hang' }));
    const queued = outcome(p.invoke({ path: '/queued' }));
    // Far below timeoutMs: close() must not wait for the deadline.
    await watchdog(p.close(), 20_000, 'close()');
    expect(await hung).toBe('POOL_CLOSED');
    expect(await queued).toBe('POOL_CLOSED');
    expect(alive(pid as number)).toBe(false);
    expect(p.stats().invocations).toMatchObject({ total: 2, failed: 2, byCode: { POOL_CLOSED: 2 } });
  });

  it('destroy() and close({ force: true }) stop at once; a graceful close() still drains what finishes in time', async () => {
    const a = pool(runtime, HANDLER, { maxWorkers: 1, shutdownTimeoutMs: 60_000 });
    await a.ready();
    const hung = outcome(a.invoke({ path: '/hang' }));
    const closing = a.close();
    await new Promise((r) => setTimeout(r, 50));
    await watchdog(a.close({ force: true }), 20_000, 'close({ force: true }) during a graceful close');
    await watchdog(closing, 20_000, 'the graceful close');
    expect(await hung).toBe('POOL_CLOSED');

    const b = pool(runtime, HANDLER, { maxWorkers: 1, shutdownTimeoutMs: 60_000 });
    await b.ready();
    const [pid] = b.stats().pids;
    const calls = [outcome(b.invoke({ path: '/hang' })), outcome(b.invoke({ path: '/' }))];
    await watchdog(b.destroy(), 20_000, 'destroy()');
    expect(await Promise.all(calls)).toEqual(['POOL_CLOSED', 'POOL_CLOSED']);
    expect(alive(pid as number)).toBe(false);
  });

  it('await using closes the pool at the end of the scope', async () => {
    let pid: number | undefined;
    {
      await using p = pool(runtime, HANDLER, { maxWorkers: 1 });
      expect((await p.invoke({ path: '/' })).text()).toBe('ok');
      pid = p.stats().pids[0];
    }
    expect(alive(pid as number)).toBe(false);
  });
});
