// What an API-made agent's provider stores for its key, create and patch:
// a granted credential, its own sealed key, or a refusal naming the field.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../../src/api/errors.ts';
import { providerKeyFields, type ProviderKeyDeps } from '../../../src/api/routes/agent-provider.ts';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { parseOutboundAllow } from '../../../src/config/outbound-allow.ts';
import { createAddressGuard } from '../../../src/platform/outbound-guard.ts';
import { createSecretBox } from '../../../src/platform/secret-box.ts';
import type { AgentProvider } from '../../../src/store/index.ts';

const deps: ProviderKeyDeps = {
  bootstrap: parseBootstrap(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          provider_credentials: [
            { name: 'main', base_url: 'https://models.example/v1', api_key: 'sk-granted' },
          ],
        },
      ],
    },
    {},
  ),
  outbound: createAddressGuard(parseOutboundAllow(''), async (host) => {
    if (host === 'models.example' || host === 'api.openai.com') {
      return [{ address: '93.184.216.34', family: 4 }];
    }
    throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  }),
  secrets: createSecretBox('unit-test-secret-key-0123456789abcdef'),
};
const AGENT = 'agt_acme_triage';
const base = { type: 'openai' as const, model: 'gpt-test' };
const stored = (fields: Partial<Extract<AgentProvider, { type: 'openai' }>>): AgentProvider => ({
  ...base,
  base_url: null,
  temperature: null,
  max_output_tokens: null,
  credential: null,
  api_key_sealed: null,
  ...fields,
});

async function refused(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 422);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('providerKeyFields', () => {
  test('its own key is sealed for this agent; the URL is checked', async () => {
    const fields = await providerKeyFields(
      deps,
      'acme',
      AGENT,
      { ...base, api_key: 'sk-own', base_url: 'https://models.example/v1' },
      null,
    );
    assert.equal(fields.credential, null);
    assert.equal(fields.base_url, 'https://models.example/v1');
    assert.equal(deps.secrets.open(fields.api_key_sealed ?? '', AGENT), 'sk-own');
    await refused(
      providerKeyFields(
        deps,
        'acme',
        AGENT,
        { ...base, api_key: 'sk-own', base_url: 'http://10.0.0.1/v1' },
        null,
      ),
      'outbound_address_refused',
      /^body\.provider\.base_url: 10\.0\.0\.1 is a private/,
    );
  });

  test('a credential is stored by name, its URL decides', async () => {
    assert.deepEqual(
      await providerKeyFields(deps, 'acme', AGENT, { ...base, credential: 'main' }, null),
      {
        base_url: null,
        credential: 'main',
        api_key_sealed: null,
      },
    );
    await refused(
      providerKeyFields(
        deps,
        'acme',
        AGENT,
        { ...base, credential: 'main', base_url: 'https://other.example/v1' },
        null,
      ),
      'credential_url_mismatch',
      /^body\.provider\.base_url: credential "main" is only sent to its own base_url https:\/\/models\.example\/v1/,
    );
    await refused(
      providerKeyFields(deps, 'globex', AGENT, { ...base, credential: 'main' }, null),
      'unknown_credential',
      /^body\.provider\.credential: no credential "main" is granted to this account/,
    );
  });

  test('neither, or both, is refused naming body.provider', async () => {
    await refused(
      providerKeyFields(deps, 'acme', AGENT, base, null),
      'provider_key_required',
      /^body\.provider: .*credential .*: "main"\).*OPENAI_API_KEY is never used/,
    );
    await refused(
      providerKeyFields(deps, 'acme', AGENT, { ...base, credential: 'main', api_key: 'k' }, null),
      'provider_key_conflict',
      /^body\.provider: give either api_key/,
    );
  });

  test('a patch without a key keeps the stored one, while the URL stays the same', async () => {
    const sealed = deps.secrets.seal('sk-own', AGENT);
    const before = stored({ base_url: 'https://models.example/v1', api_key_sealed: sealed });
    const kept = await providerKeyFields(
      deps,
      'acme',
      AGENT,
      { ...base, base_url: 'https://MODELS.example/v1/' },
      before,
    );
    assert.equal(kept.api_key_sealed, sealed);
    await refused(
      providerKeyFields(
        deps,
        'acme',
        AGENT,
        { ...base, base_url: 'https://other.example/v1' },
        before,
      ),
      'provider_key_required',
      /^body\.provider\.api_key: the stored key is only sent to the base_url it was given with \(https:\/\/models\.example\/v1\)/,
    );
    // No base_url before and none now: both mean OpenAI's default.
    const defaults = stored({ api_key_sealed: sealed });
    assert.equal(
      (await providerKeyFields(deps, 'acme', AGENT, base, defaults)).api_key_sealed,
      sealed,
    );
    // A credential is kept by name; a template needs no key.
    assert.equal(
      (await providerKeyFields(deps, 'acme', AGENT, base, stored({ credential: 'main' })))
        .credential,
      'main',
    );
    assert.deepEqual(
      await providerKeyFields(deps, 'acme', AGENT, { type: 'template', template: 'Hi' }, before),
      {
        base_url: null,
        credential: null,
        api_key_sealed: null,
      },
    );
  });
});
