// Shared setup of the delivery tests: the real runtime with only the delivery
// role, a customer case opened by an inbound email (stored directly), and
// scheduled replies handed to delivery through scheduleDelivery().
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { scheduleDelivery } from '../../../src/delivery/schedule.ts';
import type { NewMessage } from '../../../src/store/repositories/messages.ts';
import type { ConversationRecord, MessageRecord, MessageStatus } from '../../../src/store/index.ts';
import type { SmtpTestServer } from '../../support/services/smtp-server.ts';
import { accountConfig, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
// Shared with the other integration folders.
export { stopRuntime } from '../../support/helpers.ts';

export const CUSTOMER = { name: 'Jane Doe', address: 'jane@customer.test' };

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `postroom-delivery-${label}-`));
}

/** A mailbox whose SMTP is the test server: 4 attempts from 200 ms (gaps 200, 400, 800 ±20 %). */
export function smtpMailbox(smtp: SmtpTestServer, overrides: Record<string, unknown> = {}) {
  return {
    id: 'support',
    address: 'support@acme.test',
    display_name: 'Acme Support',
    drop_folder: tempDir('drop'),
    smtp: {
      host: smtp.host,
      port: smtp.port,
      secure: false,
      auth: { user: 'support@acme.test', pass: 'smtp-secret' },
    },
    delivery: { max_attempts: 4, backoff_ms: 200, backoff_max_ms: 10_000, jitter: 0.2 },
    ...overrides,
  };
}

export async function startDeliveryRuntime(mailboxes: unknown[]): Promise<TestRuntime> {
  return startTestRuntime(accountConfig(mailboxes), { roles: 'delivery' });
}

export interface OpenCase {
  conversation: ConversationRecord;
  inbound: MessageRecord;
}

/** A customer case as ingest leaves it: the customer's mail (sequence 1) awaiting our reply. */
export async function openCase(
  runtime: TestRuntime,
  options: {
    mailbox?: string;
    title?: string;
    workflow?: 'needs_approval' | 'new';
    customer?: { name: string; address: string };
  } = {},
): Promise<OpenCase> {
  const customerAddress = options.customer ?? CUSTOMER;
  const { store } = runtime.context;
  const mailbox = options.mailbox ?? 'support';
  const title = options.title ?? 'Order 1234 is late';
  const inboundId = `${randomBytes(6).toString('hex')}@customer.test`;
  const conversation = await store.conversations.create({
    account_id: 'acme',
    type: 'group',
    audience: 'customer',
    title,
    workflow_status: options.workflow ?? 'needs_approval',
    mailbox_id: mailbox,
    email_thread: { root_message_id: inboundId, subject_normalized: title.toLowerCase() },
    participants: [{ type: 'customer', role: 'member', customer: customerAddress }],
  });
  const customer = conversation.participants[0];
  const inbound = await store.messages.appendSent({
    account_id: 'acme',
    conversation_id: conversation._id,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body: 'Where is my order?',
    subject: title,
    mailbox_id: mailbox,
    participant_id: customer?._id ?? null,
    email: {
      message_id: inboundId,
      from: customerAddress,
      to: [{ name: null, address: 'support@acme.test' }],
      subject: title,
      references: [],
    },
  });
  return { conversation, inbound };
}

/** Store a scheduled reply and hand it to delivery, as the approval API does. */
export async function scheduleReply(
  runtime: TestRuntime,
  open: OpenCase,
  overrides: Partial<NewMessage> = {},
): Promise<MessageRecord> {
  const message = await runtime.context.store.messages.insert({
    account_id: 'acme',
    conversation_id: open.conversation._id,
    kind: 'agent',
    status: 'scheduled',
    visibility: 'external',
    channel: 'email',
    body: 'Hello Jane,\n\nYour order ships tomorrow.\nSorry for the wait!',
    scheduled_at: new Date(),
    mailbox_id: open.conversation.mailbox_id,
    ...overrides,
  });
  await scheduleDelivery(runtime.context.queues, message);
  return message;
}

export async function messageOf(runtime: TestRuntime, id: string): Promise<MessageRecord> {
  const message = await runtime.context.store.messages.get('acme', id);
  assert.ok(message, `message ${id} exists`);
  return message;
}

export async function waitForStatus(
  runtime: TestRuntime,
  id: string,
  status: MessageStatus,
  timeoutMs = 15_000,
): Promise<MessageRecord> {
  return waitUntil(
    async () => {
      const message = await runtime.context.store.messages.get('acme', id);
      return message?.status === status ? message : null;
    },
    { what: `message ${id} ${status}`, timeoutMs },
  );
}

export async function conversationOf(
  runtime: TestRuntime,
  id: string,
): Promise<ConversationRecord> {
  const conversation = await runtime.context.store.conversations.get('acme', id);
  assert.ok(conversation, `conversation ${id} exists`);
  return conversation;
}

/** The case effects follow a message's status change: wait for the workflow they end in. */
export async function waitForWorkflow(
  runtime: TestRuntime,
  id: string,
  workflow: NonNullable<ConversationRecord['workflow_status']>,
): Promise<ConversationRecord> {
  return waitUntil(
    async () => {
      const conversation = await runtime.context.store.conversations.get('acme', id);
      return conversation?.workflow_status === workflow ? conversation : null;
    },
    { what: `conversation ${id} ${workflow}` },
  );
}

/** The conversation's sent messages in sequence order. */
export async function timeline(runtime: TestRuntime, conversationId: string) {
  const page = await runtime.context.store.messages.listForConversation('acme', conversationId, {
    status: ['sent'],
    limit: 100,
  });
  return page.items;
}

/**
 * When each SMTP transaction from now on began (MAIL FROM at the test server,
 * Date.now() in ms): recorded by the server itself, so no polling window blurs it.
 */
export function watchAttempts(smtp: SmtpTestServer) {
  const from = smtp.attemptTimes.length;
  return {
    get times(): number[] {
      return smtp.attemptTimes.slice(from);
    },
  };
}

/**
 * The message's delivery job has finished its run: every effect of the
 * outcome (sequence, last message, first response, workflow, alert, events)
 * is written by then, so a check of what did not happen is meaningful.
 */
export async function waitForJobDone(runtime: TestRuntime, messageId: string): Promise<void> {
  const queue = runtime.context.queues.queue('message.deliver');
  await waitUntil(async () => (await queue.getJobState(`deliver-${messageId}`)) === 'completed', {
    what: `the delivery job of ${messageId} to complete`,
  });
}

export async function parseMail(raw: Buffer | string): Promise<ParsedMail> {
  return simpleParser(raw);
}

export function addresses(field: AddressObject | AddressObject[] | undefined) {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => ({ name: v.name, address: v.address })));
}
