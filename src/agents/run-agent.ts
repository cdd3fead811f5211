// One attempt of an agent run: take the conversation's stream slot, stream
// the provider into a draft that exists from the first token, save it at a
// bounded rate, and finish: draft complete, older drafts superseded, case in
// needs_approval. A retryable failure leaves the draft to be restarted by the
// next attempt; the last failure rejects it, fails the run and posts an alert.
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { JobPayload } from '../queues/catalog.ts';
import type { Publisher } from '../realtime/events.ts';
import type { AgentRunUsage, Store } from '../store/index.ts';
import { postRunAlert } from './run-alert.ts';
import type { Redis } from 'ioredis';
import type { ModelAccessDeps } from './model-access.ts';
import { prepareRun, type PrepareOptions } from './prepare-run.ts';
import { classifyProviderError } from './providers/classify-error.ts';
import { ProviderError, type PromptMessage, type ToolCallRequest } from './providers/types.ts';
import { budgetRefusal, costOf, estimatedCost } from './budget/budget.ts';
import { refuseForBudget } from './budget/refuse.ts';
import { closestEditExamples, withEditExamples } from './learning/edit-examples.ts';
import { agentConfigOf, toolSession } from './tools/tool-session.ts';
import { replySubject } from '../mail/reply-subject.ts';
import { takeStreamSlot } from './stream-slot.ts';
import { citationsIn, runKnowledge } from '../knowledge/grounding.ts';

export interface RunAgentDeps {
  store: Store;
  redis: Redis;
  prefix: string;
  publisher: Publisher;
  logger: Logger;
  config: ModelAccessDeps;
  /** The spend counter; absent in tests that build the deps by hand. */
  metrics?: Pick<Metrics, 'agentSpend'>;
  options: PrepareOptions & {
    /** The draft body is written to MongoDB at most this often while streaming. */
    saveIntervalMs: number;
  };
}

export type AttemptResult =
  | { kind: 'done'; outcome: 'completed' | 'canceled' | 'skipped' | 'capped' }
  /** Another run streams in this conversation: try again shortly. */
  | { kind: 'busy' };

