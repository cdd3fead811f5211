// Everything a run needs before it streams: the agent, the case, the prompt
// (rules/context.ts) and a provider. Reads only; no state changes here.
import type { AgentRecord, ConversationRecord, MessageRecord, Store } from '../store/index.ts';
import { modelAccessFor, type ModelAccessDeps } from './model-access.ts';
import { openAiProvider } from './providers/openai-provider.ts';
import { templateProvider } from './providers/template-provider.ts';
import type { DraftProvider } from './providers/types.ts';
import { buildContext, type BuiltContext } from './rules/context.ts';
import type { ContextActor } from './rules/context-entries.ts';
import { renderTemplate } from './rules/template.ts';
import { estimateTokens } from './rules/token-estimate.ts';
import { groundRun, type Grounding, type KnowledgeDeps } from '../knowledge/ground-run.ts';

export interface PreparedRun {
  agent: AgentRecord;
  conversation: ConversationRecord;
  trigger: MessageRecord;
  context: BuiltContext;
  provider: DraftProvider;
  grounding: Grounding;
}

export interface PrepareOptions {
  /** Prompt budget in tokens (the model's window minus the reply). */
  tokenBudget: number;
  /** No chunk from the model for this long: the stream stalled. */
  idleTimeoutMs: number;
  /** The account's knowledge base; absent: drafts are not grounded (language still detected). */
  knowledge?: KnowledgeDeps;
}

// The history a prompt can draw on: enough for any realistic case; the
// budget trims it further.
const MAX_HISTORY = 300;

export async function prepareRun(
  store: Store,
  config: ModelAccessDeps,
  ids: {
    account_id: string;
    conversation_id: string;
    agent_id: string;
    trigger_message_id: string;
  },
  options: PrepareOptions,
): Promise<PreparedRun | null> {
  const [agent, conversation, trigger] = await Promise.all([
    store.agents.get(ids.account_id, ids.agent_id),
    store.conversations.get(ids.account_id, ids.conversation_id),
    store.messages.get(ids.account_id, ids.trigger_message_id),
  ]);
  if (!agent || !conversation || !trigger || agent.status !== 'active') return null;

  const history: MessageRecord[] = [];
  let after: string | undefined;
  do {
    const page = await store.messages.listForConversation(ids.account_id, conversation._id, {
      status: ['sent'],
      limit: 100,
      ...(after ? { after } : {}),
    });
    history.push(...page.items);
    after = page.has_next && page.next_cursor ? page.next_cursor : undefined;
  } while (after && history.length < 10_000);
  // The conversation as it was when the trigger arrived, newest last.
  const upToTrigger = history.filter(
    (m) => (m.sequence ?? 0) <= (trigger.sequence ?? Number.MAX_SAFE_INTEGER),
  );
  const messages = upToTrigger.slice(-MAX_HISTORY);
  if (!messages.some((m) => m._id === trigger._id)) messages.push(trigger);

  const actorIds = [
    ...new Set(
      messages.flatMap((m) => [m.author_id, m.sender_id]).filter((id): id is string => !!id),
    ),
  ];
  const actors = await store.actors.getMany(ids.account_id, actorIds);
  const actorsById = new Map<string, ContextActor>(
    [...actors.entries()].map(([id, actor]) => [
      id,
      { type: actor.type, name: actor.name, handle: actor.handle },
    ]),
  );
  const customerParticipant =
    conversation.participants.find((p) => p._id === trigger.participant_id) ??
    conversation.participants.find((p) => p.type === 'customer');
  const customer = customerParticipant?.customer ?? null;

  const grounding = await groundRun(
    options.knowledge,
    groundingInput(ids.account_id, conversation, messages, actorsById, options.tokenBudget),
  );
  const context = buildContext({
    agent: { name: agent.name, instructions: agent.instructions },
    conversation: {
      case_number: conversation.case_number,
      title: conversation.title,
      priority: conversation.priority,
    },
    messages,
    actorsById,
    customer,
    tokenBudget: options.tokenBudget,
    grounding,
  });
  return {
    agent,
    conversation,
    trigger,
    context,
    grounding,
    provider: providerFor(agent, conversation, customer, config, options),
  };
}

// What retrieval searches with: the customer's newest message (the trigger
// may be a teammate's note), then the subject and their earlier messages.
function groundingInput(
  accountId: string,
  conversation: ConversationRecord,
  messages: readonly MessageRecord[],
  actorsById: ReadonlyMap<string, ContextActor>,
  tokenBudget: number,
) {
  const fromCustomer = messages.filter((m) => {
    const actor = m.author_id ?? m.sender_id;
    return (
      m.visibility === 'external' &&
      (m.kind === 'email' || m.kind === 'chat') &&
      (!actor || !actorsById.has(actor))
    );
  });
  const textOf = (m: MessageRecord): string => m.text_new ?? m.body ?? '';
  const latest = fromCustomer.at(-1);
  return {
    account_id: accountId,
    latest: latest ? textOf(latest) : '',
    thread: [conversation.title ?? '', ...fromCustomer.slice(-4, -1).map(textOf)].join('\n'),
    tokenBudget,
    estimate: estimateTokens,
  };
}

function providerFor(
  agent: AgentRecord,
  conversation: ConversationRecord,
  customer: { name: string | null; address: string } | null,
  config: ModelAccessDeps,
  options: PrepareOptions,
): DraftProvider {
  const provider = agent.provider;
  switch (provider.type) {
    case 'template':
      return templateProvider(
        renderTemplate(provider.template, {
          customer,
          conversation: { case_number: conversation.case_number, title: conversation.title },
          agent: { name: agent.name },
        }).text,
      );
    case 'openai': {
      const access = modelAccessFor(agent, provider, config);
      return openAiProvider({
        baseURL: access.baseURL,
        apiKey: access.apiKey,
        ...(access.fetch ? { fetch: access.fetch } : {}),
        model: provider.model,
        temperature: provider.temperature,
        maxOutputTokens: provider.max_output_tokens,
        idleTimeoutMs: options.idleTimeoutMs,
      });
    }
    default:
      return provider satisfies never;
  }
}
