// Records for the agent rules' unit tests: full MessageRecords (so the rules
// are tested against what the store returns), agents and participants.
import type { AgentRecord } from '../../../src/store/records/agent.ts';
import type { ParticipantRecord } from '../../../src/store/records/conversation.ts';
import type { MessageRecord } from '../../../src/store/records/message.ts';

const epoch = new Date('2024-05-01T10:00:00Z');

export function message(overrides: Partial<MessageRecord> = {}): MessageRecord {
  return {
    _id: 'msg_1',
    account_id: 'acme',
    conversation_id: 'cnv_1',
    kind: 'chat',
    status: 'sent',
    visibility: 'external',
    sequence: 1,
    body: 'Hello',
    subject: null,
    sender_id: null,
    author_id: null,
    attachments: [],
    reply_to_id: null,
    resource: null,
    channel: 'message',
    scheduled_at: null,
    agent_run_id: null,
    streaming_state: null,
    edited_at: null,
    deleted_at: null,
    mailbox_id: null,
    participant_id: null,
    html: null,
    text_new: null,
    email: null,
    raw_source_id: null,
    parse_error: null,
    delivery: null,
    approval: null,
    rejection: null,
    cancel: null,
    trigger_message_id: null,
    redacted_at: null,
    created_at: epoch,
    updated_at: epoch,
    ...overrides,
  };
}

/** An inbound customer mail as ingest stores it. */
export function inboundEmail(overrides: Partial<MessageRecord> = {}): MessageRecord {
  return message({
    kind: 'email',
    channel: 'email',
    subject: 'Refund for order 1001',
    participant_id: 'par_customer',
    email: {
      message_id: 'm1@customer.test',
      in_reply_to: null,
      references: [],
      from: { name: 'Jane Doe', address: 'jane@customer.test' },
      to: [{ name: 'Acme Support', address: 'support@acme.test' }],
      cc: [],
      auto_submitted: false,
      auto_submitted_reason: null,
      subject: 'Refund for order 1001',
      date: epoch,
    },
    ...overrides,
  });
}

export function agent(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    _id: 'agt_acme_drafter',
    account_id: 'acme',
    key: 'drafter',
    name: 'Drafter',
    handle: 'drafter',
    handle_lower: 'drafter',
    provider: { type: 'template', template: 'Hi {{customer.name}}' },
    instructions: 'You draft polite, accurate replies for Acme support.',
    instructions_version: 'abcdef123456',
    trigger_policy: 'always',
    trigger_keywords: [],
    status: 'active',
    source: 'bootstrap',
    created_at: epoch,
    updated_at: epoch,
    ...overrides,
  };
}

export function agentParticipant(
  agentId: string,
  overrides: Partial<ParticipantRecord> = {},
): ParticipantRecord {
  return {
    _id: `par_${agentId}`,
    type: 'agent',
    role: 'member',
    membership: 'active',
    notifications: 'unmuted',
    actor_id: agentId,
    customer: null,
    agent_trigger_policy: null,
    agent_trigger_keywords: [],
    joined_at: epoch,
    ...overrides,
  };
}

export function customerParticipant(): ParticipantRecord {
  return {
    _id: 'par_customer',
    type: 'customer',
    role: 'member',
    membership: 'active',
    notifications: 'unmuted',
    actor_id: null,
    customer: { name: 'Jane Doe', address: 'jane@customer.test' },
    agent_trigger_policy: null,
    agent_trigger_keywords: [],
    joined_at: epoch,
  };
}

/** `minutes` after the fixtures' epoch, for timeline ordering. */
export function at(minutes: number): Date {
  return new Date(epoch.getTime() + minutes * 60_000);
}
