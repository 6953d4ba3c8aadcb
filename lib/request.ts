import { BodyTooLargeError, InvalidRequestError } from './errors.js';
import type { HeaderPairs } from './protocol/index.js';
import { MAX_RESPONSE_HEADER_BYTES, MAX_RESPONSE_HEADERS } from './response-header-limits.js';
import type { WireRequest } from './workers/worker.js';

/** The base URL a handler sees when the caller gives only a path. */
export const DEFAULT_ORIGIN = 'http://localhost';

export type HeadersInput = Record<string, string | readonly string[]> | readonly (readonly [string, string])[] | Headers;

/** What `pool.invoke()` accepts. */
export interface InvokeRequest {
  /** Default `GET`. */
  method?: string;
  /** Path and query, e.g. `/users?x=1`, resolved against `http://localhost`. */
  path?: string;
  /** A full URL; takes precedence over `path`. */
  url?: string;
  headers?: HeadersInput;
  body?: string | Uint8Array | ArrayBuffer | null;
}

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_NAME = METHOD;

const encoder = new TextEncoder();
/** Below this many characters TextEncoder is the cheaper of the two (one call instead of two). */
const SHORT_TEXT = 256;

/**
 * A string body's UTF-8 bytes. Buffer's encoder for all but short text:
 * the same bytes (a lone surrogate becomes U+FFFD in both), at about half
 * TextEncoder's CPU on a 10 KB body (Node 20). In memory of its own, not a
 * slice of Buffer's shared pool: a thread transport's structured clone
 * copies a view's whole ArrayBuffer, other data in the pool included.
 */
function utf8(text: string): Uint8Array {
  if (text.length < SHORT_TEXT) return encoder.encode(text);
  const length = Buffer.byteLength(text, 'utf8');
  const bytes = Buffer.allocUnsafeSlow(length);
  bytes.write(text, 0, length, 'utf8');
  return new Uint8Array(bytes.buffer, 0, length);
}

/** Header values are bytes on the wire; text beyond Latin-1 travels as its UTF-8 bytes. */
function toByteString(value: string): string {
  // eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose
  return /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/**
 * What a request's headers may add up to: the limits a handler's response is
 * held to (response-header-limits.ts). 100,000 request headers were accepted,
 * and the call then ran to its deadline in every runtime's `Headers`.
 */
const MAX_REQUEST_HEADERS = MAX_RESPONSE_HEADERS;
const MAX_REQUEST_HEADER_BYTES = MAX_RESPONSE_HEADER_BYTES;

function normalizeHeaders(input: HeadersInput | undefined): HeaderPairs {
  const pairs: HeaderPairs = [];
  if (input === undefined) return pairs;
  let total = 0;
  const add = (name: string, value: string): void => {
    if (!HEADER_NAME.test(name)) throw new InvalidRequestError(`Invalid header name ${JSON.stringify(name)}`);
    if (/[\r\n\0]/.test(value)) throw new InvalidRequestError(`Invalid value for header ${name}: contains CR, LF or NUL`);
    if (pairs.length === MAX_REQUEST_HEADERS) {
      throw new InvalidRequestError(`The request has more than ${MAX_REQUEST_HEADERS} header fields, the most a request may carry`);
    }
    const bytes = toByteString(value);
    total += name.length + bytes.length;
    if (total > MAX_REQUEST_HEADER_BYTES) {
      throw new InvalidRequestError(
        `The request's header names and values add up to more than ${MAX_REQUEST_HEADER_BYTES} characters (reached at '${name.slice(0, 64)}'), the most a request may carry`,
      );
    }
    pairs.push([name.toLowerCase(), bytes]);
  };
  if (input instanceof Headers) {
    for (const [name, value] of input) add(name, value);
  } else if (Array.isArray(input)) {
    for (const pair of input as readonly unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new InvalidRequestError('headers given as a list must be [name, value] pairs');
      }
      add(String(pair[0]), String(pair[1]));
    }
  } else {
    for (const [name, value] of Object.entries(input as Record<string, string | readonly string[]>)) {
      if (Array.isArray(value)) for (const v of value) add(name, String(v));
      else add(name, String(value));
    }
  }
  return pairs;
}

/**
 * URLs already parsed, by what the caller wrote: callers send the same few
 * paths over and over, and parsing each was a visible share of invoke()'s
 * cost. The result depends on the text alone, so any pool may reuse it.
 */
const ABSOLUTE = new Map<string, string>();
const RELATIVE = new Map<string, string>();
const CACHED_URLS = 256;
const CACHED_URL_CHARS = 512;

function resolved(cache: Map<string, string>, text: string, base: string | undefined): string {
  let href = cache.get(text);
  if (href !== undefined) return href;
  href = new URL(text, base).href;
  if (text.length <= CACHED_URL_CHARS) {
    if (cache.size >= CACHED_URLS) cache.clear();
    cache.set(text, href);
  }
  return href;
}

/** Validates and normalises a request for the wire. Throws `INVALID_REQUEST` or `BODY_TOO_LARGE`. */
export function normalizeRequest(request: InvokeRequest, maxBodyBytes: number): WireRequest {
  if (typeof request !== 'object' || request === null) {
    throw new InvalidRequestError('invoke() expects a request object such as { method: "GET", path: "/" }');
  }
  const method = (request.method ?? 'GET').toUpperCase();
  if (!METHOD.test(method)) throw new InvalidRequestError(`Invalid method ${JSON.stringify(request.method)}`);
  let url: string;
  try {
    url = request.url !== undefined ? resolved(ABSOLUTE, request.url, undefined) : resolved(RELATIVE, request.path ?? '/', DEFAULT_ORIGIN);
  } catch {
    throw new InvalidRequestError(`Invalid url or path: ${JSON.stringify(request.url ?? request.path)}`);
  }
  let body: Uint8Array | null;
  const raw = request.body;
  if (raw === undefined || raw === null) body = null;
  else if (typeof raw === 'string') body = utf8(raw);
  else if (raw instanceof Uint8Array) body = raw;
  else if (raw instanceof ArrayBuffer) body = new Uint8Array(raw);
  else throw new InvalidRequestError('body must be a string, Uint8Array, ArrayBuffer or null');
  if (body !== null && body.byteLength > maxBodyBytes) {
    throw new BodyTooLargeError(
      `The request body is ${body.byteLength} bytes; the limit is ${maxBodyBytes} (maxBodyBytes option)`,
    );
  }
  if (body !== null && (method === 'GET' || method === 'HEAD')) {
    throw new InvalidRequestError(`A ${method} request cannot have a body`);
  }
  return { method, url, headers: normalizeHeaders(request.headers), body };
}
