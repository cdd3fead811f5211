// Whose model key an API-made agent sends, and where: through the real
// runtime (api and agent roles), with model servers on 127.0.0.1 that record
// every Authorization header. The operator's keys (OPENAI_API_KEY, a
// bootstrap agent's key) never reach a URL a tenant chose; an agent sends its
// own key, or the credential the operator granted its account, to that
// credential's URL only. POSTROOM_OUTBOUND_ALLOW lists 127.0.0.1 here so the
// tenant's test servers are reachable at all.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { internalsOf } from '../../../src/store/connect.ts';
import { agentIdFor, type AgentRunRecord } from '../../../src/store/index.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
} from '../../support/services/openai-server.ts';
import { waitUntil } from '../../support/wait.ts';
import { createCase, errorOf, patch, post, type Json } from './helpers.ts';

const OPERATOR_ENV_KEY = 'sk-operator-env-key-0001';
const OPERATOR_BOOTSTRAP_KEY = 'sk-operator-bootstrap-key-0001';
const GRANTED_KEY = 'sk-granted-credential-key-0001';
const TENANT_KEY = 'sk-tenant-own-key-0001';
const GLOBEX_KEY = 'pk_test_globex_key_0002';
const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];

let runtime: TestRuntime;
/** OPENAI_BASE_URL: where OPENAI_API_KEY may go. */
let operatorModel: OpenAiTestServer;
/** The bootstrap agent's base_url: where its key may go. */
let bootstrapModel: OpenAiTestServer;
/** The granted credential's base_url. */
let grantedModel: OpenAiTestServer;
/** A server the tenant chose. */
let tenantModel: OpenAiTestServer;
let models: OpenAiTestServer[];

const authorizations = (server: OpenAiTestServer): string[] =>
  server.requests.map((r) => String(r.headers.authorization));

before(async () => {
  [operatorModel, bootstrapModel, grantedModel, tenantModel] = await Promise.all([
    startOpenAiTestServer(),
    startOpenAiTestServer(),
    startOpenAiTestServer(),
    startOpenAiTestServer(),
  ]);
  models = [operatorModel, bootstrapModel, grantedModel, tenantModel];
  for (const model of models) model.setDefault({ kind: 'stream', tokens: tokensOf('A reply.') });
  runtime = await startTestRuntime(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          api_keys: [{ name: 'test', key: TEST_API_KEY, permissions: ALL }],
          agents: [
            {
              id: 'operator-bot',
              name: 'Operator Bot',
              handle: 'operator-bot',
              provider: {
                type: 'openai',
                base_url: bootstrapModel.baseURL,
                api_key: OPERATOR_BOOTSTRAP_KEY,
                model: 'gpt-test',
              },
              trigger_policy: 'mention',
            },
          ],
          provider_credentials: [
            { name: 'openai-main', base_url: grantedModel.baseURL, api_key: GRANTED_KEY },
          ],
        },
        {
          id: 'globex',
          name: 'Globex',
          api_keys: [{ name: 'admin', key: GLOBEX_KEY, permissions: ALL }],
        },
      ],
    },
    {
      roles: 'api,agent',
      env: {
        OPENAI_API_KEY: OPERATOR_ENV_KEY,
        OPENAI_BASE_URL: operatorModel.baseURL,
        POSTROOM_OUTBOUND_ALLOW: '127.0.0.1',
      },
    },
  );
});

after(async () => {
  await runtime?.stop();
  await Promise.all(models.map((m) => m.stop()));
  if (runtime) {
    await dropRedisPrefix(runtime.prefix);
    await dropDatabase(runtime.mongoUri);
  }
  // Whatever happened, no operator key ever went anywhere but where the operator sent it.
  for (const model of [grantedModel, tenantModel]) {
    for (const header of authorizations(model)) {
      assert.doesNotMatch(header, /operator/, `${model.baseURL} got ${header}`);
    }
  }
  assert.deepEqual(authorizations(operatorModel), []);
  assert.deepEqual(authorizations(bootstrapModel), []);
});

async function json<T = Json>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.doesNotMatch(text, /sk-[a-z]+-[a-z-]*key/, 'no key in any answer');
  return JSON.parse(text) as T;
}

let agentCounter = 0;
function agentBody(provider: Record<string, unknown>): Record<string, unknown> {
  agentCounter += 1;
  return {
    key: `api-agent-${agentCounter}`,
    name: `API Agent ${agentCounter}`,
    handle: `api-agent-${agentCounter}`,
    provider: { type: 'openai', model: 'gpt-test', ...provider },
  };
}