/** Thrown for a failure the job should retry; carries the server's Retry-After. */
export class RetryableRunError extends Error {
  override readonly name = 'RetryableRunError';
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

/** Thrown after the last attempt has been recorded as failed: no more retries. */
export class FinalRunError extends Error {
  override readonly name = 'FinalRunError';
}

export async function runAgentAttempt(
  deps: RunAgentDeps,
  payload: JobPayload<'agent.run'>,
  attempt: { number: number; max: number },
  signal: AbortSignal,
): Promise<AttemptResult> {
  const { store, publisher } = deps;
  const log = deps.logger.child({
    conversation: payload.conversation_id,
    agent: payload.agent_id,
    attempt: attempt.number,
  });
  const run = await store.agentRuns.findByTrigger(
    payload.trigger_message_id,
    payload.agent_id,
    payload.generation ?? null,
  );
  if (!run || (run.status !== 'queued' && run.status !== 'running'))
    return { kind: 'done', outcome: 'skipped' };

  const slot = await takeStreamSlot(deps.redis, deps.prefix, payload.conversation_id);
  if (!slot) return { kind: 'busy' };
  let draftId = run.draft_message_id;
  try {
    const prepared = await prepareRun(store, deps.config, payload, deps.options);
    if (!prepared) {
      await store.agentRuns.end(run._id, 'canceled', {
        code: 'not_runnable',
        message: 'the agent, case or trigger message is gone or disabled',
      });
      return { kind: 'done', outcome: 'canceled' };
    }
    const { agent, conversation, trigger, context, provider } = prepared;
    // Tools, prices and budgets are bootstrap settings, read where the run starts.
    const agentConfig = agentConfigOf(deps.config.bootstrap, agent);
    const pricing = agentConfig?.pricing ?? null;
    const maxOutput = agent.provider.type === 'openai' ? agent.provider.max_output_tokens : null;
    const refusal = await budgetRefusal(
      store,
      deps.config.bootstrap.accounts.find((a) => a.id === agent.account_id) ?? null,
      { _id: agent._id, account_id: agent.account_id, config: agentConfig },
      conversation._id,
      pricing ? estimatedCost(pricing, context.estimated_tokens, maxOutput) : 0,
    );
    if (refusal) {
      await refuseForBudget(deps, run, agent, refusal);
      return { kind: 'done', outcome: 'capped' };
    }
    const examples = await closestEditExamples(
      store,
      agent.account_id,
      agent._id,
      trigger.body ?? '',
    );
    const tools = toolSession(agentConfig, deps.config.guardedFetch);
    let prompt: PromptMessage[] = withEditExamples(context.messages, examples);
    const started = await store.agentRuns.start(run._id, provider.model);
    if (!started) return { kind: 'done', outcome: 'skipped' };

    if (draftId) {
      // A retried stream restarts the same draft; subscribers drop what they had.
      if (!(await store.drafts.reset(draftId)))
        return await canceled(deps, run._id, 'the draft was superseded');
      await publisher.publish({
        type: 'message.delta',
        conversation_id: conversation._id,
        delta: { message_id: draftId, offset: 0, text: '', reset: true },
      });
    }

    let body = '';
    let usage: AgentRunUsage | null = null;
    let firstTokenAt: Date | null = started.timings.first_token_at;
    let lastSave = Date.now();
    let saving: Promise<void> | null = null;
    let superseded = false;
    // Each round streams one model turn; a turn ending in tool calls gets their
    // answers and another round. The limit ends the offers, and a model that
    // calls tools it is no longer offered gets refusals for a few more rounds.
    for (let round = 0; ; round++) {
      let calls: ToolCallRequest[] | null = null;
      let roundText = '';
      const offer = tools.offer();
      for await (const event of provider.stream(
        prompt,
        signal,
        offer.length > 0 ? { tools: offer } : {},
      )) {
        if (event.type === 'usage') {
          usage = addUsage(usage, event.usage);
          continue;
        }
        if (event.type === 'tool_calls') {
          calls = event.calls;
          continue;
        }
        roundText += event.text;
        if (!draftId) {
          // The draft exists from the first token, unless the run was aborted meanwhile.
          const current = await store.agentRuns.get(payload.account_id, run._id);
          if (current?.status !== 'running') return { kind: 'done', outcome: 'canceled' };
          const draft = await store.drafts.create({
            account_id: conversation.account_id,
            conversation_id: conversation._id,
            agent_run_id: run._id,
            sender_id: agent._id,
            reply_to_id: trigger._id,
            trigger_message_id: trigger._id,
            channel: conversation.mailbox_id ? 'email' : 'message',
            subject: conversation.mailbox_id ? replySubject(conversation.title) : null,
            mailbox_id: conversation.mailbox_id,
          });
          draftId = draft._id;
          firstTokenAt = new Date();
          await store.agentRuns.linkDraft(run._id, draftId, firstTokenAt);
          await publisher.publish({
            type: 'message.created',
            conversation_id: conversation._id,
            message_id: draftId,
          });
        }
        const offset = body.length;
        body += event.text;
        // Not awaited: one Redis connection keeps publishes in order, and the
        // next token should not wait for the previous one's round trip.
        void publisher.publish({
          type: 'message.delta',
          conversation_id: conversation._id,
          delta: { message_id: draftId, offset, text: event.text },
        });
        if (superseded) return await canceled(deps, run._id, 'the draft was superseded');
        // Saves run beside the stream, one at a time, at most every saveIntervalMs;
        // a save that finds the draft no longer streaming stops the run at the next token.
        if (!saving && Date.now() - lastSave >= deps.options.saveIntervalMs) {
          lastSave = Date.now();
          const id = draftId;
          saving = store.drafts
            .saveBody(id, body)
            .then((stillStreaming) => {
              if (!stillStreaming) superseded = true;
            })
            .catch((error: unknown) =>
              log.warn(
                { err: error, draft: id },
                'could not save the draft body; will save at the end',
              ),
            )
            .finally(() => {
              saving = null;
            });
        }
      }
      if (!calls || round >= MAX_TOOL_ROUNDS) break;
      prompt = [...prompt, ...(await tools.answer(calls, roundText, signal))];
    }
    await saving;
    if (superseded) return await canceled(deps, run._id, 'the draft was superseded');
    if (!draftId || body.trim() === '')
      throw new ProviderError('the model returned an empty reply', 'empty_reply', true);

    const cost = pricing && usage ? costOf(pricing, usage) : null;
    const citations = citationsIn(body, prepared.grounding.offered);
    const done = await store.drafts.complete(draftId, body, citations);
    if (!done) return await canceled(deps, run._id, 'the draft was superseded');
    const completed = await store.agentRuns.complete(run._id, {
      model: provider.model,
      usage,
      instructions_version: agent.instructions_version,
      context_message_ids: context.context_message_ids,
      first_token_at: firstTokenAt,
      tool_calls: tools.calls,
      proposed_actions: tools.proposed,
      cost,
      edit_example_ids: examples.map((e) => e._id),
      knowledge: runKnowledge(prepared.grounding.offered, citations),
      language: prepared.grounding.language?.code ?? null,
    });
    if (!completed) {
      // Canceled while finishing (the customer wrote again): the draft goes too.
      await store.drafts.end(draftId, 'superseded', 'the run was canceled');
      return { kind: 'done', outcome: 'canceled' };
    }
    if (cost && cost.total > 0) {
      deps.metrics?.agentSpend.inc({ account: agent.account_id, agent: agent.key }, cost.total);
    }
    await store.conversations.applyWorkflowEvent(conversation.account_id, conversation._id, {
      type: 'draft_completed',
    });
    await publisher.publish({
      type: 'message.updated',
      conversation_id: conversation._id,
      message_id: draftId,
    });
    await publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
    log.info(
      { run: run._id, draft: draftId, usage, chars: body.length },
      'draft complete; case awaits approval',
    );
    return { kind: 'done', outcome: 'completed' };
  } catch (error) {
    if (signal.aborted) throw new RetryableRunError('the worker is shutting down', 0);
    const failure = classifyProviderError(error);
    const final = !failure.retryable || attempt.number >= attempt.max;
    if (!final) {
      await store.agentRuns.noteError(run._id, { code: failure.code, message: failure.message });
      log.warn({ err: failure, run: run._id }, 'agent attempt failed; will retry');
      throw new RetryableRunError(failure.message, failure.retryAfterMs);
    }
    await failForGood(deps, run._id, draftId, payload, failure, attempt.number);
    throw new FinalRunError(failure.message);
  } finally {
    await slot.release();
  }
}

// Rounds of tool calls in one run, beyond the per-run call limit's own bound:
// a model that keeps calling after its calls are refused is cut off here.
const MAX_TOOL_ROUNDS = 12;

function addUsage(sum: AgentRunUsage | null, more: AgentRunUsage): AgentRunUsage {
  if (!sum) return { ...more };
  return {
    prompt_tokens: sum.prompt_tokens + more.prompt_tokens,
    completion_tokens: sum.completion_tokens + more.completion_tokens,
    total_tokens: sum.total_tokens + more.total_tokens,
  };
}

async function canceled(deps: RunAgentDeps, runId: string, why: string): Promise<AttemptResult> {
  await deps.store.agentRuns.end(runId, 'canceled', { code: 'superseded', message: why });
  return { kind: 'done', outcome: 'canceled' };
}

async function failForGood(
  deps: RunAgentDeps,
  runId: string,
  draftId: string | null,
  payload: JobPayload<'agent.run'>,
  failure: ProviderError,
  attempts: number,
): Promise<void> {
  const { store, publisher } = deps;
  const reason = `${failure.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  if (draftId) {
    await store.drafts.end(draftId, 'rejected', reason);
    await publisher.publish({
      type: 'message.updated',
      conversation_id: payload.conversation_id,
      message_id: draftId,
    });
  }
  const ended = await store.agentRuns.end(runId, 'failed', { code: failure.code, message: reason });
  if (!ended) return; // Canceled meanwhile: nobody is waiting for this draft.
  const agent = await store.agents.get(payload.account_id, payload.agent_id);
  await postRunAlert(
    deps,
    {
      run_id: runId,
      account_id: payload.account_id,
      conversation_id: payload.conversation_id,
      trigger_message_id: payload.trigger_message_id,
    },
    `${agent?.name ?? 'The agent'} could not draft a reply: ${reason}.`,
  );
  deps.logger.error({ run: runId, code: failure.code, reason }, 'agent run failed for good');
}
