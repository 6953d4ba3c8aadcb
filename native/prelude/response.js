// WHATWG Response over a buffered body.
import { cloneBody, consumeState, extractBody, mixinBody } from './body.js';
import { Headers, copyHeaders, freezeHeaders, headerList, trustedHeaders } from './headers.js';
import { parseUrl } from './lazy-url.js';
import { native } from './native.js';
import { MAX_RESPONSE_HEADER_BYTES, REASON_PHRASE } from '../../lib/response-header-limits.ts';

const NULL_BODY = [101, 103, 204, 205, 304];
const REDIRECT = [301, 302, 303, 307, 308];
const TRUSTED = Symbol('trusted');
const TEXT = 'text/plain;charset=UTF-8';
const { utf8Encode } = native;

// The state of a 200 response with `bytes` and only a content-type header:
// what the constructor makes of a string body without init, and
// Response.json() without init, taken without the checks that cannot fail
// there (the warm path of most handlers). Its own properties are the body
// and its header list; the rest are these defaults. Creating properties is
// most of what an object costs in QuickJS, so its Headers object is made
// only when something asks for it (`pairs` until then).
// Never handed to handler code (headersOf copies them), so never changed.
const TEXT_PAIRS = [['content-type', TEXT]];
const JSON_PAIRS = [['content-type', 'application/json']];
const PLAIN_RESPONSE = {
  __proto__: null,
  status: 200,
  statusText: '',
  headers: null,
  pairs: TEXT_PAIRS,
  bytes: null,
  source: null,
  shared: false,
  used: false,
  type: 'default',
  url: '',
  redirected: false,
  bodyStream: undefined,
};

function plainState(bytes, pairs) {
  const s = { __proto__: PLAIN_RESPONSE, bytes };
  if (pairs !== TEXT_PAIRS) s.pairs = pairs;
  return s;
}

function headersOf(s) {
  let h = s.headers;
  if (h === null) h = s.headers = trustedHeaders(s.pairs);
  return h;
}

let stateOf;
// Whether `value` is a Response made here (a private-name check: no proxy
// trap, getter or Symbol.hasInstance runs).
export let isResponse;

export class Response {
  #s;

  static {
    stateOf = (r) => r.#s;
    isResponse = (value) => typeof value === 'object' && value !== null && #s in value;
  }

  constructor(body = null, init = undefined) {
    if (typeof body === 'string' && init === undefined) {
      this.#s = plainState(utf8Encode(body), TEXT_PAIRS);
      return;
    }
    if (body === TRUSTED) {
      this.#s = init;
      return;
    }
    init ??= {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Failed to construct 'Response': The status provided (${init.status}) is outside the range [200, 599].`);
    }
    const statusText = init.statusText === undefined ? '' : String(init.statusText);
    // One longer than a response head may be is refused when the response is sent
    // (RESPONSE_TOO_LARGE): the regex alone took seconds, or ran out of memory, on 20 MB.
    if (statusText !== '' && statusText.length <= MAX_RESPONSE_HEADER_BYTES && !REASON_PHRASE.test(statusText)) {
      throw new TypeError('Invalid statusText');
    }
    const headers = new Headers(init.headers);
    let bytes = null;
    let source = null;
    let shared = false;
    if (body !== null && body !== undefined) {
      if (NULL_BODY.includes(status)) throw new TypeError(`Response with null body status (${status}) cannot have body`);
      const x = extractBody(body);
      bytes = x.bytes;
      source = x.source;
      shared = Boolean(x.shared);
      if (x.type && !headers.has('content-type')) headers.set('content-type', x.type);
    }
    this.#s = { status, statusText, headers, bytes, source, shared, used: false, type: 'default', url: '', redirected: false };
  }

  static json(data, init = undefined) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    if (init === undefined) return new Response(TRUSTED, plainState(utf8Encode(text), JSON_PAIRS));
    const headers = new Headers(init?.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...init, headers });
  }

  static redirect(url, status = 302) {
    if (!REDIRECT.includes(status)) throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
    const headers = freezeHeaders(new Headers({ location: parseUrl(String(url)) }));
    return new Response(TRUSTED, { status, statusText: '', headers, bytes: null, source: null, used: false, type: 'default', url: '', redirected: false });
  }

  static error() {
    return new Response(TRUSTED, { status: 0, statusText: '', headers: freezeHeaders(new Headers()), bytes: null, source: null, used: false, type: 'error', url: '', redirected: false });
  }

  get status() {
    return this.#s.status;
  }
  get ok() {
    return this.#s.status >= 200 && this.#s.status <= 299;
  }
  get statusText() {
    return this.#s.statusText;
  }
  get headers() {
    return headersOf(this.#s);
  }
  get type() {
    return this.#s.type;
  }
  get url() {
    return this.#s.url;
  }
  get redirected() {
    return this.#s.redirected;
  }

  clone() {
    const s = this.#s;
    const body = cloneBody(s);
    return new Response(TRUSTED, {
      status: s.status,
      statusText: s.statusText,
      headers: copyHeaders(headersOf(s)),
      bytes: body.bytes,
      source: body.source,
      shared: body.shared,
      used: false,
      type: s.type,
      url: s.url,
      redirected: s.redirected,
      bodyStream: undefined,
    });
  }

  get [Symbol.toStringTag]() {
    return 'Response';
  }
}

mixinBody(Response, stateOf, headersOf);

// A response from the host's fetch.
export function createFetchResponse(v) {
  const headers = new Headers();
  for (const [n, val] of v.headers ?? []) headers.append(n, val);
  freezeHeaders(headers);
  // Large bodies arrive already decoded (the runtime takes them out of the line).
  const bytes = v.body == null ? null : typeof v.body === 'string' ? native.base64Decode(v.body) : v.body;
  return new Response(TRUSTED, {
    status: v.status,
    statusText: v.statusText ?? '',
    headers,
    bytes,
    source: null,
    used: false,
    type: 'basic',
    url: v.url ?? '',
    redirected: Boolean(v.redirected),
  });
}

// The state the runtime sends back. Its body is taken (bodyUsed) unless it
// is a stream still to be read: then readResponseBody(s) reads it first.
export function takeResponse(r) {
  const s = stateOf(r);
  if (s.used) throw new TypeError('The handler returned a Response whose body has already been consumed.');
  // Status 0 means "no response" to fetch(); the host has nothing to answer with.
  if (s.type === 'error') throw new TypeError('The handler returned Response.error(), a network error, which has no status to answer with.');
  if (!s.source && s.bytes !== null) s.used = true;
  return s;
}

// A stream body read to the end, at most maxBodyBytes (BodyTooLarge past it).
export function readResponseBody(s, maxBodyBytes) {
  return consumeState(s, maxBodyBytes);
}

// The header list of a state takeResponse returned, [name, value][], and
// whether it is one of ours (a body's default content-type, with no status
// text): then it is known to be within the limits of a response head.
export function responseHeaderList(s) {
  return s.headers === null ? s.pairs : headerList(s.headers);
}
export function isPlainResponseHead(s) {
  return s.headers === null;
}
