import { afterEach, describe, expect, it } from 'vitest';
import { bodyBytes, bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

const SANITIZED = process.env['BUNBASE_QJS_WORKER'] !== undefined;

describe('native worker: large bodies', () => {
  it('echoes a 16 MB body byte for byte, holding it only a few times over', async () => {
    w = new NativeWorker();
    const r = await w.init(`export default async (req) => new Response(await req.bytes())`, {}, { limits: { maxBodyBytes: 32 * 1024 * 1024, maxLogBytes: 4096 } });
    expect(r.type).toBe('ready');
    const body = new Uint8Array(16 * 1024 * 1024).map((_, i) => (i * 31) & 255);
    const res = await w.invoke({ method: 'POST', body });
    expect(Buffer.compare(bodyBytes(res), body)).toBe(0);
    // The line, the bytes, the response's copy and its base64 form; never a
    // base64 JS string, never the line and the handler's copies at once.
    if (!SANITIZED) expect(res.payload['peakMemoryBytes']).toBeLessThan(72 * 1024 * 1024);
  });

  it('delivers a large host-call result body as bytes', async () => {
    w = await ready(`export default async () => { const r = await fetch('https://example.test/big'); const b = await r.bytes(); return new Response(b.length + ':' + b[0] + ':' + b[b.length - 1]) }`, { allowNetwork: true });
    w.onCall = () => ({ ok: true, value: { status: 200, statusText: 'OK', url: 'https://example.test/big', redirected: false, headers: [], body: Buffer.alloc(1024 * 1024, 7).toString('base64') } });
    expect(bodyText(await w.invoke())).toBe(`${1024 * 1024}:7:7`);
  });

  it('still refuses a large body that is not base64', async () => {
    w = await ready(`export default () => new Response('ok')`);
    w.send({ id: 3, type: 'invoke', payload: { method: 'POST', url: 'http://localhost/', headers: [], body: '*'.repeat(100_000), cpuMs: 0, timeoutMs: 0 } });
    const m = await w.waitFor((x) => x.id === 3);
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', message: 'the request body is not valid base64' });
  });

  it('keeps lines whole when large answers and logs overlap', async () => {
    w = new NativeWorker();
    const r = await w.init(
      `export default async (req) => { const n = Number(new URL(req.url).searchParams.get('n')); console.log('start ' + n); await null; const b = new Uint8Array((2 + n) * 1024 * 1024).fill(n); setTimeout(() => console.log('later ' + n), 0); return new Response(b) }`,
      {},
      { limits: { maxBodyBytes: 32 * 1024 * 1024, maxLogBytes: 4096 } },
    );
    expect(r.type).toBe('ready');
    const answers = await Promise.all([0, 1, 2].map((n) => w!.invoke({ url: `http://localhost/?n=${n}` })));
    answers.forEach((res, n) => {
      const bytes = bodyBytes(res);
      expect(bytes.length).toBe((2 + n) * 1024 * 1024);
      expect(bytes.every((x) => x === n)).toBe(true);
    });
    await w.waitFor((m) => m.type === 'log' && m.payload['message'] === 'later 2');
  });
});
