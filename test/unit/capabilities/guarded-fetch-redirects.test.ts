import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityDeniedError } from '../../../lib/errors.js';
import { guardedFetch, type GuardedRequest, type NetworkDenial } from '../../../lib/capabilities/index.js';
import { startServer, type LocalServer } from './local-server.js';

// `a` redirects according to the path; `b` (another origin) answers.
let a: LocalServer;
let b: LocalServer;

beforeAll(async () => {
  b = await startServer((_req, res) => res.end('from b'));
  a = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    const status = Number(url.searchParams.get('status') ?? 302);
    if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (url.pathname === '/chain') {
      const left = Number(url.searchParams.get('n'));
      const next = left > 0 ? `/chain?n=${left - 1}&to=${encodeURIComponent(to ?? '')}` : to || '/final';
      res.writeHead(307, { location: next }).end('redirect body');
    } else if (to !== null) {
      res.writeHead(status, { location: to }).end();
    } else {
      res.end(`final ${req.method}`);
    }
  });
});

afterAll(async () => {
  await a.close();
  await b.close();
});

const CAPS = { allowNetwork: true, allowedDomains: ['127.0.0.1'] };
const get = (url: string, init: Partial<GuardedRequest> = {}): GuardedRequest => ({
  url,
  method: 'GET',
  headers: [],
  body: null,
  ...init,
});
const text = (body: Uint8Array): string => new TextDecoder().decode(body);

describe('guardedFetch redirects', () => {
  it('follows an allowed redirect to another origin', async () => {
    const response = await guardedFetch(get(`${a.origin}/r?to=${encodeURIComponent(`${b.origin}/there`)}`), CAPS, {
      maxBodyBytes: 100,
    });
    expect(response).toMatchObject({ status: 200, redirected: true, url: `${b.origin}/there` });
    expect(text(response.body)).toBe('from b');
  });

  it('denies a redirect to a host the profile does not allow, without connecting', async () => {
    const denials: NetworkDenial[] = [];
    const target = 'http://169.254.169.254/latest/meta-data/';
    const promise = guardedFetch(get(`${a.origin}/r?to=${encodeURIComponent(target)}`), CAPS, {
      maxBodyBytes: 100,
      onDenied: (d) => denials.push(d),
    });
    await expect(promise).rejects.toThrow(CapabilityDeniedError);
    await expect(promise).rejects.toThrow(/169\.254\.169\.254/);
    expect(denials).toEqual([{ capability: 'network', target, rule: 'host 169.254.169.254 not in allowedDomains' }]);
  });

  it('denies a redirect to a loopback name when only the IP is listed', async () => {
    const to = `http://localhost:${b.port}/`;
    await expect(guardedFetch(get(`${a.origin}/r?to=${encodeURIComponent(to)}`), CAPS, { maxBodyBytes: 100 })).rejects.toThrow(
      /host localhost not in allowedDomains/,
    );
  });

  it('re-checks the scheme of every hop', async () => {
    await expect(
      guardedFetch(get(`${a.origin}/r?to=${encodeURIComponent('file:///etc/passwd')}`), CAPS, { maxBodyBytes: 100 }),
    ).rejects.toThrow(/scheme file: not allowed/);
  });

  it('re-checks every hop of a chain', async () => {
    const ok = await guardedFetch(get(`${a.origin}/chain?n=3`), CAPS, { maxBodyBytes: 100 });
    expect(ok).toMatchObject({ redirected: true, url: `${a.origin}/final` });
    const bad = `http://10.0.0.1:${b.port}/`;
    await expect(
      guardedFetch(get(`${a.origin}/chain?n=3&to=${encodeURIComponent(bad)}`), CAPS, { maxBodyBytes: 100 }),
    ).rejects.toThrow(/host 10\.0\.0\.1 not in allowedDomains/);
    // Listing the name but not its address still stops the last hop at the address rule.
    const named = `http://db.internal:${b.port}/`;
    const resolve = async (host: string) => (host === 'db.internal' ? [{ address: '10.0.0.1', family: 4 as const }] : []);
    await expect(
      guardedFetch(
        get(`${a.origin}/chain?n=2&to=${encodeURIComponent(named)}`),
        { ...CAPS, allowedDomains: ['127.0.0.1', '*.internal'] },
        { maxBodyBytes: 100, resolve },
      ),
    ).rejects.toThrow(/private address 10\.0\.0\.1 not allowed/);
  });

  it('stops after 20 redirects', async () => {
    await expect(guardedFetch(get(`${a.origin}/loop`), CAPS, { maxBodyBytes: 100 })).rejects.toThrow(/more than 20 redirects/);
  });

  it('turns POST into GET without body on 303, keeps it on 307', async () => {
    const post = (status: number): GuardedRequest =>
      get(`${a.origin}/r?status=${status}&to=${encodeURIComponent(`${a.origin}/done`)}`, {
        method: 'POST',
        body: new TextEncoder().encode('payload'),
        headers: [['content-type', 'text/plain']],
      });
    const seeOther = await guardedFetch(post(303), CAPS, { maxBodyBytes: 100 });
    expect(text(seeOther.body)).toBe('final GET');
    expect(a.seen.at(-1)?.headers).not.toHaveProperty('content-type');
    const temporary = await guardedFetch(post(307), CAPS, { maxBodyBytes: 100 });
    expect(text(temporary.body)).toBe('final POST');
    expect(a.seen.at(-1)?.body).toBe('payload');
  });

  it('drops credentials on a redirect to another origin, keeps them on the same origin', async () => {
    const headers: [string, string][] = [
      ['authorization', 'Bearer t'],
      ['cookie', 'sid=1'],
      ['x-keep', 'yes'],
    ];
    await guardedFetch(get(`${a.origin}/r?to=${encodeURIComponent(`${b.origin}/x`)}`, { headers }), CAPS, { maxBodyBytes: 100 });
    const atB = b.seen.at(-1)?.headers;
    expect(atB).not.toHaveProperty('authorization');
    expect(atB).not.toHaveProperty('cookie');
    expect(atB).toHaveProperty('x-keep', 'yes');
    await guardedFetch(get(`${a.origin}/r?to=%2Fsame`, { headers }), CAPS, { maxBodyBytes: 100 });
    expect(a.seen.at(-1)?.headers).toMatchObject({ authorization: 'Bearer t', cookie: 'sid=1' });
  });

  it('returns the redirect itself in manual mode and throws in error mode', async () => {
    const to = encodeURIComponent('http://169.254.169.254/');
    const manual = await guardedFetch(get(`${a.origin}/r?to=${to}`, { redirect: 'manual' }), CAPS, { maxBodyBytes: 100 });
    expect(manual.status).toBe(302);
    expect(manual.headers).toContainEqual(['location', 'http://169.254.169.254/']);
    await expect(
      guardedFetch(get(`${a.origin}/r?to=${to}`, { redirect: 'error' }), CAPS, { maxBodyBytes: 100 }),
    ).rejects.toThrow(TypeError);
  });
});
