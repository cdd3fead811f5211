// The agents admin API (permission `admin`): GET /v1/agents, GET/PATCH
// /v1/agents/{id}, POST /v1/agents. Agents created here get the id and actor a
// bootstrap agent of the same key would (agentIdFor), and the same desired
// state (desiredAgent), with `source: api`. OpenAI agents made here carry
// their own key (write-only, sealed) or name a credential the operator granted
// the account (agent-provider.ts); never the operator's OPENAI_API_KEY.
import type { FastifyInstance } from 'fastify';
import type { AgentConfig } from '../../config/bootstrap-schema.ts';
import { normalizeKeywords } from '../../agents/rules/keywords.ts';
import { desiredAgent } from '../../store/bootstrap/desired.ts';
import { agentIdFor, type AgentProvider, type AgentRecord, type Store } from '../../store/index.ts';
import { list } from '../serialize/index.ts';
import type { AgentChanges } from '../../store/repositories/agent-admin.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import {
  createAgentBody,
  patchAgentBody,
  providerConfig,
  serializeAgent,
  type ProviderBody,
} from './agent-json.ts';
import {
  providerKeyFields,
  type ProviderKeyDeps,
  type ProviderKeyFields,
} from './agent-provider.ts';
import { describeRoute } from '../openapi/registry.ts';

type IdRoute = { Params: { id: string } };

describeRoute({
  method: 'GET',
  path: '/v1/agents',
  permission: 'admin',
  summary: "List the account's agents",
  query: [],
  responses: { 200: 'The agents' },
});
describeRoute({
  method: 'GET',
  path: '/v1/agents/:id',
  permission: 'admin',
  summary: 'Get an agent',
  query: [],
  responses: { 200: 'The agent' },
});
describeRoute({
  method: 'POST',
  path: '/v1/agents',
  permission: 'admin',
  summary: 'Create an agent',
  body: createAgentBody,
  query: [],
  responses: { 201: 'The created agent' },
});
describeRoute({
  method: 'PATCH',
  path: '/v1/agents/:id',
  permission: 'admin',
  summary: 'Update an agent',
  body: patchAgentBody,
  query: [],
  responses: { 200: 'The updated agent' },
});

