// Every address class the outbound guard refuses, its edges, the IPv6 forms
// that stand for an IPv4 address, and ordinary public addresses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ADDRESS_CLASSES,
  CLASS_DESCRIPTIONS,
  classifyAddress,
  embeddedIpv4,
  type AddressClass,
} from '../../../src/platform/address-class.ts';

const CASES: Array<[string, AddressClass | null]> = [
  // loopback
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['127.0.0.2', 'loopback'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['[::1]', 'loopback'],
  // private (RFC 1918), with the edges of each range
  ['10.0.0.0', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.15.255.255', null],
  ['172.32.0.0', null],
  ['192.168.0.1', 'private'],
  ['192.168.255.255', 'private'],
  ['192.169.0.1', null],
  // link-local, cloud metadata included
  ['169.254.169.254', 'link_local'],
  ['169.254.0.1', 'link_local'],
  ['fe80::1', 'link_local'],
  ['fe80::1%eth0', 'link_local'],
  ['febf:ffff::1', 'link_local'],
  // unique local fc00::/7
  ['fc00::1', 'unique_local'],
  ['fd12:3456:789a::1', 'unique_local'],
  ['fe00::1', null],
  // unspecified and "this network"
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  // CGNAT shared space 100.64.0.0/10
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.63.255.255', null],
  ['100.128.0.0', null],
  // multicast
  ['224.0.0.1', 'multicast'],
  ['239.255.255.255', 'multicast'],
  ['ff02::1', 'multicast'],
  // reserved: broadcast, 240/4, documentation, benchmarking, protocol assignments
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['100::1', 'reserved'],
  ['fec0::1', 'reserved'],
  ['::2', 'reserved'],
  ['::127.0.0.1', 'reserved'],
  // IPv4 inside IPv6: classified as the IPv4 address they reach
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'link_local'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:8.8.8.8', null],
  ['64:ff9b::10.0.0.1', 'private'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::808:808', null],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:c0a8:101::1', 'private'],
  ['2002:808:808::1', null],
  // public
  ['8.8.8.8', null],
  ['1.1.1.1', null],
  ['93.184.216.34', null],
  ['2606:4700:4700::1111', null],
  ['2a00:1450:4001:82a::200e', null],
];

describe('classifyAddress', () => {
  for (const [address, expected] of CASES) {
    test(`${address} → ${expected ?? 'public'}`, () => {
      assert.equal(classifyAddress(address), expected);
    });
  }

  test('every class is covered above and has a description', () => {
    const seen = new Set(CASES.map(([, c]) => c));
    for (const name of ADDRESS_CLASSES) {
      assert.ok(seen.has(name), name);
      assert.match(CLASS_DESCRIPTIONS[name], /^an? .* address$/);
    }
  });

  test('anything but an IP address is an error, not a guess', () => {
    for (const value of ['localhost', '', '127.1', '1.2.3.4.5', 'fe80::zz']) {
      assert.throws(() => classifyAddress(value), TypeError, value);
    }
  });
});

describe('embeddedIpv4', () => {
  test('mapped, NAT64 and 6to4 forms give the IPv4 address; others none', () => {
    assert.equal(embeddedIpv4('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(embeddedIpv4('::ffff:c000:201'), '192.0.2.1');
    assert.equal(embeddedIpv4('64:ff9b::c000:201'), '192.0.2.1');
    assert.equal(embeddedIpv4('2002:c000:201::'), '192.0.2.1');
    assert.equal(embeddedIpv4('2001:db8::1'), null);
    assert.equal(embeddedIpv4('::1'), null);
    assert.equal(embeddedIpv4('10.0.0.1'), null);
  });
});
