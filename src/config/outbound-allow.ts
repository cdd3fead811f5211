// POSTROOM_OUTBOUND_ALLOW: the hosts and networks outbound requests made for
// tenants may reach although their address is loopback, private, link-local
// and so on (src/platform/address-class.ts). Public addresses need no entry.
// Parsed to plain data here so the frozen environment can hold it.
import { isIP } from 'node:net';

interface AllowedNetwork {
  /** The network address as written (brackets removed). */
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface OutboundAllow {
  /** Host names, lower case without a trailing dot: allowed whatever they resolve to. */
  hosts: string[];
  /** Addresses (as /32 or /128) and CIDR ranges. */
  networks: AllowedNetwork[];
}

export const NOTHING_ALLOWED: OutboundAllow = { hosts: [], networks: [] };

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Parse a comma-separated list; throws an Error naming the bad entry. */
export function parseOutboundAllow(value: string): OutboundAllow {
  const allow: OutboundAllow = { hosts: [], networks: [] };
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.includes('://')) throw notAnEntry(entry);
    const network = parseNetwork(entry);
    if (network) {
      allow.networks.push(network);
      continue;
    }
    const host = entry.toLowerCase().replace(/\.$/, '');
    const labels = host.split('.');
    // All digits ("127.1") is an IP address in a form URLs rewrite: it would never match.
    const numeric = labels.every((label) => /^\d+$/.test(label));
    if (host.length <= 253 && !numeric && labels.every((label) => LABEL.test(label))) {
      allow.hosts.push(host);
      continue;
    }
    throw notAnEntry(entry);
  }
  return allow;
}

function notAnEntry(entry: string): Error {
  return new Error(
    `"${entry}" is not a host name, an IP address or a CIDR range like 10.0.0.0/8 (entries are comma-separated, without scheme or port)`,
  );
}

function parseNetwork(entry: string): AllowedNetwork | null {
  const slash = entry.indexOf('/');
  const rawAddress = slash === -1 ? entry : entry.slice(0, slash);
  const address =
    rawAddress.startsWith('[') && rawAddress.endsWith(']') ? rawAddress.slice(1, -1) : rawAddress;
  const family = isIP(address);
  if (family === 0) {
    if (slash !== -1) throw new Error(`"${entry}": ${rawAddress} is not an IP address`);
    return null;
  }
  const max = family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : entry.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) {
    throw new Error(`"${entry}": the prefix length must be a number from 0 to ${max}`);
  }
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}
