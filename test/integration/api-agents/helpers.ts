// The agent-facing endpoints through the real runtime (api role only, so the
// agent runs they queue stay queued): two accounts, agents of every trigger
// policy, and helpers to seed conversations and read Server-Sent Events.
import { agentIdFor, type NewParticipant } from '../../../src/store/index.ts';
import { TEST_API_KEY, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
// Shared with the other integration folders.
export { createActor, createCase, errorOf, stopRuntime, type Json } from '../../support/helpers.ts';

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

export function agentParticipant(
  agentId: string,
  policy: NewParticipant['agent_trigger_policy'],
): NewParticipant {
  return { type: 'agent', actor_id: agentId, agent_trigger_policy: policy };
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
