import { afterEach, describe, expect, it } from 'vitest';
import { bodyBytes, bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: binary bodies', () => {
  it('round-trips every byte value through request and response bodies', async () => {
    w = await ready(`
      export default async (req) => {
        const bytes = await req.bytes();
        const out = new Uint8Array(bytes.length);
        for (let i = 0; i < bytes.length; i++) out[i] = bytes[bytes.length - 1 - i];
        return new Response(out, { headers: { 'content-type': 'application/octet-stream', 'x-len': String(bytes.length) } });
      }`);
    const input = new Uint8Array(256 * 3 + 1).map((_, i) => (i * 7) & 255);
    const res = await w.invoke({ method: 'POST', body: input });
    expect(res.type).toBe('response');
    expect(Array.from(bodyBytes(res))).toEqual(Array.from(input).reverse());
    expect(res.payload['headers']).toEqual([
      ['content-type', 'application/octet-stream'],
      ['x-len', String(input.length)],
    ]);
  });

  it('sends null for a response without a body', async () => {
    w = await ready(`export default () => new Response(null, { status: 204 })`);
    const res = await w.invoke();
    expect(res.payload).toMatchObject({ status: 204, body: null });
  });

  it('does not count the base64 form of a request body against maxMemory', async () => {
    w = await ready(`export default async (req) => new Response(String((await req.bytes()).length))`, { maxMemory: 16 * 1024 * 1024 });
    const res = await w.invoke({ method: 'POST', body: new Uint8Array(5 * 1024 * 1024).fill(97) });
    expect(bodyText(res)).toBe(String(5 * 1024 * 1024));
  });

  it('answers RESPONSE_TOO_LARGE past limits.maxBodyBytes and keeps serving', async () => {
    w = await ready(`export default (req) => new Response(new Uint8Array(req.method === 'POST' ? 2 * 1024 * 1024 : 3))`);
    const big = await w.invoke({ method: 'POST', body: 'x' });
    expect(big.payload).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    expect(big.payload['message']).toMatch(/maxBodyBytes/);
    expect(bodyBytes(await w.invoke())).toHaveLength(3);
  });
});
