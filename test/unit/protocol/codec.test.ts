import { describe, expect, it } from 'vitest';
import { decodeBody, decodeMessage, encodeBody, encodeInvoke, encodeMessage } from '../../../lib/protocol/index.js';

const ok = (line: unknown) => decodeMessage(JSON.stringify(line));

describe('decodeMessage', () => {
  it('accepts every worker message type in its documented shape', () => {
    const messages = [
      { id: 0, type: 'ready', payload: { protocol: 1, runtime: 'bun', version: '1.0', pid: 5, features: ['fetch'], sandbox: { landlock: 'on', landlockAbi: 7 } } },
      { id: 1, type: 'response', payload: { status: 200, statusText: 'OK', headers: [['a', 'b']], body: 'aGk=', cpuMs: 1.5, peakMemoryBytes: 10 } },
      { id: 1, type: 'error', payload: { code: 'HANDLER_ERROR', name: 'TypeError', message: 'x', stack: 's' } },
      { id: 0, type: 'log', payload: { level: 'warn', message: 'm', time: 1 } },
      { id: 2, type: 'denied', payload: { capability: 'filesystem', target: '/etc/passwd', rule: 'outside allowedPaths' } },
      { id: 2, type: 'call', payload: { call: 1, op: 'fetch', args: { url: 'https://a.example', method: 'GET', headers: [], body: null } } },
    ];
    for (const message of messages) expect(ok(message), message.type).toMatchObject({ ok: true, message });
  });

  it.each([
    ['not JSON', '{"id":'],
    ['an unknown type', JSON.stringify({ id: 1, type: 'pwn', payload: {} })],
    ['a negative id', JSON.stringify({ id: -1, type: 'log', payload: { level: 'log', message: '', time: 0 } })],
    ['a fractional id', JSON.stringify({ id: 1.5, type: 'log', payload: { level: 'log', message: '', time: 0 } })],
    ['a status out of range', JSON.stringify({ id: 1, type: 'response', payload: { status: 99, statusText: '', headers: [], body: null, cpuMs: 0, peakMemoryBytes: 0 } })],
    ['headers that are not pairs', JSON.stringify({ id: 1, type: 'response', payload: { status: 200, statusText: '', headers: [['a']], body: null, cpuMs: 0, peakMemoryBytes: 0 } })],
    ['an error code a worker may not claim', JSON.stringify({ id: 1, type: 'error', payload: { code: 'POOL_CLOSED', message: '' } })],
    ['a ready with another protocol version', JSON.stringify({ id: 0, type: 'ready', payload: { protocol: 2, runtime: 'x', version: '1', pid: 1, features: [], sandbox: {} } })],
    ['a log level that does not exist', JSON.stringify({ id: 0, type: 'log', payload: { level: 'fatal', message: '', time: 0 } })],
    ['a host call other than fetch', JSON.stringify({ id: 1, type: 'call', payload: { call: 1, op: 'exec', args: {} } })],
    ['a JSON array', '[1,2,3]'],
  ])('rejects %s with a reason', (_name, line) => {
    const result = decodeMessage(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });

  it('encodes one message per line with newlines inside strings escaped', () => {
    const line = encodeMessage({ id: 0, type: 'shutdown', payload: {} });
    expect(line.endsWith('\n')).toBe(true);
    const withNewline = encodeMessage({
      id: 3,
      type: 'invoke',
      payload: { method: 'GET', url: 'http://x/', headers: [['a', 'line\nbreak']], body: null, cpuMs: 0, timeoutMs: 0 },
    });
    expect(withNewline.indexOf('\n')).toBe(withNewline.length - 1);
  });
});

describe('decodeMessage fast path for responses', () => {
  const good = { id: 3, type: 'response', payload: { status: 200, statusText: 'OK', headers: [['a', 'b']], body: null, cpuMs: 0, peakMemoryBytes: 0 } };
  it('drops unknown fields as the schema does', () => {
    const result = decodeMessage(JSON.stringify({ ...good, extra: 1, payload: { ...good.payload, sneaky: true } }));
    expect(result).toEqual({ ok: true, message: good });
  });
  it.each([
    ['a fractional status', { status: 200.5 }],
    ['a string body of the wrong type', { body: 5 }],
    ['negative cpuMs', { cpuMs: -1 }],
    ['a header triple', { headers: [['a', 'b', 'c']] }],
    ['a non-string header value', { headers: [['a', 1]] }],
  ])('still refuses %s', (_name, patch) => {
    expect(decodeMessage(JSON.stringify({ ...good, payload: { ...good.payload, ...patch } })).ok).toBe(false);
  });
});

describe('encodeInvoke', () => {
  it('writes the same text as encodeMessage, in the field order the native worker reads fastest', () => {
    const payloads = [
      { method: 'GET', url: 'http://localhost/', headers: [] as [string, string][], body: null, cpuMs: 30000, timeoutMs: 30000 },
      { method: 'POST', url: 'http://localhost/a?b="c"', headers: [['x-a', 'q"\\\u00e9\u2028'], ['b', '']] as [string, string][], body: 'aGk=', cpuMs: 0.5, timeoutMs: 0 },
    ];
    for (const [i, payload] of payloads.entries()) {
      expect(encodeInvoke(i + 1, payload)).toBe(encodeMessage({ id: i + 1, type: 'invoke', payload }));
    }
  });
});

describe('encodeBody and decodeBody', () => {
  const sizes = [0, 1, 2, 3, 64, 65, 100, 4095, 4096, 70_000];
  it.each(sizes)('round-trips %i bytes into a buffer that holds the body alone', (size) => {
    const body = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
    const text = encodeBody(body);
    expect(text).toBe(Buffer.from(body).toString('base64'));
    const decoded = decodeBody(text) as Uint8Array;
    expect(decoded).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(decoded).equals(Buffer.from(body))).toBe(true);
    expect(decoded.byteOffset).toBe(0);
    expect(decoded.buffer.byteLength).toBe(size);
  });

  it('encodes a view of part of a larger buffer, not the whole buffer', () => {
    const whole = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(encodeBody(whole.subarray(2, 4))).toBe(Buffer.from([3, 4]).toString('base64'));
  });

  it('decodes base64 with whitespace and stray characters as Buffer does, without bytes never written', () => {
    const long = Buffer.alloc(300, 7).toString('base64');
    for (const text of ['aGVs bG8=', 'aGVsbG8', 'aGVsbG8=\n', '!!aGk=', '====', 'a', `${long.slice(0, 100)}\n ${long.slice(100)}`, `${long}!!`]) {
      const decoded = decodeBody(text) as Uint8Array;
      expect(Buffer.from(decoded).equals(Buffer.from(text, 'base64'))).toBe(true);
      expect(decoded.buffer.byteLength).toBe(decoded.byteLength);
    }
  });

  it('keeps null as null', () => {
    expect(decodeBody(null)).toBeNull();
  });
});
