import type { Capabilities } from './schema.js';
import { matchDomain } from './domains.js';

/** The fields of `Capabilities` the network rules read. */
export type NetworkCapabilities = Pick<Capabilities, 'allowNetwork'> & { allowedDomains: readonly string[] };

/** A refusal: `target` is what was refused, `rule` which rule said no, `fix` how to allow it. */
export interface NetworkRefusal {
  allowed: false;
  target: string;
  rule: string;
  fix: string;
}

/** Result of `checkUrl`; on success `url` is the parsed URL to request. */
export type UrlDecision = { allowed: true; url: URL } | NetworkRefusal;

/**
 * The target as shown in denials and events: scheme, host, port and path, but
 * no user info or query string (those may carry secrets).
 */
export function describeTarget(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Name-level network rules, checked before any lookup:
 *
 * - only `http:` and `https:`;
 * - nothing unless `allowNetwork`;
 * - the host must match `allowedDomains` (see `matchDomain`) unless the list
 *   is empty, which allows any host whose addresses are public.
 *
 * The URL is parsed with WHATWG `new URL()`, the parser `guardedFetch` uses
 * to connect, so `http://0x7f.1/` is judged as `127.0.0.1` and in
 * `http://allowed.com@127.0.0.1/` the host is `127.0.0.1`. Addresses are
 * judged later, on what the name resolves to.
 */
export function checkUrl(url: string | URL, caps: NetworkCapabilities): UrlDecision {
  let parsed: URL;
  try {
    parsed = new URL(typeof url === 'string' ? url : url.href);
  } catch {
    return { allowed: false, target: String(url), rule: 'invalid URL', fix: 'pass an absolute http: or https: URL' };
  }
  const target = describeTarget(parsed);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return {
      allowed: false,
      target,
      rule: `scheme ${parsed.protocol} not allowed`,
      fix: 'only http: and https: URLs can be fetched',
    };
  }
  if (!caps.allowNetwork) {
    return { allowed: false, target, rule: 'network not allowed', fix: 'set allowNetwork: true in the capabilities' };
  }
  if (caps.allowedDomains.length > 0 && matchDomain(parsed.hostname, caps.allowedDomains) === undefined) {
    return {
      allowed: false,
      target,
      rule: `host ${parsed.hostname} not in allowedDomains`,
      fix: `add "${parsed.hostname}" to allowedDomains`,
    };
  }
  return { allowed: true, url: parsed };
}
