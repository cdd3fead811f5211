// Which key an openai agent's run sends, to which URL, over which fetch.
// Bootstrap agents: the operator's keys, where the operator pointed them
// (config/operator-keys.ts), unrestricted (a local model on 127.0.0.1 is
// fine). Agents made through the API: a credential granted to their account
// (to its own base_url), or their own sealed key over the guarded fetch
// (POSTROOM_OUTBOUND_ALLOW); never a process-wide key. A missing or unusable
// key fails the run at once, before any request.
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import { DEFAULT_OPENAI_BASE_URL } from '../config/model-urls.ts';
import { operatorModelKey, type OperatorEnv } from '../config/operator-keys.ts';
import type { FetchLike } from '../platform/guarded-fetch.ts';
import { SecretBoxError, type SecretBox } from '../platform/secret-box.ts';
import type { AgentProvider, AgentRecord } from '../store/index.ts';
import { ProviderError } from './providers/types.ts';

export interface ModelAccessDeps {
  env: OperatorEnv;
  bootstrap: Bootstrap;
  secrets: SecretBox;
  /** The fetch through the outbound guard, for URLs a tenant chose. */
  guardedFetch: FetchLike;
}

export interface ModelAccess {
  baseURL: string;
  apiKey: string;
  /** Unset: the SDK's own fetch. */
  fetch?: FetchLike;
}

type OpenAiProvider = Extract<AgentProvider, { type: 'openai' }>;

export function modelAccessFor(
  agent: AgentRecord,
  provider: OpenAiProvider,
  deps: ModelAccessDeps,
): ModelAccess {
  const account = deps.bootstrap.accounts.find((a) => a.id === agent.account_id);
  if (agent.source === 'bootstrap') {
    const configured = account?.agents.find((a) => a.id === agent.key)?.provider;
    if (configured?.type !== 'openai') {
      throw noKey(`agent ${agent.key} is no longer an openai agent in POSTROOM_CONFIG`);
    }
    const choice = operatorModelKey(configured, deps.env);
    if (!choice.ok) throw noKey(`agent ${agent.key}: ${choice.problem}`);
    return { baseURL: choice.baseURL, apiKey: choice.apiKey };
  }

  const credentialName = provider.credential ?? null;
  if (credentialName !== null) {
    const credential = account?.provider_credentials.find((c) => c.name === credentialName);
    if (!credential) {
      throw noKey(
        `agent ${agent.key} uses provider credential "${credentialName}", which POSTROOM_CONFIG no longer grants to account ${agent.account_id}`,
      );
    }
    // The operator's URL for the operator's key: not the tenant's choice.
    return { baseURL: credential.base_url, apiKey: credential.api_key };
  }
  const sealed = provider.api_key_sealed ?? null;
  if (sealed === null) {
    throw noKey(
      `agent ${agent.key} was made through the API without provider.api_key or provider.credential, and the operator's OPENAI_API_KEY is never used for such agents: PATCH /v1/agents/${agent._id} with one`,
    );
  }
  let apiKey: string;
  try {
    apiKey = deps.secrets.open(sealed, agent._id);
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    throw new ProviderError(
      `agent ${agent.key}: ${error.message}: PATCH /v1/agents/${agent._id} with provider.api_key again`,
      'api_key_unreadable',
      false,
    );
  }
  return {
    baseURL: provider.base_url ?? DEFAULT_OPENAI_BASE_URL,
    apiKey,
    fetch: deps.guardedFetch,
  };
}

function noKey(message: string): ProviderError {
  return new ProviderError(message, 'missing_api_key', false);
}
