// POST/PATCH /v1/agents refuse a model URL the outbound rules would refuse,
// naming the field, the address class and POSTROOM_OUTBOUND_ALLOW: every
// refused class, IP literals in their odd spellings, and names that resolve to
// loopback. Only the check runs: no connection is made to any of these
// addresses (the agent is never created). No allow-list in this runtime.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestRuntime } from '../../support/runtime.ts';
import { errorOf, patch, post, startAgentsRuntime, stopRuntime, type Json } from './helpers.ts';

let runtime: TestRuntime;

before(async () => {
  runtime = await startAgentsRuntime();
});
after(() => stopRuntime(runtime));

const REFUSED: Array<[string, string]> = [
  ['http://127.0.0.1:4010/v1', '127.0.0.1 is a loopback address'],
  ['http://127.1.2.3/v1', '127.1.2.3 is a loopback address'],
  ['http://[::1]:4010/v1', '::1 is a loopback address'],
  ['http://10.0.0.7/v1', '10.0.0.7 is a private (RFC 1918) address'],
  ['http://172.16.5.4/v1', '172.16.5.4 is a private (RFC 1918) address'],
  ['http://192.168.1.20/v1', '192.168.1.20 is a private (RFC 1918) address'],
  ['http://169.254.169.254/latest', '169.254.169.254 is a link-local address'],
  ['http://[fe80::1]/v1', 'fe80::1 is a link-local address'],
  ['http://[fd00::1]/v1', 'fd00::1 is a unique local (fc00::/7) address'],
  ['http://0.0.0.0:4010/v1', '0.0.0.0 is an unspecified address'],
  ['http://[::]/v1', ':: is an unspecified address'],
  ['http://100.64.0.1/v1', '100.64.0.1 is a shared (CGNAT, 100.64.0.0/10) address'],
  ['http://224.0.0.1/v1', '224.0.0.1 is a multicast address'],
  ['http://[::ffff:127.0.0.1]/v1', '::ffff:7f00:1 is a loopback address'],
  ['http://[::ffff:169.254.169.254]/v1', '::ffff:a9fe:a9fe is a link-local address'],
  ['http://2130706433/v1', '127.0.0.1 is a loopback address'],
  ['http://0x7f.1/v1', '127.0.0.1 is a loopback address'],
  ['http://localhost:4010/v1', 'localhost resolves to 127.0.0.1, a loopback address'],
];

let counter = 0;
function agent(provider: Record<string, unknown>): Record<string, unknown> {
  counter += 1;
  return {
    key: `outbound-${counter}`,
    name: `Outbound ${counter}`,
    handle: `outbound-${counter}`,
    provider: { type: 'openai', model: 'gpt-test', api_key: 'sk-own-key', ...provider },
  };
}

async function refusal(response: Response): Promise<{ code: string; message: string }> {
  assert.equal(response.status, 422);
  return errorOf(response);
}

describe('outbound rules at create and patch', () => {
  for (const [url, reason] of REFUSED) {
    test(`${url} is refused: ${reason}`, async () => {
      const error = await refusal(await post(runtime, '/v1/agents', agent({ base_url: url })));
      assert.equal(error.code, 'outbound_address_refused');
      assert.equal(
        error.message,
        `body.provider.base_url: ${reason}; Postroom refuses loopback, private and link-local destinations unless POSTROOM_OUTBOUND_ALLOW lists them`,
      );
    });
  }

  test('a host that does not resolve is refused too', async () => {
    const error = await refusal(
      await post(runtime, '/v1/agents', agent({ base_url: 'http://no-such-host.invalid/v1' })),
    );
    assert.equal(error.code, 'outbound_host_unresolvable');
    assert.match(error.message, /^body\.provider\.base_url: cannot resolve no-such-host\.invalid/);
  });

  test('PATCH checks the new URL the same way, and nothing changes', async () => {
    const created = await post(runtime, '/v1/agents', {
      key: 'patched',
      name: 'Patched',
      handle: 'patched',
      provider: { type: 'template', template: 'Hi' },
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as Json;
    const error = await refusal(
      await patch(runtime, `/v1/agents/${id}`, {
        provider: { type: 'openai', model: 'm', api_key: 'sk-own', base_url: 'http://[::1]/v1' },
      }),
    );
    assert.equal(error.code, 'outbound_address_refused');
    assert.match(error.message, /^body\.provider\.base_url: ::1 is a loopback address/);
    const after = await runtime.json<Json>(`/v1/agents/${id}`);
    assert.deepEqual(after.provider, { type: 'template', template: 'Hi' });
  });
});
