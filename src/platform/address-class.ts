// Which destinations an outbound request made for a tenant must not reach
// unless the operator allows them: the machine itself, the private network
// around it, cloud metadata (169.254.169.254) and addresses that are not
// unicast destinations at all. Pure: no I/O, no DNS.
import { BlockList, isIP } from 'node:net';

export const ADDRESS_CLASSES = [
  'loopback',
  'private',
  'link_local',
  'unique_local',
  'unspecified',
  'cgnat',
  'multicast',
  'reserved',
] as const;
export type AddressClass = (typeof ADDRESS_CLASSES)[number];

/** "a loopback address": how a refusal names the class. */
export const CLASS_DESCRIPTIONS: Record<AddressClass, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  link_local: 'a link-local address',
  unique_local: 'a unique local (fc00::/7) address',
  unspecified: 'an unspecified address',
  cgnat: 'a shared (CGNAT, 100.64.0.0/10) address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

const RANGES: Record<AddressClass, { v4: string[]; v6: string[] }> = {
  loopback: { v4: ['127.0.0.0/8'], v6: ['::1/128'] },
  private: { v4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], v6: [] },
  // 169.254.169.254 (cloud instance metadata, with its credentials) is here.
  link_local: { v4: ['169.254.0.0/16'], v6: ['fe80::/10'] },
  unique_local: { v4: [], v6: ['fc00::/7'] },
  // Linux connects 0.0.0.0 (and 0.x) to the local host.
  unspecified: { v4: ['0.0.0.0/8'], v6: ['::/128'] },
  cgnat: { v4: ['100.64.0.0/10'], v6: [] },
  multicast: { v4: ['224.0.0.0/4'], v6: ['ff00::/8'] },
  // IETF protocol assignments, documentation, benchmarking, 240/4 (with the
  // broadcast address); IPv6 discard, documentation and the old site-local.
  reserved: {
    v4: [
      '192.0.0.0/24',
      '192.0.2.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4',
    ],
    v6: ['100::/64', '2001:db8::/32', 'fec0::/10'],
  },
};

const LISTS = ADDRESS_CLASSES.map((name) => {
  const list = new BlockList();
  for (const range of RANGES[name].v4) addRange(list, range, 'ipv4');
  for (const range of RANGES[name].v6) addRange(list, range, 'ipv6');
  return [name, list] as const;
});

function addRange(list: BlockList, range: string, family: 'ipv4' | 'ipv6'): void {
  const [network = '', prefix = ''] = range.split('/');
  list.addSubnet(network, Number(prefix), family);
}

/** `fe80::1%eth0` → `fe80::1`; `[::1]` → `::1`. */
export function bareAddress(address: string): string {
  const unbracketed =
    address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = unbracketed.indexOf('%');
  return zone === -1 ? unbracketed : unbracketed.slice(0, zone);
}

/** The eight 16-bit groups of an IPv6 address (any textual form, with or without a dotted tail). */
function groupsOf(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map(
    (group) => parseInt(group, 16),
  );
}

/**
 * The IPv4 address an IPv6 one stands for, where connecting to it reaches
 * that IPv4 host: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and
 * 6to4 (2002::/16). Null for every other address.
 */
export function embeddedIpv4(address: string): string | null {
  const bare = bareAddress(address);
  if (isIP(bare) !== 6) return null;
  const g = groupsOf(bare);
  const v4 = (high: number, low: number): string =>
    [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return v4(g[6] ?? 0, g[7] ?? 0);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6] ?? 0, g[7] ?? 0);
  if (g[0] === 0x2002) return v4(g[1] ?? 0, g[2] ?? 0);
  return null;
}

/**
 * The class of an IP address that outbound requests refuse, or null for an
 * ordinary public unicast address. Throws on something that is not an IP.
 */
export function classifyAddress(address: string): AddressClass | null {
  const bare = bareAddress(address);
  const family = isIP(bare);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  const embedded = embeddedIpv4(bare);
  if (embedded !== null) return classifyAddress(embedded);
  if (family === 6) {
    const g = groupsOf(bare);
    // IPv4-compatible ::a.b.c.d (deprecated): no route means what it seems to.
    if (g.slice(0, 6).every((x) => x === 0) && ((g[6] ?? 0) !== 0 || (g[7] ?? 0) > 1)) {
      return 'reserved';
    }
  }
  const kind = family === 4 ? 'ipv4' : 'ipv6';
  for (const [name, list] of LISTS) if (list.check(bare, kind)) return name;
  return null;
}
