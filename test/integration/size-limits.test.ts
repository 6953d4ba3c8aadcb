import { afterEach, describe, expect, it } from 'vitest';
import { profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: size limits', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('a response over maxBodyBytes is RESPONSE_TOO_LARGE and the worker keeps serving', async () => {
    p = pool(runtime, `export default { fetch(req) { return new Response(req.url.endsWith('/big') ? 'x'.repeat(300000) : 'small') } }`, {
      maxBodyBytes: 100_000,
    });
    await expect(p.invoke({ path: '/big' })).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    expect((await p.invoke({ path: '/' })).text()).toBe('small');
  });

  it('an endless response stream stops at maxBodyBytes with RESPONSE_TOO_LARGE, not at maxMemory; a bounded one arrives whole', async () => {
    // Built directly, cloned, and through a subclass of Response: every way a stream body reaches the worker.
    p = pool(
      runtime,
      `const chunk = new Uint8Array(16384).fill(120);
      const stream = (n) => new ReadableStream({ pull(c) { if (n-- > 0) c.enqueue(chunk); else c.close(); } });
      class Tagged extends Response {}
      export default { fetch(req) {
        const path = new URL(req.url).pathname;
        const n = path.endsWith('/bounded') ? 10 : Infinity;
        if (path.startsWith('/clone')) return new Response(stream(n)).clone();
        if (path.startsWith('/subclass')) return new Tagged(stream(n));
        return new Response(stream(n));
      } }`,
      { maxBodyBytes: 1_000_000, minWorkers: 1, maxWorkers: 1 },
    );
    for (const how of ['', '/clone', '/subclass']) {
      const error = await p.invoke({ path: `${how}/endless` }).catch((e: unknown) => e);
      expect(error, how).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
      expect((error as Error).message).toMatch(/1000000/);
      const res = await p.invoke({ path: `${how}/bounded` });
      expect(res.body?.byteLength ?? res.text().length, how).toBe(10 * 16384);
    }
    expect(p.stats().workersStarted, 'the worker kept serving').toBe(1);
  });

  it('logs beyond maxLogBytes are cut with a truncation marker', async () => {
    p = pool(runtime, `export default { fetch() { for (let i = 0; i < 2000; i++) console.log('line ' + i + ' ' + 'y'.repeat(100)); return new Response('ok') } }`, {
      maxLogBytes: 10_000,
    });
    const res = await p.invoke({ path: '/' });
    expect(res.text()).toBe('ok');
    const total = res.logs.reduce((n, l) => n + l.message.length, 0);
    expect(total).toBeLessThan(12_000);
    expect(res.logs.at(-1)?.message).toMatch(/truncated/);
    expect(res.logs[0]?.message).toMatch(/^line 0 /);
  });

  it('a handler that logs 160 MiB before it returns (under a 64 MiB maxMemory) is answered, its logs cut, its worker kept', async () => {
    // The worker holds back output to write it in one go: the held part must stay small.
    p = pool(runtime, `const line = 'z'.repeat(1 << 20);
      export default { fetch() { for (let i = 0; i < 160; i++) console.log(line); return new Response('done') } }`, {
      capabilities: { ...profiles.strict('test-project'), maxMemory: 64 * 2 ** 20 },
      // Lines are cut to maxLogBytes in the worker: 1 MiB each, 160 MiB in all.
      maxLogBytes: 1 << 20,
      minWorkers: 1,
      maxWorkers: 1,
      timeoutMs: 60_000,
    });
    const res = await p.invoke({ path: '/' });
    expect(res.text()).toBe('done');
    expect(res.logs.at(-1)?.message).toMatch(/truncated/);
    expect((await p.invoke({ path: '/' })).text()).toBe('done');
    expect(p.stats().workersStarted, 'the worker kept serving').toBe(1);
  }, 90_000);
});
