import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// invoke() takes a Web API Request, and bodies of the Fetch API's kinds,
// read into bytes on the host first: at most maxBodyBytes of a stream.
const ECHO = `export default async (req) => {
  const type = req.headers.get('content-type') ?? '';
  const form = type.startsWith('multipart/form-data') ? Object.fromEntries(await req.formData()) : undefined;
  return Response.json({ method: req.method, url: req.url, type, custom: req.headers.get('x-custom'), form, body: form ? undefined : await req.text() });
};`;

describe.each(RUNTIMES)('%s: a Web Request or body passed to invoke()', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, ECHO, { maxBodyBytes: 1024 });
  });
  afterAll(async () => p.close());
  const echo = async (request: Parameters<Pool['invoke']>[0]) => (await p.invoke(request)).json() as Record<string, unknown>;

  it('a Request: its method, URL, headers and body', async () => {
    const request = new Request('https://api.example/hooks/1?x=2', { method: 'PUT', headers: { 'x-custom': 'yes' }, body: 'payload' });
    expect(await echo(request)).toMatchObject({ method: 'PUT', url: 'https://api.example/hooks/1?x=2', custom: 'yes', body: 'payload' });
    expect(await echo(new Request('http://localhost/plain'))).toMatchObject({ method: 'GET', url: 'http://localhost/plain', body: '' });
  });

  it('a ReadableStream, a Blob, URLSearchParams, FormData and typed-array views as the body', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('str'));
        c.enqueue(new TextEncoder().encode('eam'));
        c.close();
      },
    });
    expect(await echo({ method: 'POST', path: '/', body: stream })).toMatchObject({ body: 'stream' });
    expect(await echo({ method: 'POST', path: '/', body: new Blob(['blob'], { type: 'text/x-blob' }) })).toMatchObject({
      type: 'text/x-blob',
      body: 'blob',
    });
    expect(await echo({ method: 'POST', path: '/', body: new URLSearchParams({ a: '1', b: 'two' }) })).toMatchObject({
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
      body: 'a=1&b=two',
    });
    // A content type the caller names is kept.
    expect(
      await echo({ method: 'POST', path: '/', headers: { 'Content-Type': 'text/plain' }, body: new URLSearchParams({ a: '1' }) }),
    ).toMatchObject({ type: 'text/plain', body: 'a=1' });
    const form = new FormData();
    form.set('name', 'ada');
    expect(await echo({ method: 'POST', path: '/', body: form })).toMatchObject({ form: { name: 'ada' } });
    const bytes = new TextEncoder().encode('..view..');
    expect(await echo({ method: 'POST', path: '/', body: new DataView(bytes.buffer, 2, 4) })).toMatchObject({ body: 'view' });
  });

  it('a stream longer than maxBodyBytes is BODY_TOO_LARGE, and is read no further', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(256));
      },
    });
    await expect(p.invoke({ method: 'POST', path: '/', body: endless })).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(pulled).toBeLessThan(16);
    await expect(p.invoke(new Request('http://localhost/', { method: 'POST', body: 'x'.repeat(2000) }))).rejects.toMatchObject({
      code: 'BODY_TOO_LARGE',
    });
    // pool.fetch, as a host proxying an upload uses it: it read the whole body before the limit was checked.
    pulled = 0;
    const upload = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(256));
      },
    });
    const proxied = new Request('http://localhost/upload', { method: 'POST', body: upload, duplex: 'half' } as RequestInit);
    await expect(p.fetch(proxied)).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(pulled).toBeLessThan(16);
    // A streamed body within the limit goes through whole.
    const fits = new Request('http://localhost/upload', { method: 'POST', body: new Blob(['y'.repeat(800)]).stream(), duplex: 'half' } as RequestInit);
    expect(await (await p.fetch(fits)).json()).toMatchObject({ body: 'y'.repeat(800) });
  });

  it('a stream that fails or yields other than bytes, a used Request, a plain object body: INVALID_REQUEST', async () => {
    const failing = new ReadableStream({
      pull() {
        throw new Error('disk on fire');
      },
    });
    await expect(p.invoke({ method: 'POST', path: '/', body: failing })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('disk on fire'),
    });
    const strings = new ReadableStream({
      start(c) {
        c.enqueue('not bytes');
        c.close();
      },
    });
    await expect(p.invoke({ method: 'POST', path: '/', body: strings as ReadableStream<Uint8Array> })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    const used = new Request('http://localhost/', { method: 'POST', body: 'once' });
    await used.text();
    await expect(p.invoke(used)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(p.invoke({ method: 'POST', path: '/', body: { a: 1 } as unknown as string })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    // A stream someone else holds, or one already read to its end: a raw TypeError without a code before.
    const locked = new ReadableStream({ pull() {} });
    locked.getReader();
    await expect(p.invoke({ method: 'POST', path: '/', body: locked })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('could not be read'),
    });
    const drained = new Blob(['once']).stream();
    await new Response(drained).text();
    await expect(p.invoke({ method: 'POST', path: '/', body: drained })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    // The pool is still fine.
    expect(await echo({ method: 'POST', path: '/', body: 'after' })).toMatchObject({ body: 'after' });
  });
});
