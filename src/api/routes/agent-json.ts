// The agent resource of the admin API, and the agents admin request bodies.
// A provider key is write-only: the JSON says whether one is set
// (`api_key_set`) or which granted credential is used, and is built field by
// field so the sealed key stored with the agent can never leak into it.
import { z } from 'zod';
import type { AgentConfig } from '../../config/bootstrap-schema.ts';
import {
  AGENT_STATUSES,
  TRIGGER_POLICIES,
  type AgentProvider,
  type AgentRecord,
  type AgentStatus,
  type RecordSource,
  type TriggerPolicy,
} from '../../store/index.ts';
import { isoDate } from '../serialize/index.ts';

type AgentProviderJson =
  | {
      type: 'openai';
      base_url: string | null;
      model: string;
      temperature: number | null;
      max_output_tokens: number | null;
      credential: string | null;
      api_key_set: boolean;
    }
  | { type: 'template'; template: string };

export interface AgentJson {
  id: string;
  object: 'agent';
  key: string;
  name: string;
  handle: string;
  provider: AgentProviderJson;
  instructions: string;
  instructions_version: string;
  trigger_policy: TriggerPolicy;
  trigger_keywords: string[];
  status: AgentStatus;
  /** `bootstrap` agents are managed by POSTROOM_CONFIG, `api` ones here. */
  source: RecordSource;
  created_at: string;
  updated_at: string;
}

export function serializeAgent(agent: AgentRecord): AgentJson {
  return {
    id: agent._id,
    object: 'agent',
    key: agent.key,
    name: agent.name,
    handle: agent.handle,
    provider: providerJson(agent.provider),
    instructions: agent.instructions,
    instructions_version: agent.instructions_version,
    trigger_policy: agent.trigger_policy,
    trigger_keywords: [...agent.trigger_keywords],
    status: agent.status,
    source: agent.source,
    created_at: isoDate(agent.created_at),
    updated_at: isoDate(agent.updated_at),
  };
}

function providerJson(provider: AgentProvider): AgentProviderJson {
  if (provider.type === 'template') return { type: 'template', template: provider.template };
  return {
    type: 'openai',
    base_url: provider.base_url,
    model: provider.model,
    temperature: provider.temperature,
    max_output_tokens: provider.max_output_tokens,
    credential: provider.credential ?? null,
    api_key_set: Boolean(provider.api_key_sealed),
  };
}

/** A stored provider back in the config shape desiredAgent() takes (secrets aside). */
export function providerConfig(provider: AgentProvider): AgentConfig['provider'] {
  if (provider.type === 'template') return { type: 'template', template: provider.template };
  return {
    type: 'openai',
    model: provider.model,
    ...(provider.base_url === null ? {} : { base_url: provider.base_url }),
    ...(provider.temperature === null ? {} : { temperature: provider.temperature }),
    ...(provider.max_output_tokens === null
      ? {}
      : { max_output_tokens: provider.max_output_tokens }),
  };
}

// The same rules as an agent in the bootstrap file (config/bootstrap-schema.ts).
const KEY = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
const HANDLE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_TEXT = 100_000;
const MAX_KEYWORDS = 50;

const name = z.string().trim().min(1, 'must not be empty').max(200);
const handle = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(HANDLE, 'must be a handle like "drafter" (letters, digits, "_", "." or "-")');
const providerBody = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('openai'),
      base_url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
      model: z.string().trim().min(1, 'must not be empty').max(200),
      // Write-only: stored sealed, never shown again (agent-provider.ts).
      api_key: z.string().trim().min(1, 'must not be empty').max(4096).optional(),
      credential: z.string().regex(KEY, 'must be the name of a granted credential').optional(),
      temperature: z.number().min(0).max(2).optional(),
      max_output_tokens: z.number().int().positive().max(1_000_000).optional(),
    }),
    z.strictObject({
      type: z.literal('template'),
      template: z.string().min(1, 'must not be empty').max(MAX_TEXT),
    }),
  ],
  { error: 'must be {"type": "openai", "model", ...} or {"type": "template", "template"}' },
);
export type ProviderBody = z.infer<typeof providerBody>;
const instructions = z.string().max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`);
const keywords = z
  .array(z.string().trim().min(1, 'must not be empty').max(100))
  .max(MAX_KEYWORDS, `at most ${MAX_KEYWORDS} keywords`);

export const createAgentBody = z.strictObject({
  key: z.string().regex(KEY, 'must be 1-63 letters, digits, "_" or "-", like "drafter"'),
  name,
  handle,
  provider: providerBody,
  instructions: instructions.default(''),
  // As in the bootstrap file.
  trigger_policy: z.enum(TRIGGER_POLICIES).default('always'),
  trigger_keywords: keywords.default([]),
});

const PATCHABLE = [
  'name',
  'handle',
  'provider',
  'instructions',
  'trigger_policy',
  'trigger_keywords',
  'status',
] as const;

export const patchAgentBody = z
  .strictObject({
    name: name.optional(),
    handle: handle.optional(),
    provider: providerBody.optional(),
    instructions: instructions.optional(),
    trigger_policy: z.enum(TRIGGER_POLICIES).optional(),
    trigger_keywords: keywords.optional(),
    status: z.enum(AGENT_STATUSES).optional(),
  })
  .refine((body) => PATCHABLE.some((field) => body[field] !== undefined), {
    message: `send at least one of ${PATCHABLE.join(', ')}`,
  });
