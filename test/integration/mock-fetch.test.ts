import { afterEach, describe, expect, it } from 'vitest';
import { profiles, type DenialEvent, type Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

const HANDLER = `export default { async fetch(req) {
  const target = new URL(req.url).searchParams.get('to');
  try {
    const res = await fetch(target, { method: 'POST', headers: { 'x-test': '1' }, body: 'ping' });
    return Response.json({ status: res.status, body: await res.text(), type: res.headers.get('content-type') });
  } catch (e) {
    return Response.json({ error: e.code ?? e.name });
  }
} }`;

describe.each(RUNTIMES)('%s: the fetch option replaces the network', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('the handler reaches the mock after the profile checks; a refused host never reaches it', async () => {
    const seen: string[] = [];
    p = pool(runtime, HANDLER, {
      capabilities: profiles.custom('test-project', { allowNetwork: true, allowedDomains: ['api.example.com'] }),
      fetch: async (request) => {
        seen.push(`${request.method} ${request.url} ${request.headers.get('x-test')} ${await request.text()}`);
        return new Response('pong', { status: 201, headers: { 'content-type': 'text/plain' } });
      },
    });
    const denials: DenialEvent[] = [];
    p.on('denied', (d) => denials.push(d));
    const ok = await p.invoke({ path: '/?to=https://api.example.com/v1' });
    expect(ok.json()).toEqual({ status: 201, body: 'pong', type: 'text/plain' });
    const refused = await p.invoke({ path: '/?to=https://evil.example.org/steal' });
    expect(refused.json()).toEqual({ error: 'CAPABILITY_DENIED' });
    expect(seen).toEqual(['POST https://api.example.com/v1 1 ping']);
    expect(denials.map((d) => d.capability)).toEqual(['network']);
  });

  it('without allowNetwork the mock is never called', async () => {
    let called = false;
    p = pool(runtime, HANDLER, {
      fetch: () => {
        called = true;
        return new Response('no');
      },
    });
    expect((await p.invoke({ path: '/?to=https://api.example.com/v1' })).json()).toEqual({ error: 'CAPABILITY_DENIED' });
    expect(called).toBe(false);
  });
});
