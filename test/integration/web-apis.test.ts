import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * One handler, many probes: each path runs a snippet of Web API behaviour and
 * returns what it saw. Both runtimes must agree.
 */
const PROBES = `
const probes = {
  url() {
    const u = new URL('https://user:pw@Example.COM:8443/a/./b/../c?x=1&y=two%20words&x=3#frag');
    return { href: u.href, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname,
      search: u.search, hash: u.hash, username: u.username, origin: u.origin,
      xs: u.searchParams.getAll('x'), y: u.searchParams.get('y'),
      relative: new URL('../d?q', 'http://h/a/b/c').href,
      idn: new URL('http://müller.example/').hostname,
      canParse: typeof URL.canParse === 'function' ? URL.canParse('nope') : false };
  },
  searchParams() {
    const p = new URLSearchParams('a=1&b=2&a=3');
    p.append('c', 'x y'); p.set('b', '&='); p.delete('a');
    const sorted = new URLSearchParams('z=1&a=2'); sorted.sort();
    return { str: p.toString(), entries: [...p], sorted: sorted.toString(), fromObject: new URLSearchParams({ k: 'v', n: '1' }).toString(), has: p.has('c') };
  },
  headers() {
    const h = new Headers({ 'Content-Type': 'text/plain' });
    h.append('X-Multi', 'a'); h.append('x-multi', 'b');
    h.append('Set-Cookie', 'a=1'); h.append('Set-Cookie', 'b=2');
    return { ct: h.get('content-type'), multi: h.get('X-MULTI'), has: h.has('CONTENT-TYPE'),
      cookies: h.getSetCookie(), keys: [...h.keys()], missing: h.get('nope') };
  },
  async responseJson() {
    const r = Response.json({ a: [1, 2] }, { status: 202, headers: { 'x-k': 'v' } });
    return { status: r.status, ct: r.headers.get('content-type'), body: await r.json(), ok: r.ok,
      redirect: Response.redirect('http://x.example/', 302).headers.get('location') };
  },
  async requestBody(req) {
    const clone = req.clone();
    const bytes = new Uint8Array(await req.arrayBuffer());
    return { len: bytes.length, first: bytes[0], last: bytes[bytes.length - 1], text: (await clone.text()).length, bodyUsed: req.bodyUsed };
  },
  encoding() {
    const s = 'zażółć gęślą jaźń 🙂 日本';
    const bytes = new TextEncoder().encode(s);
    const back = new TextDecoder().decode(bytes);
    const partial = new TextDecoder().decode(new Uint8Array([0xf0, 0x9f, 0x99]));
    return { len: bytes.length, same: back === s, partial: partial.length > 0, b64: btoa('hello'), unb64: atob('aGVsbG8='),
      latin1: btoa(String.fromCharCode(255, 254)) };
  },
  async timers() {
    const order = [];
    // t300 only has to come after three 2 ms interval ticks: a wide margin, as a loaded
    // machine has delayed those ticks past 20 ms.
    setTimeout(() => order.push('t300'), 300);
    setTimeout(() => order.push('t0'), 0);
    queueMicrotask(() => order.push('micro'));
    Promise.resolve().then(() => order.push('promise'));
    const id = setTimeout(() => order.push('cancelled'), 5); clearTimeout(id);
    let ticks = 0;
    await new Promise((resolve) => { const iv = setInterval(() => { if (++ticks === 3) { clearInterval(iv); resolve(); } }, 2); });
    order.push('sync-end');
    await new Promise((r) => setTimeout(r, 320));
    return { order, ticks };
  },
  async awaitTimers() {
    const started = Date.now();
    const values = await Promise.all([10, 30, 20].map((ms) => new Promise((r) => setTimeout(() => r(ms), ms))));
    return { values, elapsedOk: Date.now() - started >= 25 };
  },
  misc() {
    const original = { a: [1, { b: new Date(0) }], m: new Map([[1, 2]]) };
    const copy = structuredClone(original);
    const buf = new Uint8Array(16); crypto.getRandomValues(buf);
    const ac = new AbortController(); let aborted = false; ac.signal.addEventListener('abort', () => { aborted = true; }); ac.abort();
    return { cloned: copy.a[1].b instanceof Date && copy !== original && copy.m.get(1) === 2,
      random: buf.some((x) => x !== 0), uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
      aborted, signalAborted: ac.signal.aborted, reason: ac.signal.reason?.name };
  },
  syntax() {
    class A { #x = 1; static make() { return new A(); } get x() { return this.#x; } }
    const o = { p: { q: null } };
    return { cls: A.make().x, opt: o.p?.q?.r ?? 'fallback', big: (2n ** 64n).toString(), spread: [...'ab', ...[1]], at: [1, 2, 3].at(-1) };
  },
};
const topLevel = await Promise.resolve('tla-ok');
export default {
  async fetch(req) {
    const name = new URL(req.url).pathname.slice(1);
    if (name === 'tla') return new Response(topLevel);
    return Response.json(await probes[name](req));
  },
};
`;

