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
});
