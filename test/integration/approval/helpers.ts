// Approval and reconciler tests through the real runtime: one account with a
// drop-folder/outbox-folder mailbox, keys of three permission sets, and
// helpers that seed conversations, customer mail, agent runs and drafts the
// way ingest and the agent worker store them.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { internalsOf } from '../../../src/store/connect.ts';
import {
  agentIdFor,
  type AgentRunRecord,
  type ConversationRecord,
  type MessageRecord,
  type NewConversation,
  type Store,
} from '../../../src/store/index.ts';
import { TEST_API_KEY, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { createCase as createSharedCase } from '../../support/helpers.ts';
// Shared with the other integration folders.
export { errorOf, okJson, stopRuntime, type Json } from '../../support/helpers.ts';

const ACME = 'acme';
const DRAFTER = agentIdFor(ACME, 'drafter');
export const READER_KEY = 'pk_test_approval_reader_01';
export const WRITER_KEY = 'pk_test_approval_writer_01';
export const GLOBEX_KEY = 'pk_test_approval_globex_01';

const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];

function approvalConfig(options: { cancelOnReply?: boolean } = {}): {
  config: unknown;
  outbox: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'postroom-approval-'));
  const outbox = join(dir, 'outbox');
  const config = {
    accounts: [
      {
        id: ACME,
        name: 'Acme',
        api_keys: [
          { name: 'test', key: TEST_API_KEY, permissions: ALL },
          { name: 'reader', key: READER_KEY, permissions: ['messaging:read'] },
          { name: 'writer', key: WRITER_KEY, permissions: ['messaging:read', 'messaging:write'] },
        ],
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: { type: 'template', template: 'Hello' },
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            display_name: 'Acme Support',
            drop_folder: join(dir, 'drop'),
            outbox_folder: outbox,
            delivery: {
              max_attempts: 3,
              backoff_ms: 1000,
              cancel_scheduled_on_customer_reply: options.cancelOnReply ?? true,
            },
          },
        ],
      },
      {
        id: 'globex',
        name: 'Globex',
        api_keys: [{ name: 'g', key: GLOBEX_KEY, permissions: ALL }],
      },
    ],
  };
  return { config, outbox };
}

/** The api role alone: jobs stay in Redis, where the tests look at them. */
export async function startApprovalRuntime(
  roles = 'api',
  options: { cancelOnReply?: boolean } = {},
): Promise<TestRuntime & { outbox: string }> {
  const { config, outbox } = approvalConfig(options);
  const runtime = await startTestRuntime(config, { roles });
  return Object.assign(runtime, { outbox });
}

/** A case with the customer the ingest would have added: where delivery sends replies. */
export function createCase(
  store: Store,
  fields: Partial<NewConversation> = {},
): Promise<ConversationRecord> {
  return createSharedCase(store, {
    participants: [{ type: 'customer', customer: { name: 'Jane', address: 'jane@example.test' } }],
    ...fields,
  });
}

let mailCounter = 0;

/** A customer's email as the ingest stores it. */
export function customerEmail(
  store: Store,
  conversation: ConversationRecord,
  body = 'Where is my parcel?',
  extra: { auto_submitted?: boolean } = {},
): Promise<MessageRecord> {
  mailCounter++;
  return store.messages.appendSent({
    account_id: conversation.account_id,
    conversation_id: conversation._id,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body,
    subject: conversation.title,
    mailbox_id: conversation.mailbox_id,
    email: {
      message_id: `customer-${Date.now()}-${mailCounter}@example.test`,
      from: { name: 'Jane', address: 'jane@example.test' },
      to: [{ name: null, address: 'support@acme.test' }],
      auto_submitted: extra.auto_submitted ?? false,
    },
  });
}

/** A teammate's internal note (not a customer message). */
export function internalNote(
  store: Store,
  conversation: ConversationRecord,
  body = 'Checking the warehouse.',
): Promise<MessageRecord> {
  return store.messages.appendSent({
    account_id: conversation.account_id,
    conversation_id: conversation._id,
    kind: 'chat',
    visibility: 'internal',
    channel: 'message',
    body,
  });
}

async function createRun(
  store: Store,
  trigger: MessageRecord,
  status: 'queued' | 'capped' = 'queued',
): Promise<AgentRunRecord> {
  const { run } = await store.agentRuns.create({
    account_id: trigger.account_id,
    conversation_id: trigger.conversation_id,
    agent_id: DRAFTER,
    trigger_message_id: trigger._id,
    status,
  });
  return run;
}

/** A draft answering `trigger`, streaming, or complete with `body`. */
export async function createDraft(
  store: Store,
  trigger: MessageRecord,
  options: { body?: string; streaming?: boolean; channel?: 'email' | 'message' } = {},
): Promise<{ draft: MessageRecord; run: AgentRunRecord }> {
  const run = await createRun(store, trigger);
  const channel = options.channel ?? 'email';
  const draft = await store.drafts.create({
    account_id: trigger.account_id,
    conversation_id: trigger.conversation_id,
    agent_run_id: run._id,
    sender_id: DRAFTER,
    reply_to_id: trigger._id,
    trigger_message_id: trigger._id,
    channel,
    subject: channel === 'email' ? 'Re: Where is my order?' : null,
    mailbox_id: channel === 'email' ? 'support' : null,
  });
  if (options.streaming) return { draft, run };
  const done = await store.drafts.complete(draft._id, options.body ?? 'Dear Jane, it ships today.');
  assert.ok(done, 'the draft completes');
  return { draft: done, run };
}

/** A case with a customer email and a complete draft answering it. */
export async function caseWithDraft(
  store: Store,
  body?: string,
): Promise<{ conversation: ConversationRecord; trigger: MessageRecord; draft: MessageRecord }> {
  const conversation = await createCase(store);
  const trigger = await customerEmail(store, conversation);
  const { draft } = await createDraft(store, trigger, body === undefined ? {} : { body });
  return { conversation, trigger, draft };
}

/** Write fields straight to a message, timestamps untouched (crash states, old documents). */
export async function forceMessage(
  store: Store,
  id: string,
  set: Record<string, unknown>,
): Promise<void> {
  const { Message } = internalsOf(store).models;
  await Message.updateOne({ _id: id }, { $set: set }, { timestamps: false, strict: false }).exec();
}

export async function forceRun(
  store: Store,
  id: string,
  set: Record<string, unknown>,
): Promise<void> {
  const { AgentRun } = internalsOf(store).models;
  await AgentRun.updateOne({ _id: id }, { $set: set }, { timestamps: false }).exec();
}

export async function message(store: Store, id: string): Promise<MessageRecord> {
  const found = await store.messages.get(ACME, id);
  assert.ok(found, `message ${id} exists`);
  return found;
}

const actionPath = (id: string, action: 'approve' | 'reject' | 'cancel') =>
  `/v1/messaging/messages/${encodeURIComponent(id)}/actions/${action}`;

export function act(
  runtime: TestRuntime,
  id: string,
  action: 'approve' | 'reject' | 'cancel',
  body: unknown = {},
  key?: string,
): Promise<Response> {
  return runtime.request(actionPath(id, action), {
    method: 'POST',
    body: JSON.stringify(body),
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });
}

export function deliverJob(runtime: TestRuntime, messageId: string) {
  return runtime.context.queues.queue('message.deliver').getJob(`deliver-${messageId}`);
}
