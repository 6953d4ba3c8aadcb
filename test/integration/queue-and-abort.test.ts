import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

const SLOW = `export default { async fetch(req) { await new Promise((r) => setTimeout(r, Number(new URL(req.url).searchParams.get('ms') ?? 200))); return new Response('done') } }`;

describe.each(RUNTIMES)('%s: queue, backpressure and cancellation', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('rejects with QUEUE_FULL beyond maxQueue, and serves what it accepted', async () => {
    p = pool(runtime, SLOW, { maxWorkers: 1, maxQueue: 2 });
    const accepted = [p.invoke({ path: '/' }), p.invoke({ path: '/' })];
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    expect((await Promise.all(accepted)).map((r) => r.text())).toEqual(['done', 'done']);
    expect(p.stats().invocations.byCode.QUEUE_FULL).toBe(1);
  });

  it('an AbortSignal drops a queued invocation and cancels a running one', async () => {
    p = pool(runtime, SLOW, { maxWorkers: 1 });
    const running = new AbortController();
    const queued = new AbortController();
    const first = p.invoke({ path: '/?ms=300' }, { signal: running.signal });
    const second = p.invoke({ path: '/?ms=1' }, { signal: queued.signal });
    queued.abort();
    await expect(second).rejects.toMatchObject({ code: 'ABORTED' });
    await new Promise((r) => setTimeout(r, 50));
    running.abort();
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    // The worker is still usable once the cancelled handler is done.
    expect((await p.invoke({ path: '/?ms=1' })).text()).toBe('done');
  });

  it('an already-aborted signal never starts the invocation', async () => {
    p = pool(runtime, SLOW);
    await expect(p.invoke({ path: '/' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(p.stats().workers.total).toBe(0);
  });

  it('bad requests are INVALID_REQUEST and oversized bodies BODY_TOO_LARGE, before reaching a worker', async () => {
    p = pool(runtime, SLOW, { maxBodyBytes: 1024 });
    await expect(p.invoke({ method: 'GE T', path: '/' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(p.invoke({ path: '/', headers: { 'x-bad': 'a\r\nb' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(p.invoke({ method: 'POST', path: '/', body: 'x'.repeat(2048) })).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(p.stats().workers.total).toBe(0);
  });
});
