// The bootstrap settings of agent tools, prices and budgets: a bad one stops
// the process naming its path; secrets in tool headers come from the environment.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';

function withAgent(extra: Record<string, unknown>, account: Record<string, unknown> = {}) {
  return {
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: { type: 'template', template: 'Hi' },
            ...extra,
          },
        ],
        ...account,
      },
    ],
  };
}

const lookup = {
  name: 'lookup_order',
  parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  url: 'https://shop.example.test/orders',
  method: 'GET',
  headers: { authorization: { env: 'SHOP_TOKEN' } },
  read_only: true,
};

function refused(json: unknown, env: NodeJS.ProcessEnv, pattern: RegExp): void {
  assert.throws(
    () => parseBootstrap(json, env, 'test.json'),
    (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
  );
}

describe('agent tools, pricing and budgets in the bootstrap file', () => {
  test('a tool parses with its header secret from the environment and the defaults', () => {
    const config = parseBootstrap(
      withAgent(
        { tools: [lookup, { ...lookup, name: 'refund', read_only: undefined, method: undefined }] },
        { budgets: { monthly: 10, per_conversation: 0.5 } },
      ),
      { SHOP_TOKEN: 'Bearer t' },
      'test.json',
    );
    const [account] = config.accounts;
    const [read, write] = account?.agents[0]?.tools ?? [];
    assert.equal(read?.headers.authorization, 'Bearer t');
    assert.equal(read?.timeout_ms, 10_000);
    assert.equal(write?.read_only, false);
    assert.equal(write?.method, 'POST');
    assert.deepEqual(account?.budgets, { monthly: 10, per_conversation: 0.5 });
  });

  test('a header secret missing from the environment names the tool', () => {
    refused(withAgent({ tools: [lookup] }), {}, /tools\[0\]\.headers.*SHOP_TOKEN is not set/);
  });

  test('parameters must be a JSON Schema object', () => {
    refused(
      withAgent({ tools: [{ ...lookup, parameters: { type: 'string' } }] }),
      { SHOP_TOKEN: 'x' },
      /tools\[0\]\.parameters.*"type": "object"/,
    );
  });

  test('tool names are unique and well-formed; the URL is http(s)', () => {
    const env = { SHOP_TOKEN: 'x' };
    refused(withAgent({ tools: [lookup, lookup] }), env, /tools\[1\]\.name.*duplicate/);
    refused(withAgent({ tools: [{ ...lookup, name: 'has space' }] }), env, /tools\[0\]\.name/);
    refused(withAgent({ tools: [{ ...lookup, url: 'ftp://x.test/' }] }), env, /tools\[0\]\.url/);
  });

  test('prices and budgets are non-negative and positive numbers', () => {
    refused(
      withAgent({ pricing: { input_per_1k: -1, output_per_1k: 1 } }),
      {},
      /pricing\.input_per_1k/,
    );
    refused(withAgent({}, { budgets: { monthly: 0 } }), {}, /budgets\.monthly/);
    refused(withAgent({ budget: { daily: 1 } }), {}, /budget/);
  });
});
