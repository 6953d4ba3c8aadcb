import { isIP } from 'node:net';

/**
 * Host-name matching against `allowedDomains`.
 *
 * Dependency-free (only `node:net`) so the same rules can run inside a worker.
 */

/**
 * Normalises a host for comparison: lower-cased, one trailing dot removed, IPv6
 * brackets removed and IP literals put in canonical form (`0:0::1` becomes `::1`).
 */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return canonicalizeIp(h) ?? h;
}

/**
 * Canonical text of an IP literal, or `undefined` when `text` is not one.
 * The WHATWG URL serialiser gives one spelling per IPv6 address (zero runs
 * compressed, lower-case hex), the same spelling `URL.hostname` reports.
 */
export function canonicalizeIp(text: string): string | undefined {
  const version = isIP(text);
  if (version === 4) return text;
  if (version !== 6 || text.includes('%')) return undefined;
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/**
 * Finds the `allowedDomains` entry that grants `host`, or `undefined`.
 *
 * - `example.com` matches only `example.com`.
 * - `*.example.com` matches every subdomain at any depth and the apex
 *   `example.com` itself (the original system's semantics), never
 *   `evilexample.com`.
 * - Case and one trailing dot are ignored on both sides.
 * - An IP literal matches only an identical entry (compared in canonical form);
 *   wildcards never match IP literals.
 *
 * @returns the matching entry as it appears in `allowedDomains`.
 */
export function matchDomain(host: string, allowedDomains: readonly string[]): string | undefined {
  const target = normalizeHost(host);
  if (target === '') return undefined;
  const targetIsIp = isIP(target) !== 0;
  for (const entry of allowedDomains) {
    const pattern = normalizeHost(entry);
    if (targetIsIp) {
      if (pattern === target) return entry;
      continue;
    }
    if (pattern.startsWith('*.')) {
      const apex = pattern.slice(2);
      if (apex !== '' && (target === apex || target.endsWith(`.${apex}`))) return entry;
    } else if (pattern === target && isIP(pattern) === 0) {
      return entry;
    }
  }
  return undefined;
}
