// The agent-facing endpoints through the real runtime (api role only, so the
// agent runs they queue stay queued): two accounts, agents of every trigger
// policy, and helpers to seed conversations and read Server-Sent Events.
import { internalsOf } from '../../../src/store/connect.ts';
import {
  agentIdFor,
  newId,
  type ActorRecord,
  type ActorType,
  type ConversationRecord,
  type NewConversation,
  type NewParticipant,
  type Store,
} from '../../../src/store/index.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';

export const ACME = 'acme';
export const GLOBEX = 'globex';
export const READER_KEY = 'pk_test_reader_key_0001';
export const GLOBEX_KEY = 'pk_test_globex_key_0001';

export const DRAFTER = agentIdFor(ACME, 'drafter');
export const HELPER = agentIdFor(ACME, 'helper');
export const REFUNDS = agentIdFor(ACME, 'refunds');

const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];
const template = (text: string) => ({ type: 'template', template: text });

function agentsConfig(): unknown {
  return {
    accounts: [
      {
        id: ACME,
        name: 'Acme',
        api_keys: [
          { name: 'test', key: TEST_API_KEY, permissions: ALL },
          { name: 'reader', key: READER_KEY, permissions: ['messaging:read'] },
        ],
        agents: [
          { id: 'drafter', name: 'Drafter', handle: 'drafter', provider: template('Hello') },
          {
            id: 'helper',
            name: 'Helper Bot',
            handle: 'helper',
            provider: template('Hi'),
            trigger_policy: 'mention',
          },
          {
            id: 'refunds',
            name: 'Refunds',
            handle: 'refunds',
            provider: template('Refund'),
            trigger_policy: 'keyword',
            trigger_keywords: ['refund'],
          },
        ],
      },
      {
        id: GLOBEX,
        name: 'Globex',
        api_keys: [{ name: 'admin', key: GLOBEX_KEY, permissions: ALL }],
      },
    ],
  };
}

export async function startAgentsRuntime(env: Record<string, string> = {}): Promise<TestRuntime> {
  return startTestRuntime(agentsConfig(), { roles: 'api', env });
}

export async function stopRuntime(runtime: TestRuntime | undefined): Promise<void> {
  if (!runtime) return;
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
}

/** A customer case bridged to the `support` mailbox unless fields say otherwise. */
export function createCase(
  store: Store,
  fields: Partial<NewConversation> = {},
): Promise<ConversationRecord> {
  return store.conversations.create({
    account_id: ACME,
    type: 'group',
    audience: 'customer',
    workflow_status: 'new',
    title: 'Where is my order?',
    mailbox_id: 'support',
    ...fields,
  });
}

export function agentParticipant(
  agentId: string,
  policy: NewParticipant['agent_trigger_policy'],
): NewParticipant {
  return { type: 'agent', actor_id: agentId, agent_trigger_policy: policy };
}

/** Users are not in the bootstrap file: written straight to the model. */
export async function createActor(
  store: Store,
  type: ActorType,
  name: string,
  accountId = ACME,
): Promise<ActorRecord> {
  const { Actor } = internalsOf(store).models;
  const created = await Actor.create({
    _id: newId('act'),
    account_id: accountId,
    type,
    name,
    handle: type === 'user' ? `${name.toLowerCase()}@acme.test` : null,
  });
  return created.toObject<ActorRecord>();
}

export function post(runtime: TestRuntime, path: string, body: unknown, key?: string) {
  return runtime.request(path, {
    method: 'POST',
    body: JSON.stringify(body),
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });
}

export function patch(runtime: TestRuntime, path: string, body: unknown) {
  return runtime.request(path, { method: 'PATCH', body: JSON.stringify(body) });
}

export type Json = Record<string, unknown> & { id: string };

export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return body.error;
}
