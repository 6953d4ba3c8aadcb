import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityDeniedError } from '../../../lib/errors.js';
import { guardedFetch, type GuardedRequest, type ResolveHost } from '../../../lib/capabilities/index.js';
import { startServer, type LocalServer } from './local-server.js';

let server: LocalServer;

beforeAll(async () => {
  server = await startServer((req, res) => res.end(`host=${req.headers.host}`));
});

afterAll(() => server.close());

const get = (host: string): GuardedRequest => ({ url: `http://${host}:${server.port}/`, method: 'GET', headers: [], body: null });
const text = (body: Uint8Array): string => new TextDecoder().decode(body);

/** A resolver that answers from a table and counts its calls. */
function fakeResolver(table: Record<string, string[]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    return (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };
  return Object.assign(resolve, { calls });
}

describe('guardedFetch decides on the resolved address', () => {
  it('denies a listed name that resolves to loopback', async () => {
    const resolve = fakeResolver({ 'app.example.com': ['127.0.0.1'] });
    const before = server.seen.length;
    await expect(
      guardedFetch(get('app.example.com'), { allowNetwork: true, allowedDomains: ['*.example.com'] }, { maxBodyBytes: 100, resolve }),
    ).rejects.toThrow(/loopback address 127\.0\.0\.1 not allowed/);
    expect(server.seen.length).toBe(before);
  });

  it('denies metadata and private answers, and mixed answers', async () => {
    const resolve = fakeResolver({
      'meta.example.com': ['169.254.169.254'],
      'lan.example.com': ['192.168.1.10'],
      'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
      'v6.example.com': ['::ffff:169.254.169.254'],
    });
    const caps = { allowNetwork: true, allowedDomains: [] };
    await expect(guardedFetch(get('meta.example.com'), caps, { maxBodyBytes: 1, resolve })).rejects.toThrow(/metadata address/);
    await expect(guardedFetch(get('lan.example.com'), caps, { maxBodyBytes: 1, resolve })).rejects.toThrow(/private address/);
    await expect(guardedFetch(get('mixed.example.com'), caps, { maxBodyBytes: 1, resolve })).rejects.toThrow(/loopback address/);
    await expect(guardedFetch(get('v6.example.com'), caps, { maxBodyBytes: 1, resolve })).rejects.toThrow(/metadata address/);
  });

  it('allows a resolved loopback address the profile lists, connecting to exactly that address', async () => {
    const resolve = fakeResolver({ 'app.example.com': ['127.0.0.1'] });
    const caps = { allowNetwork: true, allowedDomains: ['app.example.com', '127.0.0.1'] };
    const response = await guardedFetch(get('app.example.com'), caps, { maxBodyBytes: 100, resolve });
    expect(text(response.body)).toBe(`host=app.example.com:${server.port}`);
    // One lookup per hop: the socket uses the checked answer, not a second one.
    expect(resolve.calls).toEqual(['app.example.com']);
  });

  it('is not fooled by a resolver that changes its answer (DNS rebinding)', async () => {
    let calls = 0;
    const rebinding: ResolveHost = async () => {
      calls += 1;
      return [{ address: calls === 1 ? '127.0.0.1' : '10.9.9.9', family: 4 }];
    };
    const caps = { allowNetwork: true, allowedDomains: ['rebind.example.com', '127.0.0.1'] };
    const response = await guardedFetch(get('rebind.example.com'), caps, { maxBodyBytes: 100, resolve: rebinding });
    expect(response.status).toBe(200);
    expect(calls).toBe(1);
  });

  it('fails as TypeError when the name has no addresses', async () => {
    await expect(
      guardedFetch(get('nothing.example.com'), { allowNetwork: true, allowedDomains: [] }, {
        maxBodyBytes: 1,
        resolve: fakeResolver({}),
      }),
    ).rejects.toThrow(TypeError);
  });

  describe('with the system resolver and localhost', () => {
    it('allows localhost when localhost is listed', async () => {
      const response = await guardedFetch(get('localhost'), { allowNetwork: true, allowedDomains: ['localhost'] }, { maxBodyBytes: 100 });
      expect(text(response.body)).toBe(`host=localhost:${server.port}`);
    });

    it('denies localhost when only *.localhost is listed: loopback needs localhost or the IP itself', async () => {
      const promise = guardedFetch(get('localhost'), { allowNetwork: true, allowedDomains: ['*.localhost'] }, { maxBodyBytes: 100 });
      await expect(promise).rejects.toThrow(CapabilityDeniedError);
      await expect(promise).rejects.toThrow(/loopback address/);
    });

    it('denies localhost with an empty allow list (public addresses only)', async () => {
      await expect(
        guardedFetch(get('localhost'), { allowNetwork: true, allowedDomains: [] }, { maxBodyBytes: 100 }),
      ).rejects.toThrow(/loopback address 127\.0\.0\.1 not allowed/);
    });
  });
});