describe.each(RUNTIMES)('%s: Web APIs', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, PROBES, { maxWorkers: 1 });
  });
  afterAll(async () => p.close());
  const probe = async (name: string, init: { method?: string; body?: Uint8Array } = {}) =>
    (await p.invoke({ path: `/${name}`, ...init })).json() as Record<string, unknown>;

  it('supports top-level await in the bundle', async () => {
    expect((await p.invoke({ path: '/tla' })).text()).toBe('tla-ok');
  });

  it('parses URLs and search params as WHATWG says', async () => {
    expect(await probe('url')).toEqual({
      href: 'https://user:pw@example.com:8443/a/c?x=1&y=two%20words&x=3#frag',
      host: 'example.com:8443',
      hostname: 'example.com',
      port: '8443',
      pathname: '/a/c',
      search: '?x=1&y=two%20words&x=3',
      hash: '#frag',
      username: 'user',
      origin: 'https://example.com:8443',
      xs: ['1', '3'],
      y: 'two words',
      relative: 'http://h/a/d?q',
      idn: 'xn--mller-kva.example',
      canParse: false,
    });
    expect(await probe('searchParams')).toEqual({
      str: 'b=%26%3D&c=x+y',
      entries: [['b', '&='], ['c', 'x y']],
      sorted: 'a=2&z=1',
      fromObject: 'k=v&n=1',
      has: true,
    });
  });

  it('treats header names case-insensitively and keeps multiple values', async () => {
    expect(await probe('headers')).toEqual({
      ct: 'text/plain',
      multi: 'a, b',
      has: true,
      cookies: ['a=1', 'b=2'],
      keys: expect.any(Array),
      missing: null,
    });
    // The spec sorts names; Bun iterates in insertion order. Both must list every name, lower-cased.
    const { keys } = (await probe('headers')) as { keys: string[] };
    expect([...keys].sort()).toEqual(['content-type', 'set-cookie', 'set-cookie', 'x-multi']);
  });

  it('builds JSON responses and redirects', async () => {
    expect(await probe('responseJson')).toEqual({
      status: 202,
      // Bun appends ';charset=utf-8'; the spec's value is the bare type.
      ct: expect.stringMatching(/^application\/json(;charset=utf-8)?$/),
      body: { a: [1, 2] },
      ok: true,
      redirect: 'http://x.example/',
    });
  });

  it('reads binary request bodies, cloned', async () => {
    const body = new Uint8Array(1000).map((_, i) => i % 256);
    expect(await probe('requestBody', { method: 'POST', body })).toEqual({ len: 1000, first: 0, last: 231, text: expect.any(Number), bodyUsed: true });
  });

  it('round-trips text through TextEncoder/TextDecoder and base64', async () => {
    expect(await probe('encoding')).toEqual({ len: 38, same: true, partial: true, b64: 'aGVsbG8=', unb64: 'hello', latin1: '//4=' });
  });

  it('orders microtasks before timers, timers by delay, and cancels cleared ones', async () => {
    const seen = (await probe('timers')) as { order: string[]; ticks: number };
    expect(seen.ticks).toBe(3);
    expect(seen.order).toEqual(['micro', 'promise', 't0', 'sync-end', 't300']);
  });

  it('runs an async handler that awaits several timers', async () => {
    expect(await probe('awaitTimers')).toEqual({ values: [10, 30, 20], elapsedOk: true });
  });

  it('has structuredClone, crypto, AbortController', async () => {
    expect(await probe('misc')).toEqual({ cloned: true, random: true, uuid: true, aborted: true, signalAborted: true, reason: 'AbortError' });
  });

  it('runs modern syntax: private fields, optional chaining, BigInt', async () => {
    expect(await probe('syntax')).toEqual({ cls: 1, opt: 'fallback', big: '18446744073709551616', spread: ['a', 'b', 1], at: 3 });
  });
});
