// Where the operator's keys may go: OPENAI_API_KEY only to OPENAI_BASE_URL
// (or OpenAI's default), a bootstrap agent's own key to its base_url.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { normalizeBaseUrl, sameBaseUrl } from '../../../src/config/model-urls.ts';
import { checkOperatorKeys, operatorModelKey } from '../../../src/config/operator-keys.ts';

const openai = (fields: { base_url?: string; api_key?: string } = {}) => ({
  type: 'openai' as const,
  model: 'gpt-4o-mini',
  ...fields,
});

describe('model base URLs', () => {
  test('normalized to origin and path without trailing slashes', () => {
    assert.equal(normalizeBaseUrl('https://API.OpenAI.com:443/v1/'), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('http://127.0.0.1:80/v1//?q=1#x'), 'http://127.0.0.1/v1');
    assert.equal(normalizeBaseUrl('http://models.internal:8000'), 'http://models.internal:8000');
    assert.ok(sameBaseUrl('http://a.test/v1/', 'http://A.test/v1'));
    assert.ok(!sameBaseUrl('http://a.test/v1', 'https://a.test/v1'));
    assert.ok(!sameBaseUrl('http://a.test/v1', 'http://a.test:8080/v1'));
    assert.ok(!sameBaseUrl('http://a.test/v1', 'http://a.test/v2'));
  });
});

describe('operatorModelKey', () => {
  const env = { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: 'http://models.internal/v1' };

  test("an agent's own key goes to its base_url, or OPENAI_BASE_URL when it has none", () => {
    assert.deepEqual(
      operatorModelKey(openai({ api_key: 'sk-own', base_url: 'http://x.test/v1' }), env),
      {
        ok: true,
        apiKey: 'sk-own',
        baseURL: 'http://x.test/v1',
      },
    );
    assert.deepEqual(operatorModelKey(openai({ api_key: 'sk-own' }), env), {
      ok: true,
      apiKey: 'sk-own',
      baseURL: 'http://models.internal/v1',
    });
  });

  test('OPENAI_API_KEY goes only to OPENAI_BASE_URL', () => {
    assert.deepEqual(operatorModelKey(openai(), env), {
      ok: true,
      apiKey: 'sk-env',
      baseURL: 'http://models.internal/v1',
    });
    assert.equal(
      operatorModelKey(openai({ base_url: 'http://MODELS.internal/v1/' }), env).ok,
      true,
    );
    const elsewhere = operatorModelKey(openai({ base_url: 'http://other.test/v1' }), env);
    assert.equal(elsewhere.ok, false);
    assert.match(
      elsewhere.ok ? '' : elsewhere.problem,
      /OPENAI_API_KEY is only sent to OPENAI_BASE_URL \(http:\/\/models\.internal\/v1\), not to this agent's base_url http:\/\/other\.test\/v1/,
    );
  });

  test("without OPENAI_BASE_URL, OPENAI_API_KEY goes to OpenAI's default URL only", () => {
    const bare = { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: undefined };
    assert.deepEqual(operatorModelKey(openai(), bare), {
      ok: true,
      apiKey: 'sk-env',
      baseURL: 'https://api.openai.com/v1',
    });
    assert.equal(
      operatorModelKey(openai({ base_url: 'https://api.openai.com/v1/' }), bare).ok,
      true,
    );
    const local = operatorModelKey(openai({ base_url: 'http://127.0.0.1:11434/v1' }), bare);
    assert.match(
      local.ok ? '' : local.problem,
      /OpenAI's default URL \(https:\/\/api\.openai\.com\/v1\)/,
    );
    const none = operatorModelKey(openai(), {
      OPENAI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
    });
    assert.match(none.ok ? '' : none.problem, /OPENAI_API_KEY is not set/);
  });

  test('at start, the first agent without a usable key stops the process, naming it', () => {
    const config = parseBootstrap(
      {
        accounts: [
          {
            id: 'acme',
            name: 'Acme',
            agents: [
              { id: 'a', name: 'A', handle: 'a', provider: openai() },
              { id: 'b', name: 'B', handle: 'b', provider: { type: 'template', template: 'Hi' } },
              {
                id: 'c',
                name: 'C',
                handle: 'c',
                provider: openai({ base_url: 'http://local.test/v1' }),
              },
            ],
          },
        ],
      },
      {},
    );
    checkOperatorKeys(config, {
      OPENAI_API_KEY: 'sk-env',
      OPENAI_BASE_URL: 'http://local.test/v1/',
    });
    assert.throws(
      () => checkOperatorKeys(config, { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: undefined }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.setting === 'POSTROOM_CONFIG accounts[0].agents[2].provider.api_key' &&
        /give the agent its own api_key/.test(error.message),
    );
  });
});