/** Add the agent to a fresh case and post a note, all through the API; wait for the run to end. */
async function triggerRun(agentId: string): Promise<AgentRunRecord> {
  const conversation = await createCase(runtime.context.store, { mailbox_id: null });
  await json(
    await post(runtime, `/v1/messaging/conversations/${conversation._id}/participants`, {
      type: 'agent',
      agent_id: agentId,
      agent_trigger_policy: 'always',
    }),
    201,
  );
  const note = await json(
    await post(runtime, `/v1/messaging/conversations/${conversation._id}/messages`, {
      body: 'Please draft a reply.',
      visibility: 'internal',
      channel: 'message',
    }),
    201,
  );
  return waitUntil(
    async () => {
      const run = await runtime.context.store.agentRuns.findByTrigger(note.id, agentId);
      return run && (run.status === 'completed' || run.status === 'failed') ? run : null;
    },
    { what: `the run of ${agentId} to end` },
  );
}

describe('model keys of API-made agents', () => {
  test('an agent with neither its own key nor a credential is refused; one left from before never gets the operator key', async () => {
    const refused = await post(runtime, '/v1/agents', agentBody({ base_url: tenantModel.baseURL }));
    assert.equal(refused.status, 422);
    const error = await errorOf(refused);
    assert.equal(error.code, 'provider_key_required');
    assert.match(error.message, /^body\.provider: /);

    // An agent the API created before keys were scoped: no key of its own.
    const legacyId = agentIdFor('acme', 'legacy');
    const { Agent, Actor } = internalsOf(runtime.context.store).models;
    await Actor.create({ _id: legacyId, account_id: 'acme', type: 'agent', name: 'Legacy' });
    await Agent.create({
      _id: legacyId,
      account_id: 'acme',
      key: 'legacy',
      name: 'Legacy',
      handle: 'legacy',
      handle_lower: 'legacy',
      provider: {
        type: 'openai',
        base_url: tenantModel.baseURL,
        model: 'gpt-test',
        temperature: null,
        max_output_tokens: null,
      },
      instructions: '',
      instructions_version: 'e3b0c44298fc',
      trigger_policy: 'always',
      trigger_keywords: [],
      status: 'active',
      source: 'api',
    });
    const before = tenantModel.requests.length;
    const run = await triggerRun(legacyId);
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'missing_api_key');
    assert.match(run.error?.message ?? '', /after 1 attempt\)/);
    assert.equal(tenantModel.requests.length, before, 'no request was made');
  });

  test('an agent with its own key sends exactly that key, to its own URL; the key is stored encrypted and never shown', async () => {
    const created = await json(
      await post(
        runtime,
        '/v1/agents',
        agentBody({ base_url: tenantModel.baseURL, api_key: TENANT_KEY }),
      ),
      201,
    );
    assert.deepEqual(created.provider, {
      type: 'openai',
      base_url: tenantModel.baseURL,
      model: 'gpt-test',
      temperature: null,
      max_output_tokens: null,
      credential: null,
      api_key_set: true,
    });
    const stored = await internalsOf(runtime.context.store)
      .models.Agent.findById(created.id)
      .lean();
    assert.ok(stored);
    assert.doesNotMatch(JSON.stringify(stored), new RegExp(TENANT_KEY), 'encrypted at rest');
    await json(await runtime.request(`/v1/agents/${created.id}`), 200);
    await json(await runtime.request('/v1/agents'), 200);

    const before = tenantModel.requests.length;
    const run = await triggerRun(created.id);
    assert.equal(run.status, 'completed', JSON.stringify(run.error));
    const sent = authorizations(tenantModel).slice(before);
    assert.ok(sent.length > 0);
    assert.deepEqual(new Set(sent), new Set([`Bearer ${TENANT_KEY}`]));
    assert.deepEqual(authorizations(grantedModel), []);

    // A new model keeps the key; a new URL needs the key again (it was given for this one).
    await json(
      await patch(runtime, `/v1/agents/${created.id}`, {
        provider: { type: 'openai', base_url: tenantModel.baseURL, model: 'gpt-other' },
      }),
      200,
    );
    const moved = await patch(runtime, `/v1/agents/${created.id}`, {
      provider: { type: 'openai', base_url: grantedModel.baseURL, model: 'gpt-other' },
    });
    assert.equal(moved.status, 422);
    const error = await errorOf(moved);
    assert.equal(error.code, 'provider_key_required');
    assert.match(error.message, /^body\.provider\.api_key: /);
  });

  test('an agent with a granted credential sends that key to that credential URL only', async () => {
    const created = await json(
      await post(runtime, '/v1/agents', agentBody({ credential: 'openai-main' })),
      201,
    );
    assert.equal((created.provider as Json).credential, 'openai-main');
    assert.equal((created.provider as Json).api_key_set, false);

    const run = await triggerRun(created.id);
    assert.equal(run.status, 'completed', JSON.stringify(run.error));
    assert.ok(authorizations(grantedModel).length > 0);
    assert.deepEqual(new Set(authorizations(grantedModel)), new Set([`Bearer ${GRANTED_KEY}`]));

    // The credential's key goes to its URL: no other base_url with it.
    const elsewhere = await post(
      runtime,
      '/v1/agents',
      agentBody({ credential: 'openai-main', base_url: tenantModel.baseURL }),
    );
    assert.equal(elsewhere.status, 422);
    assert.match((await errorOf(elsewhere)).message, /^body\.provider\.base_url: /);
    const repointed = await patch(runtime, `/v1/agents/${created.id}`, {
      provider: {
        type: 'openai',
        model: 'gpt-test',
        credential: 'openai-main',
        base_url: tenantModel.baseURL,
      },
    });
    assert.equal(repointed.status, 422);
    const same = await post(
      runtime,
      '/v1/agents',
      agentBody({ credential: 'openai-main', base_url: `${grantedModel.baseURL}/` }),
    );
    assert.equal(same.status, 201, 'the same URL, normalized');
  });

  test('a credential the account was not granted is refused, naming it', async () => {
    const foreign = await post(
      runtime,
      '/v1/agents',
      agentBody({ credential: 'openai-main' }),
      GLOBEX_KEY,
    );
    assert.equal(foreign.status, 422);
    const error = await errorOf(foreign);
    assert.equal(error.code, 'unknown_credential');
    assert.match(error.message, /^body\.provider\.credential: .*"openai-main"/);
    const both = await post(
      runtime,
      '/v1/agents',
      agentBody({ credential: 'openai-main', api_key: TENANT_KEY }),
    );
    assert.equal(both.status, 422);
    assert.match((await errorOf(both)).message, /^body\.provider: /);
  });

  test('a redirect to a refused address fails the run for good, naming the rule, before connecting', async () => {
    const refusedHits: string[] = [];
    const refused = await listen(
      createServer((req, res) => {
        refusedHits.push(String(req.headers.authorization));
        res.end();
      }),
      '::1',
    );
    const refusedPort = (refused.address() as AddressInfo).port;
    const redirector = await listen(
      createServer((req, res) => {
        res.writeHead(307, { location: `http://[::1]:${refusedPort}${req.url ?? '/'}` });
        res.end();
      }),
      '127.0.0.1',
    );
    let connections = 0;
    refused.on('connection', () => (connections += 1));
    try {
      const port = (redirector.address() as AddressInfo).port;
      const created = await json(
        await post(
          runtime,
          '/v1/agents',
          agentBody({ base_url: `http://127.0.0.1:${port}/v1`, api_key: TENANT_KEY }),
        ),
        201,
      );
      const run = await triggerRun(created.id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.code, 'outbound_address_refused');
      assert.match(run.error?.message ?? '', /::1 is a loopback address/);
      assert.match(run.error?.message ?? '', /POSTROOM_OUTBOUND_ALLOW/);
      assert.match(run.error?.message ?? '', /after 1 attempt\)/);
      assert.equal(connections, 0);
      assert.deepEqual(refusedHits, []);
    } finally {
      await Promise.all([close(refused), close(redirector)]);
    }
  });
});

function listen(server: Server, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('operator keys at start', () => {
  const config = (provider: Record<string, unknown>) => ({
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        agents: [{ id: 'local', name: 'Local', handle: 'local', provider }],
      },
    ],
  });
  const env = { OPENAI_API_KEY: OPERATOR_ENV_KEY, OPENAI_BASE_URL: 'https://models.example/v1' };

  test('an agent process refuses a bootstrap agent that would send OPENAI_API_KEY elsewhere', async () => {
    const provider = { type: 'openai', base_url: 'http://127.0.0.1:11434/v1', model: 'llama' };
    await assert.rejects(
      startTestRuntime(config(provider), { roles: 'agent', env }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.setting === 'POSTROOM_CONFIG accounts[0].agents[0].provider.api_key' &&
        /OPENAI_API_KEY is only sent to OPENAI_BASE_URL/.test(error.message),
    );
    // An API-only process need not hold model keys at all (and the runtime
    // above runs a bootstrap agent whose own key goes to its own URL).
    const started = await startTestRuntime(config(provider), { roles: 'api', env });
    await started.stop();
    await dropRedisPrefix(started.prefix);
    await dropDatabase(started.mongoUri);
  });
});
