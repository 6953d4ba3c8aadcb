import { BlockList, isIP } from 'node:net';

/**
 * What kind of destination an IP address is. Only `public` is reachable
 * without the profile naming the address (see `guardedFetch`).
 */
export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

type Range = readonly [network: string, prefix: number, kind: Exclude<AddressClass, 'public'>];

// Order matters: the first matching range wins, so the single metadata
// addresses come before the blocks that contain them.
const IPV4_RANGES: readonly Range[] = [
  ['169.254.169.254', 32, 'metadata'], // AWS, GCP, Azure, OpenStack, ...
  ['169.254.170.2', 32, 'metadata'], // AWS ECS task credentials
  ['100.100.100.200', 32, 'metadata'], // Alibaba Cloud
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // carrier-grade NAT
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // TEST-NET-1
  ['192.88.99.0', 24, 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // TEST-NET-2
  ['203.0.113.0', 24, 'reserved'], // TEST-NET-3
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255
];

// IPv6 forms that carry an IPv4 address are handled before these ranges.
const IPV6_RANGES: readonly Range[] = [
  ['fd00:ec2::254', 128, 'metadata'], // AWS IMDS over IPv6
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'private'], // unique local
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // deprecated site-local
  ['ff00::', 8, 'multicast'],
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 23, 'reserved'], // IETF protocol assignments, Teredo included
  ['2001:db8::', 32, 'reserved'], // documentation
  ['3fff::', 20, 'reserved'], // documentation (RFC 9637)
  ['5f00::', 16, 'reserved'], // SRv6 SIDs
];

function buildLists(ranges: readonly Range[], type: 'ipv4' | 'ipv6'): ReadonlyArray<readonly [BlockList, Range[2]]> {
  return ranges.map(([network, prefix, kind]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, type);
    return [list, kind] as const;
  });
}

const IPV4_LISTS = buildLists(IPV4_RANGES, 'ipv4');
const IPV6_LISTS = buildLists(IPV6_RANGES, 'ipv6');
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');

/**
 * Classifies an IPv4 or IPv6 address (brackets and a `%zone` suffix are
 * accepted). IPv6 addresses that embed an IPv4 address (`::ffff:a.b.c.d`
 * mapped, `::a.b.c.d` compatible, `64:ff9b::/96` NAT64, `2002::/16` 6to4) are
 * classified by that IPv4 address. IPv6 outside `2000::/3` is never public.
 *
 * @throws TypeError when `ip` is not an IP address.
 */
export function classifyAddress(ip: string): AddressClass {
  let text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const version = isIP(text);
  if (version === 4) return classifyV4(text);
  if (version !== 6) throw new TypeError(`classifyAddress: "${ip}" is not an IP address`);
  const words = parseIpv6(text);
  const embedded = embeddedIpv4(words);
  if (embedded !== undefined) return classifyV4(embedded);
  for (const [list, kind] of IPV6_LISTS) if (list.check(text, 'ipv6')) return kind;
  return GLOBAL_UNICAST.check(text, 'ipv6') ? 'public' : 'reserved';
}

function classifyV4(ip: string): AddressClass {
  for (const [list, kind] of IPV4_LISTS) if (list.check(ip, 'ipv4')) return kind;
  return 'public';
}

/** The IPv4 address an IPv6 address carries, if it is one of the embedding forms. */
function embeddedIpv4(w: readonly number[]): string | undefined {
  const zeros = (from: number, to: number): boolean => w.slice(from, to).every((x) => x === 0);
  const tail = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const [w0 = 0, w1 = 0, w2 = 0, , w4 = 0, w5 = 0, w6 = 0, w7 = 0] = w;
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT translated).
  if (zeros(0, 5) && w5 === 0xffff) return tail(w6, w7);
  if (zeros(0, 4) && w4 === 0xffff && w5 === 0) return tail(w6, w7);
  // ::a.b.c.d (compatible); :: and ::1 themselves are not embeddings.
  if (zeros(0, 6) && (w6 !== 0 || w7 > 1)) return tail(w6, w7);
  // 64:ff9b::/96, the well-known NAT64 prefix.
  if (w0 === 0x64 && w1 === 0xff9b && zeros(2, 6)) return tail(w6, w7);
  // 2002:AABB:CCDD::/48, 6to4.
  if (w0 === 0x2002) return tail(w1, w2);
  return undefined;
}

/** Eight 16-bit words of a valid IPv6 address (already checked with `isIP`). */
function parseIpv6(text: string): number[] {
  let body = text;
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Rewrite a dotted IPv4 tail as two hex words so one parser handles both.
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    body = `${body.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const toWords = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = body.indexOf('::');
  if (gap === -1) return toWords(body);
  const head = toWords(body.slice(0, gap));
  const rest = toWords(body.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
}