export function agentAdminRoutes(store: Store, keys: ProviderKeyDeps) {
  return (v1: FastifyInstance): void => {
    const admin = { preHandler: requirePermission('admin') };

    v1.get('/agents', admin, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const agents = await store.agents.list(account_id);
      return list(agents.map(serializeAgent));
    });

    v1.get<IdRoute>('/agents/:id', admin, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      return serializeAgent(await agentOr404(store, account_id, request.params.id));
    });

    v1.post('/agents', admin, async (request, reply) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const body = validate('body', createAgentBody, request.body);
      const config: AgentConfig = {
        id: body.key,
        ...body,
        provider: withoutSecrets(body.provider),
        trigger_keywords: normalizeKeywords(body.trigger_keywords),
      };
      checkKeywords(config);
      const id = agentIdFor(account_id, body.key);
      const secrets = await providerKeyFields(keys, account_id, id, body.provider, null);
      const desired = desiredAgent(account_id, config);
      const fields = {
        ...desired,
        provider: withKeyFields(desired.provider, secrets),
        source: 'api' as const,
      };
      const result = await store.agentAdmin.create(id, fields);
      switch (result.outcome) {
        case 'key_taken':
          throw new ApiError(
            'conflict',
            'agent_key_taken',
            `body.key: an agent with key "${body.key}" already exists`,
          );
        case 'handle_taken':
          throw handleTaken(body.handle, result.agent_id);
        case 'created':
          return reply.code(201).send(serializeAgent(result.agent));
        default:
          return result satisfies never;
      }
    });

    v1.patch<IdRoute>('/agents/:id', admin, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const body = validate('body', patchAgentBody, request.body);
      const agent = await agentOr404(store, account_id, request.params.id);
      const { status, ...owned } = body;
      const ownedFields = Object.keys(owned).filter(
        (field) => owned[field as keyof typeof owned] !== undefined,
      );
      // POSTROOM_CONFIG rewrites its agents at every start: an edit here
      // would silently vanish. Disabling stays possible as an emergency brake
      // (until the next start re-enables it).
      if (agent.source === 'bootstrap' && ownedFields.length > 0) {
        throw new ApiError(
          'conflict',
          'managed_by_bootstrap',
          `agent "${agent.key}" is defined in the bootstrap file (POSTROOM_CONFIG): change ${ownedFields.join(', ')} there; only status can be changed here`,
        );
      }
      const config: AgentConfig = {
        id: agent.key,
        name: owned.name ?? agent.name,
        handle: owned.handle ?? agent.handle,
        provider: owned.provider ? withoutSecrets(owned.provider) : providerConfig(agent.provider),
        instructions: owned.instructions ?? agent.instructions,
        trigger_policy: owned.trigger_policy ?? agent.trigger_policy,
        trigger_keywords: normalizeKeywords(owned.trigger_keywords ?? agent.trigger_keywords),
      };
      checkKeywords(config);
      // A new provider decides its key now; otherwise the stored key stays as it is.
      const secrets: ProviderKeyFields = owned.provider
        ? await providerKeyFields(keys, account_id, agent._id, owned.provider, agent.provider)
        : storedKeyFields(agent.provider);
      const {
        account_id: _a,
        key: _k,
        source: _s,
        status: _st,
        handle,
        provider,
        ...rest
      } = desiredAgent(account_id, config);
      const changes: AgentChanges = {
        ...(ownedFields.length > 0 ? { ...rest, provider: withKeyFields(provider, secrets) } : {}),
        // Only a new handle is checked for uniqueness (a change of case is new).
        ...(handle === agent.handle ? {} : { handle }),
        ...(status === undefined ? {} : { status }),
      };
      const result = await store.agentAdmin.update(account_id, agent._id, changes);
      switch (result.outcome) {
        case 'not_found':
          throw notFound('agent', request.params.id);
        case 'handle_taken':
          throw handleTaken(config.handle, result.agent_id);
        case 'updated':
          return serializeAgent(result.agent);
        default:
          return result satisfies never;
      }
    });
  };
}

async function agentOr404(store: Store, accountId: string, agentId: string): Promise<AgentRecord> {
  const agent = await store.agents.get(accountId, agentId);
  if (!agent) throw notFound('agent', agentId);
  return agent;
}

/** The body's provider in the bootstrap shape, its key and credential taken out (they are decided apart). */
function withoutSecrets(provider: ProviderBody): AgentConfig['provider'] {
  if (provider.type !== 'openai') return provider;
  const { api_key: _key, credential: _credential, ...rest } = provider;
  return rest;
}

function withKeyFields(provider: AgentProvider, fields: ProviderKeyFields): AgentProvider {
  return provider.type === 'openai' ? { ...provider, ...fields } : provider;
}

function storedKeyFields(provider: AgentProvider): ProviderKeyFields {
  return provider.type === 'openai'
    ? {
        base_url: provider.base_url,
        credential: provider.credential ?? null,
        api_key_sealed: provider.api_key_sealed ?? null,
      }
    : { base_url: null, credential: null, api_key_sealed: null };
}

function checkKeywords(config: AgentConfig): void {
  if (config.trigger_policy === 'keyword' && config.trigger_keywords.length === 0) {
    throw new ApiError(
      'unprocessable',
      'keywords_required',
      'body.trigger_keywords: the keyword policy needs at least one keyword',
    );
  }
}

function handleTaken(handle: string, holder: string): ApiError {
  return new ApiError(
    'conflict',
    'agent_handle_taken',
    `body.handle: "${handle}" is already the handle of agent "${holder}" (handles are case-insensitive)`,
  );
}
