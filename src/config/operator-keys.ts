// Where the operator's model keys may go. A key from the environment or the
// bootstrap file is sent only to the base URL the operator configured with
// it: OPENAI_API_KEY to OPENAI_BASE_URL (or OpenAI's default), a bootstrap
// agent's provider.api_key to that agent's base_url. Agents made through the
// API never use either (src/agents/model-access.ts).
import type { Bootstrap, ProviderConfig } from './bootstrap-schema.ts';
import { ConfigError } from './config-error.ts';
import type { Env } from './env.ts';
import { DEFAULT_OPENAI_BASE_URL, normalizeBaseUrl, sameBaseUrl } from './model-urls.ts';

type OpenAiProviderConfig = Extract<ProviderConfig, { type: 'openai' }>;
export type OperatorEnv = Pick<Env, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL'>;

export type KeyChoice =
  { ok: true; apiKey: string; baseURL: string } | { ok: false; problem: string };

/** The key and URL a bootstrap agent runs with, or why it has none. */
export function operatorModelKey(provider: OpenAiProviderConfig, env: OperatorEnv): KeyChoice {
  const envBase = env.OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL;
  const baseURL = provider.base_url ?? envBase;
  if (provider.api_key) return { ok: true, apiKey: provider.api_key, baseURL };
  if (!env.OPENAI_API_KEY) {
    return { ok: false, problem: 'no api_key here, and OPENAI_API_KEY is not set' };
  }
  if (!sameBaseUrl(baseURL, envBase)) {
    return {
      ok: false,
      problem: `no api_key here: OPENAI_API_KEY is only sent to ${env.OPENAI_BASE_URL ? 'OPENAI_BASE_URL' : "OpenAI's default URL"} (${normalizeBaseUrl(envBase)}), not to this agent's base_url ${normalizeBaseUrl(baseURL)}; give the agent its own api_key`,
    };
  }
  return { ok: true, apiKey: env.OPENAI_API_KEY, baseURL };
}

/** At start of a process that runs agents: every bootstrap openai agent has a key it may use. */
export function checkOperatorKeys(bootstrap: Bootstrap, env: OperatorEnv): void {
  bootstrap.accounts.forEach((account, a) =>
    account.agents.forEach((agent, g) => {
      if (agent.provider.type !== 'openai') return;
      const choice = operatorModelKey(agent.provider, env);
      if (!choice.ok) {
        throw new ConfigError(
          `POSTROOM_CONFIG accounts[${a}].agents[${g}].provider.api_key`,
          choice.problem,
        );
      }
    }),
  );
}
