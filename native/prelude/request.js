// WHATWG Request over a buffered body.
import { cloneBody, consumeState, extractBody, mixinBody } from './body.js';
import { Headers, copyHeaders, headersFromPairs } from './headers.js';
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

// The state of a request from the runtime (createRequest) starts as these
// defaults; its own properties are only what differs per invocation.
// Creating properties is most of what an object costs in QuickJS, and the
// handler may never look at the headers or the signal: both are made on
// first use, the headers from the host's pairs, the signal with an
// AbortController that a cancel before then leaves `aborted` for.
const RUNTIME_REQUEST = {
  __proto__: null,
  url: '',
  method: 'GET',
  headers: null,
  pairs: null,
  bytes: null,
  source: null,
  shared: false,
  used: false,
  signal: null,
  controller: null,
  aborted: false,
  redirect: 'follow',
  bodyStream: undefined,
};
const NO_PAIRS = Object.freeze([]);

function headersOf(s) {
  let h = s.headers;
  if (h === null) h = s.headers = headersFromPairs(s.pairs ?? NO_PAIRS);
  return h;
}

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
    s.headers = new Headers(init.headers !== undefined ? init.headers : src ? headersOf(src) : undefined);
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
    return headersOf(this.#s);
  }
  get signal() {
    const s = this.#s;
    // Requests from the runtime create their signal on first use.
    if (s.signal === null) {
      const controller = new AbortController();
      s.controller = controller;
      if (s.aborted) controller.abort();
      s.signal = controller.signal;
    }
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
    const s = this.#s;
    const body = cloneBody(s);
    const headers = copyHeaders(headersOf(s));
    return new Request(TRUSTED, {
      url: s.url,
      method: s.method,
      headers,
      bytes: body.bytes,
      source: body.source,
      shared: body.shared,
      used: false,
      signal: this.signal,
      redirect: s.redirect,
      bodyStream: undefined,
    });
  }

  get [Symbol.toStringTag]() {
    return 'Request';
  }
}

mixinBody(Request, stateOf, headersOf);

// The request of an invocation: the host's url, method, header pairs
// ([name, value][], checked and normalised when the handler first reads
// them) and body bytes (or null).
export function createRequest(url, method, pairs, bytes) {
  const s = { __proto__: RUNTIME_REQUEST, url };
  if (method !== 'GET') s.method = method;
  if (pairs !== null && pairs.length !== 0) s.pairs = pairs;
  if (bytes !== null) s.bytes = bytes;
  return new Request(TRUSTED, s);
}

// A cancel from the host: the request's signal aborts, now or when it is made.
export function abortRequest(r) {
  const s = stateOf(r);
  s.aborted = true;
  s.controller?.abort();
}

// The request body for fetch, read to the end (null for none).
export async function requestBytes(r) {
  const s = stateOf(r);
  if (s.bytes === null && !s.source) return null;
  return consumeState(s);
}
