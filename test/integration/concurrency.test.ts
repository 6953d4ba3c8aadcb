import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: concurrency', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('200 concurrent invocations on 2 workers each get their own response', async () => {
    p = pool(
      runtime,
      `export default { async fetch(req) {
        const n = new URL(req.url).searchParams.get('n');
        await new Promise((r) => setTimeout(r, Number(n) % 3));
        console.log('log of ' + n);
        return new Response(JSON.stringify({ n, body: await req.text() }));
      } }`,
      { maxWorkers: 2 },
    );
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => p!.invoke({ method: 'POST', path: `/?n=${i}`, body: `body-${i}` })),
    );
    results.forEach((res, i) => {
      expect(res.json()).toEqual({ n: String(i), body: `body-${i}` });
      expect(res.logs.map((l) => l.message)).toEqual([`log of ${i}`]);
    });
    const stats = p.stats();
    expect(stats.workersStarted).toBe(2);
    expect(stats.invocations.succeeded).toBe(200);
  });

  it('runs several invocations per worker when concurrency > 1, logs still attributed', async () => {
    p = pool(
      runtime,
      `export default { async fetch(req) {
        const n = new URL(req.url).searchParams.get('n');
        await new Promise((r) => setTimeout(r, 20));
        console.log('after wait ' + n);
        return new Response(n);
      } }`,
      { maxWorkers: 1, concurrency: 8 },
    );
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => p!.invoke({ path: `/?n=${i}` })));
    results.forEach((res, i) => {
      expect(res.text()).toBe(String(i));
      expect(res.logs.map((l) => l.message)).toEqual([`after wait ${i}`]);
    });
    expect(p.stats().workersStarted).toBe(1);
  });

  it('answers and errors that settle together on one worker each reach their own caller', async () => {
    p = pool(
      runtime,
      `export default { async fetch(req) {
        const n = Number(new URL(req.url).searchParams.get('n'));
        console.log('n ' + n);
        if (n % 4 === 3) throw new Error('boom ' + n);
        return new Response(String(n));
      } }`,
      { maxWorkers: 1, concurrency: 16 },
    );
    const results = await Promise.allSettled(Array.from({ length: 64 }, (_, i) => p!.invoke({ path: `/?n=${i}` })));
    results.forEach((result, i) => {
      if (i % 4 === 3) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason as { code: string; message: string; logs: { message: string }[] };
        expect(error.code).toBe('HANDLER_ERROR');
        expect(error.message).toContain(`boom ${i}`);
        expect(error.logs.map((l) => l.message)).toEqual([`n ${i}`]);
      } else {
        expect(result.status).toBe('fulfilled');
        const res = (result as PromiseFulfilledResult<Awaited<ReturnType<Pool['invoke']>>>).value;
        expect(res.text()).toBe(String(i));
        expect(res.logs.map((l) => l.message)).toEqual([`n ${i}`]);
      }
    });
    expect(p.stats().workersStarted).toBe(1);
  });
});
