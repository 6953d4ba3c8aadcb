import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: hello', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('answers with the handler response, its logs and figures', async () => {
    p = pool(runtime, `export default { fetch(req) { console.log('hello from', req.method); return new Response('hi', { status: 201, headers: { 'X-Thing': 'yes' } }) } }`);
    const res = await p.invoke({ method: 'GET', path: '/' });
    expect(res.status).toBe(201);
    expect(res.text()).toBe('hi');
    expect(res.headers['x-thing']).toBe('yes');
    expect(res.logs.map((l) => [l.level, l.message])).toEqual([['log', 'hello from GET']]);
    expect(res.metrics.coldStart).toBe(true);
    expect(res.metrics.bytesOut).toBe(2);
    expect(res.metrics.wallMs).toBeGreaterThan(0);
    expect(res.metrics.peakMemoryBytes).toBeGreaterThan(0);
    const second = await p.invoke({ path: '/' });
    expect(second.metrics.coldStart).toBe(false);
  });

  it.each([
    ['a default-export function', `export default function (req) { return new Response('fn') }`, 'fn'],
    ['a named handler', `export function handler(req) { return new Response('named') }`, 'named'],
    ['an async fetch method using env', `export default { async fetch(req, env) { await null; return new Response(env.GREETING) } }`, 'hey'],
  ])('loads %s', async (_name, code, expected) => {
    p = pool(runtime, code, { env: { GREETING: 'hey' } });
    expect((await p.invoke({ path: '/' })).text()).toBe(expected);
  });

  it('serves pool.fetch with WHATWG Request and Response', async () => {
    p = pool(runtime, `export default { async fetch(req) { return Response.json({ url: req.url, body: await req.text(), ct: req.headers.get('content-type') }) } }`);
    const response = await p.fetch(
      new Request('http://fn.example/users?x=1', { method: 'PUT', body: 'payload', headers: { 'content-type': 'text/plain' } }),
    );
    expect(response).toBeInstanceOf(Response);
    expect(await response.json()).toEqual({ url: 'http://fn.example/users?x=1', body: 'payload', ct: 'text/plain' });
  });
});
