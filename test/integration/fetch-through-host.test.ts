import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, profiles, type DenialEvent, type Pool, type RuntimeName } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

let server: Server;
let origin: string;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/redirect-denied') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    } else if (req.url === '/redirect-ok') {
      res.writeHead(307, { location: '/data' });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const HANDLER = `export default { async fetch(req) {
  const target = new URL(req.url).searchParams.get('target');
  try {
    const res = await fetch(target);
    return Response.json({ ok: true, status: res.status, redirected: res.redirected, url: res.url, body: await res.json() });
  } catch (e) {
    return Response.json({ ok: false, code: e.code ?? null, message: String(e.message) });
  }
} }`;

describe.each(RUNTIMES)('%s: fetch goes through the host', (runtime: RuntimeName) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  function start(allowedDomains: string[], allowNetwork = true) {
    p = createPool({
      runtime,
      capabilities: profiles.custom('net', { allowNetwork, allowedDomains }),
      source: { code: HANDLER },
    });
    const denials: DenialEvent[] = [];
    p.on('denied', (d) => denials.push(d));
    return {
      denials,
      call: async (target: string) => (await p!.invoke({ path: `/?target=${encodeURIComponent(target)}` })).json() as Record<string, unknown>,
    };
  }

  it('reaches an allowed host (127.0.0.1 listed literally) and follows an allowed redirect', async () => {
    const { call } = start(['127.0.0.1']);
    expect(await call(`${origin}/data`)).toMatchObject({ ok: true, status: 200, body: { path: '/data', method: 'GET' } });
    expect(await call(`${origin}/redirect-ok`)).toMatchObject({ ok: true, redirected: true, body: { path: '/data' } });
  });

  it('denies a host that is not listed, before any connection', async () => {
    const before = hits.length;
    const { call, denials } = start(['api.example.com']);
    expect(await call(`${origin}/data`)).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    expect(hits.length).toBe(before);
    expect(denials[0]).toMatchObject({ capability: 'network' });
  });

  it('denies a redirect from an allowed host to a denied one', async () => {
    const { call, denials } = start(['127.0.0.1']);
    expect(await call(`${origin}/redirect-denied`)).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    expect(denials.some((d) => d.target.includes('169.254.169.254'))).toBe(true);
  });

  it('denies loopback reached through another spelling when only a name is listed', async () => {
    const { call } = start(['*.example.com']);
    const port = new URL(origin).port;
    for (const spelling of [`http://0x7f.1:${port}/data`, `http://2130706433:${port}/data`, `http://example.com@127.0.0.1:${port}/data`]) {
      expect(await call(spelling), spelling).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    }
  });

  it('has no network at all without allowNetwork', async () => {
    const { call } = start([], false);
    expect(await call(`${origin}/data`)).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
  });
});
