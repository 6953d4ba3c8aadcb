import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedFetch, type GuardedRequest } from '../../../lib/capabilities/index.js';
import { startServer, type LocalServer } from './local-server.js';

let server: LocalServer;

beforeAll(async () => {
  server = await startServer((req, res, body) => {
    res.setHeader('x-echo-method', req.method ?? '');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.statusMessage = 'Fine';
    res.end(`echo:${body}`);
  });
});

afterAll(() => server.close());

const LOCAL = { allowNetwork: true, allowedDomains: ['127.0.0.1'] };
const request = (url: string, init: Partial<GuardedRequest> = {}): GuardedRequest => ({
  url,
  method: 'GET',
  headers: [],
  body: null,
  ...init,
});

describe('guardedFetch when the address is allowed', () => {
  it('performs the request when 127.0.0.1 is listed literally', async () => {
    const response = await guardedFetch(request(`${server.origin}/hello?x=1`), LOCAL, { maxBodyBytes: 1024 });
    expect(response).toMatchObject({ status: 200, statusText: 'Fine', url: `${server.origin}/hello?x=1`, redirected: false });
    expect(new TextDecoder().decode(response.body)).toBe('echo:');
    expect(response.headers).toContainEqual(['x-echo-method', 'GET']);
    expect(response.headers.filter(([name]) => name === 'set-cookie')).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect(server.seen.at(-1)?.url).toBe('/hello?x=1');
  });

  it('sends method, body and headers, and sets host and content-length itself', async () => {
    await guardedFetch(
      request(`${server.origin}/post#frag`, {
        method: 'post',
        body: new TextEncoder().encode('{"a":1}'),
        headers: [
          ['Content-Type', 'application/json'],
          ['X-Multi', 'one'],
          ['x-multi', 'two'],
          ['Host', 'evil.example'],
          ['Content-Length', '999'],
          ['Connection', 'keep-alive, x-secret-hop'],
          ['X-Secret-Hop', 'drop me'],
          ['Transfer-Encoding', 'chunked'],
          ['Proxy-Authorization', 'Basic Zm9v'],
          ['Upgrade', 'websocket'],
        ],
      }),
      LOCAL,
      { maxBodyBytes: 1024 },
    );
    const seen = server.seen.at(-1);
    expect(seen).toMatchObject({ method: 'POST', url: '/post', body: '{"a":1}' });
    expect(seen?.headers).toMatchObject({
      host: `127.0.0.1:${server.port}`,
      'content-length': '7',
      'content-type': 'application/json',
      'x-multi': 'one, two',
    });
    for (const name of ['x-secret-hop', 'transfer-encoding', 'proxy-authorization', 'upgrade']) {
      expect(seen?.headers).not.toHaveProperty(name);
    }
  });

  it('reaches odd spellings of a listed address at that address', async () => {
    const response = await guardedFetch(request(`http://127.1:${server.port}/odd`), LOCAL, { maxBodyBytes: 1024 });
    expect(response.status).toBe(200);
    expect(response.url).toBe(`${server.origin}/odd`);
  });

  it('refuses a body on GET and forbidden methods, as fetch does', async () => {
    await expect(
      guardedFetch(request(server.origin, { body: new Uint8Array([1]) }), LOCAL, { maxBodyBytes: 10 }),
    ).rejects.toThrow(TypeError);
    await expect(guardedFetch(request(server.origin, { method: 'CONNECT' }), LOCAL, { maxBodyBytes: 10 })).rejects.toThrow(
      TypeError,
    );
  });

  it('reports connection failures as TypeError', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    await expect(guardedFetch(request(closed.origin), LOCAL, { maxBodyBytes: 10 })).rejects.toThrow(/fetch failed/);
  });

  it('refuses invalid header names as TypeError', async () => {
    await expect(
      guardedFetch(request(server.origin, { headers: [['bad name', 'x']] }), LOCAL, { maxBodyBytes: 10 }),
    ).rejects.toThrow(TypeError);
  });
});
