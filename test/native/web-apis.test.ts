import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: Web API prelude', () => {
  it('provides the globals handlers expect', async () => {
    w = await ready(`
      export default async (req) => {
        const out = {};
        const u = new URL(req.url);
        out.url = [u.pathname, u.searchParams.get('y'), new URL('../a?b=1#h', 'https://x.test/p/q/').href];
        const sp = new URLSearchParams('a=1&b=2&a=3'); sp.append('c', 'd e');
        out.params = [sp.getAll('a').join(','), sp.toString()];
        const h = new Headers([['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-A', '1']]); h.append('x-a', '2');
        out.headers = [h.get('X-A'), h.getSetCookie(), [...h.keys()], req.headers.get('X-IN')];
        out.text = new TextDecoder().decode(new TextEncoder().encode('héllo €😀'));
        out.b64 = [btoa('hi'), atob('aGk=')];
        out.uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID());
        out.random = crypto.getRandomValues(new Uint8Array(8)).length;
        const c = structuredClone({ a: [1, { b: 2 }], d: new Date(0), m: new Map([[1, 2]]) });
        out.clone = [c.a, c.d instanceof Date, c.m.get(1)];
        const r = Response.json({ ok: true }, { status: 201 });
        out.json = [r.status, r.headers.get('content-type'), await r.json()];
        const ac = new AbortController(); ac.abort();
        out.abort = [ac.signal.aborted, ac.signal.reason.name];
        out.request = await new Request('https://x.test/', { method: 'post', body: 'b' }).text();
        out.types = [typeof performance.now(), typeof setInterval, typeof queueMicrotask, typeof DOMException];
        const blob = new Blob(['ab', new Uint8Array([99])], { type: 'Text/Plain' });
        out.blob = [blob.size, blob.type, await blob.text(), new Response(blob).headers.get('content-type'), await (await new Response('hey').blob()).text(), new File(['x'], 'f.txt').name];
        return Response.json(out);
      }`);
    const res = await w.invoke({ url: 'http://localhost/x?y=1', headers: [['x-in', 'yes']] });
    expect(JSON.parse(bodyText(res))).toEqual({
      url: ['/x', '1', 'https://x.test/p/a?b=1#h'],
      params: ['1,3', 'a=1&b=2&a=3&c=d+e'],
      headers: ['1, 2', ['a=1', 'b=2'], ['set-cookie', 'set-cookie', 'x-a'], 'yes'],
      text: 'héllo €😀',
      b64: ['aGk=', 'hi'],
      uuid: true,
      random: 8,
      clone: [[1, { b: 2 }], true, 2],
      json: [201, 'application/json', { ok: true }],
      abort: [true, 'AbortError'],
      request: 'b',
      types: ['number', 'function', 'function', 'function'],
      blob: [3, 'text/plain', 'abc', 'text/plain', 'hey', 'f.txt'],
    });
  });

  it('truncates a log message to limits.maxLogBytes', async () => {
    w = await ready(`export default () => { console.warn('x'.repeat(10000)); return new Response('') }`);
    const res = await w.invoke();
    const log = w.messagesFor(res.id, 'log')[0]!;
    expect(log.payload['level']).toBe('warn');
    expect(log.payload['message'].length).toBe(4096);
  });

  it('exposes no quickjs-libc std/os and no native binding', async () => {
    // process is the browser-bundle shim: no Node behind it.
    w = await ready(`export default () => Response.json([typeof std, typeof os, typeof __qw, typeof scriptArgs, typeof print, typeof process.versions.node, typeof process.binding, typeof require])`);
    expect(JSON.parse(bodyText(await w.invoke()))).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
  });
});
