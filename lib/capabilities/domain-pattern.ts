import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { canonicalizeIp } from './domains.js';

/** Outcome of `normalizeDomainPattern`: the cleaned entry, or why it was refused. */
export type DomainPatternResult = { ok: true; value: string } | { ok: false; reason: string };

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
// The WHATWG host parser treats a name whose last label is a number as IPv4.
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;

/**
 * Checks one `allowedDomains` entry and returns it in the form `matchDomain`
 * compares: lower-case, without a trailing dot, IDN in punycode, IPv6 without
 * brackets and in canonical spelling. Accepted: `example.com`,
 * `*.example.com`, `localhost`, `203.0.113.7`, `::1`, `[::1]`.
 */
export function normalizeDomainPattern(entry: string): DomainPatternResult {
  const refuse = (reason: string): DomainPatternResult => ({ ok: false, reason });
  if (entry === '') return refuse('must not be empty');
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\s\u0000-\u001f\u007f]/.test(entry)) return refuse('must not contain whitespace or control characters');
  if (entry.includes('://')) return refuse('must be a host name without a scheme (drop "http://")');
  if (entry.includes('/')) return refuse('must be a host name without a path');
  if (entry.includes('@')) return refuse('must be a host name without user info');

  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close === -1) return refuse('has an unclosed "["');
    if (close !== entry.length - 1) return refuse('must not include a port');
    const ip = canonicalizeIp(entry.slice(1, -1));
    if (ip === undefined || isIP(ip) !== 6) return refuse('brackets may only hold an IPv6 address');
    return { ok: true, value: ip };
  }
  if (isIP(entry) === 6) {
    const ip = canonicalizeIp(entry);
    return ip === undefined ? refuse('IPv6 zone ids ("%eth0") are not allowed') : { ok: true, value: ip };
  }
  if (entry.includes(':')) return refuse('must not include a port');

  let host = entry.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '*') return refuse('a bare "*" is not allowed; leave allowedDomains empty to allow every public host');
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (host.includes('*')) return refuse('"*" is only allowed as a whole leading label, as in "*.example.com"');
  if (isIP(host) === 4) {
    return wildcard ? refuse('a wildcard cannot apply to an IP address') : { ok: true, value: host };
  }
  if (/[^\u0000-\u007f]/.test(host)) host = domainToASCII(host); // eslint-disable-line no-control-regex -- "not ASCII"
  if (host === '' || host.length > 253) return refuse('must be a valid host name such as "example.com" or "*.example.com"');
  const labels = host.split('.');
  if (!labels.every((label) => LABEL.test(label))) {
    return refuse('must be a valid host name such as "example.com" or "*.example.com"');
  }
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? '')) {
    return refuse('looks like an IP address but is not a dotted-quad IPv4 address');
  }
  return { ok: true, value: wildcard ? `*.${host}` : host };
}
