import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, ResponseTooLargeError, TimeoutError } from '../../../lib/errors.js';
import { guardedFetch, type GuardedRequest } from '../../../lib/capabilities/index.js';
import { startServer, type LocalServer } from './local-server.js';

let server: LocalServer;

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/declared' && req.method === 'HEAD') {
      res.setHeader('content-length', '5000');
      res.end();
    } else if (req.url === '/declared') {
      res.setHeader('content-length', '5000');
      res.end('x'.repeat(5000));
    } else if (req.url === '/streamed') {
      // No content-length: chunks keep coming until the client gives up.
      let sent = 0;
      const timer = setInterval(() => {
        sent += 1;
        if (!res.write('y'.repeat(1000)) || sent > 1000) {
          clearInterval(timer);
          res.end();
        }
      }, 1);
      res.on('close', () => clearInterval(timer));
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 2000).unref();
    } else {
      res.end('small');
    }
  });
});

afterAll(() => server.close());

const CAPS = { allowNetwork: true, allowedDomains: ['127.0.0.1'] };
const get = (path: string): GuardedRequest => ({ url: `${server.origin}${path}`, method: 'GET', headers: [], body: null });

describe('guardedFetch limits', () => {
  it('returns a body within the limit', async () => {
    const response = await guardedFetch(get('/ok'), CAPS, { maxBodyBytes: 5 });
    expect(new TextDecoder().decode(response.body)).toBe('small');
  });

  it('refuses a body whose content-length exceeds the limit', async () => {
    const promise = guardedFetch(get('/declared'), CAPS, { maxBodyBytes: 4999 });
    await expect(promise).rejects.toThrow(ResponseTooLargeError);
    await expect(promise).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
  });

  it('does not apply content-length of a HEAD response to the limit', async () => {
    const response = await guardedFetch({ ...get('/declared'), method: 'HEAD' }, CAPS, { maxBodyBytes: 10 });
    expect(response.status).toBe(200);
    expect(response.body.byteLength).toBe(0);
  });

  it('aborts a streamed body as soon as it exceeds the limit', async () => {
    await expect(guardedFetch(get('/streamed'), CAPS, { maxBodyBytes: 10_000 })).rejects.toThrow(ResponseTooLargeError);
  });

  it('times out the whole fetch', async () => {
    const promise = guardedFetch(get('/slow'), CAPS, { maxBodyBytes: 100, timeoutMs: 100 });
    await expect(promise).rejects.toThrow(TimeoutError);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const promise = guardedFetch(get('/slow'), CAPS, { maxBodyBytes: 100, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(promise).rejects.toThrow(AbortedError);
    const already = AbortSignal.abort();
    await expect(guardedFetch(get('/ok'), CAPS, { maxBodyBytes: 100, signal: already })).rejects.toThrow(AbortedError);
  });
});
