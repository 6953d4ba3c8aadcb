import { classifyAddress } from './addresses.js';
import { canonicalizeIp, normalizeHost } from './domains.js';

/** Result of `checkAddress`. */
export type AddressDecision = { allowed: true } | { allowed: false; rule: string; fix: string };

/**
 * Address-level rule: public addresses are allowed; any other class
 * (private, loopback, link-local, metadata, unspecified, multicast, reserved)
 * only when `allowedDomains` lists that exact IP literal, or, for loopback,
 * lists `localhost`.
 */
export function checkAddress(ip: string, allowedDomains: readonly string[]): AddressDecision {
  const kind = classifyAddress(ip);
  if (kind === 'public') return { allowed: true };
  const canonical = canonicalizeIp(ip) ?? ip;
  const listed = allowedDomains.map(normalizeHost);
  if (listed.includes(canonical)) return { allowed: true };
  if (kind === 'loopback' && listed.includes('localhost')) return { allowed: true };
  const alternatives = kind === 'loopback' ? ` or "localhost"` : '';
  return {
    allowed: false,
    rule: `${kind} address ${canonical} not allowed`,
    fix: `list "${canonical}"${alternatives} in allowedDomains to reach it`,
  };
}
