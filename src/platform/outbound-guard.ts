// The guard for outbound requests made on a tenant's behalf (model URLs of
// API-made agents today; tool and webhook URLs can use the same): a refused
// address class (address-class.ts) is never connected to unless
// POSTROOM_OUTBOUND_ALLOW lists it. The check runs on the address actually
// connected to, after DNS (lookup() below is what the sockets resolve with),
// so a name that resolves elsewhere at connect time (DNS rebinding) is
// caught; guarded-fetch.ts sends every redirect hop through it too.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { OutboundAllow } from '../config/outbound-allow.ts';
import { CLASS_DESCRIPTIONS, bareAddress, classifyAddress, embeddedIpv4 } from './address-class.ts';
import type { AddressClass } from './address-class.ts';

/** Resolves a host name to every address it has (dns.lookup with all: true by default). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const SETTING = 'POSTROOM_OUTBOUND_ALLOW';
const RULE = `Postroom refuses loopback, private and link-local destinations unless ${SETTING} lists them`;

/** A destination the guard refused; nothing was sent to it. */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  readonly code = 'outbound_address_refused';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: AddressClass,
  ) {
    const described = CLASS_DESCRIPTIONS[addressClass];
    super(
      host === address
        ? `${address} is ${described}; ${RULE}`
        : `${host} resolves to ${address}, ${described}; ${RULE}`,
    );
  }
}

/** A host name that does not resolve (at check time). */
export class OutboundUnresolvableError extends Error {
  override readonly name = 'OutboundUnresolvableError';
  readonly code = 'outbound_host_unresolvable';
  constructor(
    readonly host: string,
    cause: unknown,
  ) {
    const reason = (cause as { code?: unknown } | null)?.code ?? (cause as Error)?.message;
    super(`cannot resolve ${host} (${String(reason)})`, { cause });
  }
}

export interface AddressGuard {
  /** Why `address` (what `host` resolved to) may not be connected to, or null when it may. */
  refusal(host: string, address: string): OutboundRefusedError | null;
  /** For sockets (net.connect, http.Agent): resolves, then fails with the refusal instead of connecting. */
  readonly lookup: LookupFunction;
  /** Resolve the host of `url` and check every address: for checks before saving a URL. */
  checkUrl(url: string): Promise<void>;
}

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

export function createAddressGuard(
  allow: OutboundAllow,
  resolver: Resolver = systemResolver,
): AddressGuard {
  const allowedHosts = new Set(allow.hosts);
  const allowedNetworks = new BlockList();
  for (const network of allow.networks) {
    allowedNetworks.addSubnet(network.address, network.prefix, network.family);
  }
  const listed = (address: string): boolean => {
    const candidates = [address, embeddedIpv4(address)].filter((a): a is string => a !== null);
    return candidates.some((a) => allowedNetworks.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6'));
  };

  function refusal(host: string, address: string): OutboundRefusedError | null {
    const name = bareAddress(host).toLowerCase().replace(/\.$/, '');
    if (allowedHosts.has(name)) return null;
    const bare = bareAddress(address);
    const addressClass = classifyAddress(bare);
    if (addressClass === null || listed(bare)) return null;
    return new OutboundRefusedError(isIP(name) ? bare : name, bare, addressClass);
  }

  /** Every address a host stands for, each checked: one refused address refuses the host. */
  async function resolveChecked(host: string): Promise<LookupAddress[]> {
    const bare = bareAddress(host);
    if (isIP(bare)) {
      const refused = refusal(bare, bare);
      if (refused) throw refused;
      return [{ address: bare, family: isIP(bare) }];
    }
    let addresses: LookupAddress[];
    try {
      addresses = await resolver(bare);
    } catch (error) {
      throw new OutboundUnresolvableError(bare, error);
    }
    if (addresses.length === 0) throw new OutboundUnresolvableError(bare, 'no address');
    for (const { address } of addresses) {
      const refused = refusal(bare, address);
      if (refused) throw refused;
    }
    return addresses;
  }

  const lookup = ((
    hostname: string,
    options: LookupOptions | number,
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const opts: LookupOptions = typeof options === 'number' ? { family: options } : options;
    resolveChecked(hostname).then(
      (addresses) => {
        const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : opts.family;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (!first) {
          callback(new OutboundUnresolvableError(hostname, `no IPv${family} address`), '');
        } else if (opts.all) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error, ''),
    );
  }) as LookupFunction;

  return {
    refusal,
    lookup,
    async checkUrl(url) {
      await resolveChecked(new URL(url).hostname);
    },
  };
}
