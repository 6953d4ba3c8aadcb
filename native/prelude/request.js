// WHATWG Request over a buffered body.
import { cloneBodyState, consumeState, extractBody, mixinBody } from './body.js';
import { Headers, copyHeaders } from './headers.js';
import { AbortController, AbortSignal } from './abort.js';
import { parseUrl } from './lazy-url.js';

const NORMALIZED = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const FORBIDDEN = ['CONNECT', 'TRACE', 'TRACK'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TRUSTED = Symbol('trusted');

function normalizeMethod(method) {
  method = String(method);
  if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
  const upper = method.toUpperCase();
  if (FORBIDDEN.includes(upper)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
  return NORMALIZED.includes(upper) ? upper : method;
}

let stateOf;

export class Request {
  #s;

  static {
    stateOf = (r) => r.#s;
  }

  constructor(input, init = undefined) {
    if (input === TRUSTED) {
      // Built by the runtime from an `invoke` message: already valid.
      this.#s = init;
      return;
    }
    init ??= {};
    const src = input instanceof Request ? input.#s : null;
    const s = {
      url: src ? src.url : parseUrl(String(input)),
      method: src ? src.method : 'GET',
      headers: null,
      bytes: src ? src.bytes : null,
      source: src ? src.source : null,
      shared: src ? Boolean(src.shared) : false,
      used: false,
      signal: null,
      redirect: src ? src.redirect : 'follow',
    };
    if (src && src.used) throw new TypeError('Cannot construct a Request with a Request whose body has already been used.');
    if (init.method !== undefined) s.method = normalizeMethod(init.method);
    if (init.redirect !== undefined) {
      if (!['follow', 'error', 'manual'].includes(init.redirect)) throw new TypeError(`Invalid redirect value: ${init.redirect}`);
      s.redirect = init.redirect;
    }
    s.headers = new Headers(init.headers !== undefined ? init.headers : src ? src.headers : undefined);
    if (init.body !== undefined && init.body !== null) {
      if (s.method === 'GET' || s.method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
      const { bytes, source, type, shared } = extractBody(init.body);
      s.bytes = bytes;
      s.source = source;
      s.shared = Boolean(shared);
      if (type && !s.headers.has('content-type')) s.headers.set('content-type', type);
    } else if (init.body === null) {
      s.bytes = null;
      s.source = null;
    }
    if (src && (s.bytes !== null || s.source) && init.body === undefined) src.used = true;
    const signal = init.signal !== undefined ? init.signal : src ? input.signal : null;
    s.signal = signal ?? new AbortController().signal;
    if (!(s.signal instanceof AbortSignal)) throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
    this.#s = s;
  }

  get method() {
    return this.#s.method;
  }
  get url() {
    return this.#s.url;
  }
  get headers() {
    return this.#s.headers;
  }
  get signal() {
    const s = this.#s;
    // Requests from the runtime create their signal on first use.
    if (typeof s.signal === 'function') s.signal = s.signal();
    return s.signal;
  }
  get redirect() {
    return this.#s.redirect;
  }
  get cache() {
    return 'default';
  }
  get credentials() {
    return 'same-origin';
  }
  get mode() {
    return 'cors';
  }
  get destination() {
    return '';
  }
  get referrer() {
    return 'about:client';
  }
  get integrity() {
    return '';
  }
  get keepalive() {
    return false;
  }

  clone() {
    return new Request(TRUSTED, { ...cloneBodyState(this.#s), headers: copyHeaders(this.#s.headers), signal: this.signal });
  }

  get [Symbol.toStringTag]() {
    return 'Request';
  }
}

mixinBody(Request, (r) => stateOf(r));

export function createRequest(url, method, headerPairs, bytes, signal) {
  const headers = new Headers();
  for (const [n, v] of headerPairs) headers.append(n, v);
  return new Request(TRUSTED, { url, method, headers, bytes, source: null, used: false, signal, redirect: 'follow' });
}

// The request body for fetch, read to the end (null for none).
export async function requestBytes(r) {
  const s = stateOf(r);
  if (s.bytes === null && !s.source) return null;
  return consumeState(s);
}
