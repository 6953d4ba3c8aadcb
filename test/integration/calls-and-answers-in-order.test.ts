import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * On quickjs-wasm threads, calls and answers may skip the MessagePort
 * (workers/wasm/fast-lane.ts) while logs, host calls and everything else
 * take it: whatever way each went, every answer must carry its own logs and
 * body, sent before it. Run with the spin on (the lane polled), off (every
 * message rung through the port) and long, on every runtime alike.
 */
const HANDLER = `export default { async fetch(req) {
  const n = Number(new URL(req.url).searchParams.get('n'));
  console.log('first ' + n);
  if (n % 2) await new Promise((r) => setTimeout(r, n % 3));
  const body = new Uint8Array(await req.arrayBuffer());
  for (let i = 0; i < n % 4; i++) console.log('extra ' + n + ' ' + i);
  console.log('last ' + n + ' ✓');
  if (n % 9 === 8) throw new Error('failed ' + n);
  return new Response(body, { status: 200 + (n % 3), statusText: 'S' + n, headers: { 'x-n': String(n) } });
} }`;

/** A body of its own size and bytes for call `n`: some well under the lane's 32 KB mailbox, some over it. */
function bodyOf(n: number): Uint8Array {
  const size = n % 5 === 0 ? 0 : (n * 7919) % 150_000;
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + n) % 256);
}

describe.each(RUNTIMES)('%s: calls and answers keep their logs and bodies, whichever way they cross', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  for (const spinWaitUs of [200, 0, 5000]) {
    it(`spinWaitUs ${spinWaitUs}: one at a time, then 4 at once on one worker`, async () => {
      p = pool(runtime, HANDLER, { maxWorkers: 1, concurrency: 4, spinWaitUs, maxBodyBytes: 1_000_000 });
      const check = async (n: number) => {
        const body = bodyOf(n);
        const extra = Array.from({ length: n % 4 }, (_, i) => `extra ${n} ${i}`);
        const logs = [`first ${n}`, ...extra, `last ${n} ✓`];
        const call = p!.invoke({ method: 'POST', path: `/?n=${n}`, body });
        if (n % 9 === 8) {
          const error = await call.then(() => undefined, (e: unknown) => e as { code: string; message: string; logs: { message: string }[] });
          expect(error, `call ${n}`).toMatchObject({ code: 'HANDLER_ERROR' });
          expect(error!.message).toContain(`failed ${n}`);
          expect(error!.logs.map((l) => l.message), `call ${n}`).toEqual(logs);
          return;
        }
        const res = await call;
        expect(res.logs.map((l) => l.message), `call ${n}`).toEqual(logs);
        expect(res.status).toBe(200 + (n % 3));
        expect(res.statusText).toBe(`S${n}`);
        expect(res.headers['x-n']).toBe(String(n));
        expect(Buffer.compare(Buffer.from(res.body), Buffer.from(body)), `body of call ${n}`).toBe(0);
      };
      for (let n = 0; n < 40; n++) await check(n);
      // After a pause longer than any spin: the sandbox and the host have stopped polling.
      await new Promise((r) => setTimeout(r, 30));
      await check(40);
      await Promise.all(Array.from({ length: 80 }, (_, i) => check(41 + i)));
      expect(p.stats().workersStarted).toBe(1);
    });
  }
});
