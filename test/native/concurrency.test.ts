import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: several invocations in flight', () => {
  it('attributes logs written after awaits to their own invocation', async () => {
    w = await ready(`
      export default async (req) => {
        const n = new URL(req.url).searchParams.get('n');
        await new Promise((r) => setTimeout(r, 10 + (n % 3)));
        console.log('after wait ' + n);
        await null;
        console.log('again ' + n);
        return new Response(n);
      }`);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => w!.invoke({ url: `http://localhost/?n=${i}` })));
    results.forEach((res, i) => {
      expect(bodyText(res)).toBe(String(i));
      expect(w!.messagesFor(res.id, 'log').map((l) => l.payload['message'])).toEqual([`after wait ${i}`, `again ${i}`]);
    });
  });

  it('fires the AbortSignal on cancel and still answers the invocation', async () => {
    w = await ready(`
      export default async (req) => {
        const reason = await new Promise((r) => req.signal.addEventListener('abort', () => r(req.signal.reason.name)));
        return new Response('cancelled: ' + reason);
      }`);
    const pending = w.invoke();
    await new Promise((r) => setTimeout(r, 20));
    w.send({ id: 1, type: 'cancel', payload: {} });
    expect(bodyText(await pending)).toBe('cancelled: AbortError');
  });

  it('charges each invocation only for its own CPU time', async () => {
    w = await ready(`
      const work = () => { let x = 0; for (let i = 0; i < 3e6; i++) x = (x + i * 7) % 1000003; return x };
      export default async (req) => {
        if (req.method === 'POST') { work(); await new Promise((r) => setTimeout(r, 5)); work(); return new Response('busy') }
        await new Promise((r) => setTimeout(r, 200));
        return new Response('idle');
      }`);
    const idle = w.invoke({ cpuMs: 0 });
    await new Promise((r) => setTimeout(r, 20));
    const busy = await w.invoke({ method: 'POST', body: 'x', cpuMs: 0 });
    const quiet = await idle;
    expect(bodyText(busy)).toBe('busy');
    expect(bodyText(quiet)).toBe('idle');
    // The idle invocation was in flight the whole time the busy one computed.
    expect(quiet.payload['cpuMs']).toBeLessThan(busy.payload['cpuMs'] / 4);
  });

  it('charges each of a batch answered in one turn of the loop for its own CPU time', async () => {
    // Sent together, the later lines wait behind the first busy call and are read (and answered) in one turn,
    // where the worker reuses one answer's CPU reading as the next invocation's start.
    w = await ready(`
      const work = () => { let x = 0; for (let i = 0; i < 3e5; i++) x = (x + i * 7) % 1000003; return x };
      export default (req) => new Response(String(req.method === 'POST' ? work() : 0));`);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? w!.invoke({ method: 'POST', body: 'x', cpuMs: 0 }) : w!.invoke({ cpuMs: 0 }))),
    );
    const busy = results.filter((_, i) => i % 2 === 0).map((r) => r.payload['cpuMs'] as number);
    const quick = results.filter((_, i) => i % 2 === 1).map((r) => r.payload['cpuMs'] as number);
    for (const ms of quick) expect(ms).toBeLessThan(Math.min(...busy) / 4);
    for (const r of results) expect(r.payload['peakMemoryBytes']).toBeGreaterThan(0);
  });
});
