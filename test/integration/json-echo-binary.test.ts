import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

const ECHO = `export default {
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === '/binary') {
      const bytes = new Uint8Array(await req.arrayBuffer());
      const out = new Uint8Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = 255 - bytes[i];
      return new Response(out, { headers: { 'content-type': 'application/octet-stream' } });
    }
    const body = await req.json();
    return Response.json({ body, query: url.searchParams.get('x') }, { headers: { 'x-echo': req.headers.get('x-unicode'), 'x-latin1': req.headers.get('x-latin1') } });
  }
}`;

describe.each(RUNTIMES)('%s: JSON echo and binary bodies', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, ECHO);
  });
  afterAll(async () => p.close());

  it('echoes JSON with the query string and unicode headers', async () => {
    const res = await p.invoke({
      method: 'POST',
      path: '/users?x=1',
      headers: { 'content-type': 'application/json', 'x-unicode': 'héllo wörld ✓ 日本', 'x-latin1': 'café' },
      body: JSON.stringify({ a: 1, text: 'zażółć 🙂' }),
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ body: { a: 1, text: 'zażółć 🙂' }, query: '1' });
    // Header values are bytes: unicode crosses as UTF-8 and comes back as the same text.
    expect(res.headers['x-echo']).toBe('héllo wörld ✓ 日本');
    expect(res.headers['x-latin1']).toBe('café');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('round-trips every byte value, binary-safe', async () => {
    const input = new Uint8Array(70_000);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7) & 0xff;
    const res = await p.invoke({ method: 'POST', path: '/binary', body: input });
    expect(res.body.byteLength).toBe(input.byteLength);
    expect(res.metrics.bytesIn).toBe(input.byteLength);
    for (let i = 0; i < input.length; i++) {
      if (res.body[i] !== 255 - (input[i] as number)) throw new Error(`byte ${i} differs`);
    }
  });
});
