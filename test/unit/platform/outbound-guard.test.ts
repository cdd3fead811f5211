// The guard's decisions with an injected resolver (no DNS, no sockets): what
// the allow-list lets through, how refusals read, and the lookup() sockets use.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, test } from 'node:test';
import { parseOutboundAllow } from '../../../src/config/outbound-allow.ts';
import {
  OutboundRefusedError,
  OutboundUnresolvableError,
  createAddressGuard,
  type Resolver,
} from '../../../src/platform/outbound-guard.ts';

const records: Record<string, LookupAddress[]> = {
  'public.test': [{ address: '93.184.216.34', family: 4 }],
  'rebind.test': [{ address: '127.0.0.1', family: 4 }],
  'mixed.test': [
    { address: '93.184.216.34', family: 4 },
    { address: '10.0.0.5', family: 4 },
  ],
  'dual.test': [
    { address: '2606:4700::1', family: 6 },
    { address: '93.184.216.35', family: 4 },
  ],
  'models.internal': [{ address: '10.1.2.3', family: 4 }],
};
const resolver: Resolver = async (host) => {
  const found = records[host.replace(/\.$/, '')];
  if (!found)
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

const guardOf = (allow = '') => createAddressGuard(parseOutboundAllow(allow), resolver);

async function refusedWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof OutboundRefusedError, String(error));
    assert.equal(error.code, 'outbound_address_refused');
    assert.match(error.message, pattern);
    assert.match(error.message, /unless POSTROOM_OUTBOUND_ALLOW lists them$/);
    return true;
  });
}

describe('address guard', () => {
  test('public addresses and names pass with an empty allow-list', async () => {
    const guard = guardOf();
    await guard.checkUrl('https://public.test/v1');
    await guard.checkUrl('https://93.184.216.34/v1');
    await guard.checkUrl('https://[2606:4700:4700::1111]/v1');
    await guard.checkUrl('https://dual.test/v1');
  });

  test('refusals name the host, the address, its class and the setting', async () => {
    const guard = guardOf();
    await refusedWith(
      guard.checkUrl('http://127.0.0.1:8080/v1'),
      /^127\.0\.0\.1 is a loopback address; /,
    );
    await refusedWith(guard.checkUrl('http://[::1]/'), /^::1 is a loopback address/);
    await refusedWith(
      guard.checkUrl('http://rebind.test/'),
      /^rebind\.test resolves to 127\.0\.0\.1, a loopback address/,
    );
    await refusedWith(guard.checkUrl('http://169.254.169.254/latest/meta-data/'), /link-local/);
    await refusedWith(
      guard.checkUrl('http://[::ffff:127.0.0.1]/'),
      /^::ffff:7f00:1 is a loopback address/,
    );
    await refusedWith(guard.checkUrl('http://2130706433/'), /^127\.0\.0\.1 is a loopback/);
    // One private address among public ones refuses the name: no picking the safe one.
    await refusedWith(
      guard.checkUrl('http://mixed.test/'),
      /^mixed\.test resolves to 10\.0\.0\.5, a private/,
    );
  });

  test('a name that does not resolve is its own error', async () => {
    await assert.rejects(guardOf().checkUrl('http://nowhere.test/'), (error: unknown) => {
      assert.ok(error instanceof OutboundUnresolvableError);
      assert.equal(error.code, 'outbound_host_unresolvable');
      assert.match(error.message, /^cannot resolve nowhere\.test \(ENOTFOUND\)$/);
      return true;
    });
  });

  test('the allow-list admits addresses, ranges and names, and nothing else', async () => {
    const guard = guardOf('127.0.0.1, 10.0.0.0/8, models.internal, fd00::/8');
    await guard.checkUrl('http://127.0.0.1:4010/v1');
    await guard.checkUrl('http://rebind.test/');
    await guard.checkUrl('http://[::ffff:127.0.0.1]/'); // the same host, mapped
    await guard.checkUrl('http://10.200.0.1/');
    await guard.checkUrl('http://MODELS.internal./v1');
    await guard.checkUrl('http://[fd00::5]/');
    await refusedWith(guard.checkUrl('http://127.0.0.2/'), /loopback/);
    await refusedWith(guard.checkUrl('http://[::1]/'), /loopback/);
    await refusedWith(guard.checkUrl('http://192.168.1.1/'), /private/);
    await refusedWith(guard.checkUrl('http://[fc00::1]/'), /unique local/);
  });

  test('lookup() answers sockets in both shapes, and refuses before they connect', async () => {
    const guard = guardOf();
    const call = (host: string, options: object) =>
      new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) =>
        guard.lookup(host, options, (error, address, family) =>
          resolve({ error, address, family }),
        ),
      );
    assert.deepEqual(await call('dual.test', { all: true }), {
      error: null,
      address: records['dual.test'],
      family: undefined,
    });
    assert.deepEqual(await call('dual.test', { family: 4 }), {
      error: null,
      address: '93.184.216.35',
      family: 4,
    });
    const refused = await call('rebind.test', { all: true });
    assert.ok(refused.error instanceof OutboundRefusedError);
    const missing = await call('public.test', { family: 6 });
    assert.ok(missing.error instanceof OutboundUnresolvableError);
  });
});
