import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRegistry, createRequestListener, type Registry } from 'bunbase-functions';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECHO } from './registry-helpers.js';

let registry: Registry;
let server: Server;
let base: string;

beforeAll(async () => {
  registry = await createRegistry({ database: ':memory:', maxProjectConcurrency: 1 });
  await registry.register({ name: 'echo', projectId: 'acme', runtime: 'quickjs-ng', source: { code: ECHO }, capabilities: {}, env: { GREETING: 'hi' } });
  await registry.register({
    name: 'teapot',
    projectId: 'globex',
    runtime: 'quickjs-ng',
    source: { code: `export default () => new Response('short and stout', { status: 418, headers: { 'x-kind': 'teapot' } })` },
    capabilities: {},
  });
  await registry.register({
    name: 'broken',
    projectId: 'globex',
    runtime: 'quickjs-ng',
    source: { code: `export default async (req) => { if (new URL(req.url).pathname === '/slow') await new Promise((r) => setTimeout(r, 400)); throw new Error('nope') }` },
    capabilities: {},
  });
  server = createServer(createRequestListener(registry, { maxBodyBytes: 1024 }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await registry.close();
});

it('routes /<projectId>/<name>/<rest> to the function, which sees /<rest> with its query, method, headers and body', async () => {
  const response = await fetch(`${base}/acme/echo/orders/7?x=1`, { method: 'POST', body: 'payload' });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ path: '/orders/7', query: '?x=1', method: 'POST', body: 'payload', greeting: 'hi' });
  const root = await fetch(`${base}/acme/echo`);
  expect((await root.json()).path).toBe('/');
});

it("passes the function's status and headers through", async () => {
  const response = await fetch(`${base}/globex/teapot/`);
  expect(response.status).toBe(418);
  expect(response.headers.get('x-kind')).toBe('teapot');
  expect(await response.text()).toBe('short and stout');
});

it('answers failures with a status from their code and a JSON body', async () => {
  const cases: [string, RequestInit, number, string][] = [
    ['/acme/nobody/', {}, 404, 'FUNCTION_NOT_FOUND'],
    ['/globex/echo/', {}, 404, 'FUNCTION_NOT_FOUND'],
    ['/', {}, 404, 'FUNCTION_NOT_FOUND'],
    ['/acme/%E0%A4%A/', {}, 400, 'INVALID_REQUEST'],
    ['/globex/broken/', {}, 502, 'HANDLER_ERROR'],
    ['/acme/echo/', { method: 'POST', body: 'x'.repeat(2000) }, 413, 'BODY_TOO_LARGE'],
  ];
  for (const [path, init, status, code] of cases) {
    const response = await fetch(base + path, init);
    expect([path, response.status]).toEqual([path, status]);
    expect((await response.json()).error.code).toBe(code);
  }
});

it('answers 429 for a project over its quota', async () => {
  const slow = fetch(`${base}/globex/broken/slow`);
  await new Promise((r) => setTimeout(r, 100));
  const refused = await fetch(`${base}/globex/teapot/`);
  expect(refused.status).toBe(429);
  expect((await refused.json()).error.code).toBe('QUOTA_EXCEEDED');
  expect((await slow).status).toBe(502);
});

it('calls next() for paths that name no function when mounted', async () => {
  const listener = createRequestListener(registry);
  const answered = await new Promise<string>((resolve) => {
    const mounted = createServer((req, res) => listener(req, res, () => res.end('fell through')));
    mounted.listen(0, '127.0.0.1', async () => {
      const port = (mounted.address() as AddressInfo).port;
      const text = await (await fetch(`http://127.0.0.1:${port}/acme/nobody`)).text();
      mounted.close();
      resolve(text);
    });
  });
  expect(answered).toBe('fell through');
});
