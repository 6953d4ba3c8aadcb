/*
 * Which request headers `guardedFetch` forwards. Header names are compared
 * lower-cased.
 */

/** Connection-level headers a proxy must not forward (RFC 9110 §7.6.1), plus ones we set ourselves. */
const NEVER_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
]);

/** Dropped when a redirect leaves the origin of the previous hop. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'cookie2']);

/** Dropped when a redirect turns the request into a body-less GET. */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location']);

/**
 * Lower-cases names, drops hop-by-hop headers (including those the
 * `connection` header names) and joins repeated names with ", " as the Fetch
 * `Headers` class does.
 */
export function normalizeRequestHeaders(headers: readonly (readonly [string, string])[]): Map<string, string> {
  const named = new Set<string>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const token of value.split(',')) named.add(token.trim().toLowerCase());
  }
  const out = new Map<string, string>();
  for (const [rawName, value] of headers) {
    const name = rawName.toLowerCase();
    if (NEVER_FORWARDED.has(name) || named.has(name)) continue;
    const previous = out.get(name);
    out.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return out;
}

/** Removes credentials before following a redirect to another origin. */
export function dropCredentials(headers: Map<string, string>): void {
  for (const name of CREDENTIAL_HEADERS) headers.delete(name);
}

/** Removes body description headers when a redirect drops the body. */
export function dropBodyHeaders(headers: Map<string, string>): void {
  for (const name of BODY_HEADERS) headers.delete(name);
}
