import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves every address of `hostname`; `guardedFetch` accepts one for tests. */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (`dns.lookup` with `all: true`: /etc/hosts, then DNS). */
export const resolveWithSystem: ResolveHost = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** The addresses to judge for a URL host: the literal itself, or what `resolve` answers. */
export async function addressesOf(hostname: string, resolve: ResolveHost): Promise<readonly ResolvedAddress[]> {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const version = isIP(bare);
  if (version !== 0) return [{ address: bare, family: version === 6 ? 6 : 4 }];
  return resolve(bare);
}

/**
 * A `lookup` for `http.request` that answers only with addresses already
 * checked, whatever name it is asked for: the socket connects to what was
 * judged, and no second DNS answer can be slipped in (DNS rebinding).
 */
export function createPinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  // Answer asynchronously, as dns.lookup does. Node's socket code assumes it:
  // answered synchronously, a connect() that fails at once (EMFILE when the
  // host is out of descriptors) emits 'error' on the socket before
  // http.request has attached its listener, and the host process dies of an
  // unhandled 'error'.
  return (hostname, options, callback) => setImmediate(() => answer(addresses, hostname, options, callback));
}

function answer(
  addresses: readonly ResolvedAddress[],
  _hostname: string,
  options: Parameters<LookupFunction>[1],
  callback: Parameters<LookupFunction>[2],
): void {
  const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
  const first = wanted[0];
  if (first === undefined) {
    const error = Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' });
    callback(error, '', 0);
  } else if (options.all === true) {
    callback(null, wanted.map(({ address, family }) => ({ address, family })));
  } else {
    callback(null, first.address, first.family);
  }
}
