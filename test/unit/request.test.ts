import { describe, expect, it } from 'vitest';
import { normalizeRequest } from '../../lib/request.js';
import { InvokeResponse } from '../../lib/response.js';
import { TaskQueue } from '../../lib/task-queue.js';

describe('normalizeRequest', () => {
  it('resolves a path against http://localhost and lower-cases header names', () => {
    const wire = normalizeRequest({ method: 'post', path: '/users?x=1', headers: { 'X-A': 'b', 'Set-Cookie': ['a=1', 'b=2'] }, body: '{}' }, 100);
    expect(wire).toMatchObject({ method: 'POST', url: 'http://localhost/users?x=1', headers: [['x-a', 'b'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']] });
    expect(new TextDecoder().decode(wire.body as Uint8Array)).toBe('{}');
  });

  it('sends non-Latin-1 header values as their UTF-8 bytes, and InvokeResponse reads them back', () => {
    const wire = normalizeRequest({ path: '/', headers: { 'x-u': 'żółw ✓' } }, 100);
    const value = (wire.headers[0] as [string, string])[1];
    expect([...value].every((c) => c.charCodeAt(0) < 256)).toBe(true);
    const res = new InvokeResponse({ invocationId: 1, status: 200, statusText: '', headers: [['x-u', value], ['x-l', 'caf\u00e9']], body: new Uint8Array(), logs: [], metrics: {} as never });
    expect(res.headers).toEqual({ 'x-u': 'żółw ✓', 'x-l': 'café' });
  });

  it.each([
    ['short', 'a\ud800b€ż'],
    ['long', `${'{"k":"v€ż", "s":"\ud83d\ude00"},'.repeat(40)}\udc00${'x'.repeat(300)}`],
  ])('encodes a %s string body as TextEncoder does, in a buffer of its own', (_name, text) => {
    const body = normalizeRequest({ method: 'POST', path: '/', body: text }, 1 << 20).body as Uint8Array;
    expect(Buffer.from(body).equals(Buffer.from(new TextEncoder().encode(text)))).toBe(true);
    expect(body.byteOffset).toBe(0);
    expect(body.buffer.byteLength).toBe(body.byteLength);
  });

  it.each([
    ['a bad method', { method: 'G T' }, 'INVALID_REQUEST'],
    ['a bad URL', { url: 'not a url' }, 'INVALID_REQUEST'],
    ['a header with CRLF', { headers: { a: 'x\r\ny' } }, 'INVALID_REQUEST'],
    ['a bad header name', { headers: { 'a b': 'x' } }, 'INVALID_REQUEST'],
    ['a GET with a body', { method: 'GET', body: 'x' }, 'INVALID_REQUEST'],
    ['a body over the limit', { method: 'POST', body: 'x'.repeat(101) }, 'BODY_TOO_LARGE'],
    ['more than 2,000 header fields', { headers: Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`h${i}`, 'v'])) }, 'INVALID_REQUEST'],
    ['headers adding up to more than 256 KiB', { headers: { a: 'x'.repeat(128 * 1024), b: 'y'.repeat(128 * 1024) } }, 'INVALID_REQUEST'],
    ['a header pair that is not [name, value]', { headers: [['x']] as unknown as [string, string][] }, 'INVALID_REQUEST'],
  ])('refuses %s', (_name, request, code) => {
    expect(() => normalizeRequest(request, 100)).toThrow(expect.objectContaining({ code }));
  });
});

describe('normalizeRequest: header limits', () => {
  it('takes 2,000 fields and 256 KiB exactly', () => {
    expect(normalizeRequest({ headers: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`h${i}`, 'v'])) }, 100).headers).toHaveLength(2000);
    expect(normalizeRequest({ headers: { a: 'x'.repeat(256 * 1024 - 1) } }, 100).headers).toHaveLength(1);
  });
});

describe('InvokeResponse', () => {
  it('joins repeated headers, keeps them all in headerList, and parses bodies synchronously', () => {
    const res = new InvokeResponse({
      invocationId: 1,
      status: 200,
      statusText: 'OK',
      headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2']],
      body: new TextEncoder().encode('{"a":1}'),
      logs: [],
      metrics: {} as never,
    });
    expect(res.headers['set-cookie']).toBe('a=1, b=2');
    expect(res.headerList).toHaveLength(2);
    expect(res.json()).toEqual({ a: 1 });
    expect(res.toResponse().headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });
});

describe('TaskQueue', () => {
  it('is FIFO and removes a cancelled item', () => {
    const q = new TaskQueue<number>();
    [1, 2, 3].forEach((n) => q.push(n));
    expect(q.remove(2)).toBe(true);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([1, 3, undefined]);
  });
});
