import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serializeActor } from '../../../src/api/serialize/actor.ts';
import { serializeAttachment } from '../../../src/api/serialize/attachment.ts';
import { isoDate, list, pageInfoFor, serializeEntity } from '../../../src/api/serialize/common.ts';
import { serializeConversation } from '../../../src/api/serialize/conversation.ts';
import { serializeMessage } from '../../../src/api/serialize/message.ts';
import { serializeParticipant } from '../../../src/api/serialize/participant.ts';
import type { AgentRunRecord } from '../../../src/store/records/agent-run.ts';
import { SEED_FIELDS, actorRecord, conversationRecord, messageRecord } from '../store/fixtures.ts';

/** The exact key set: the seed's fields plus the extras we document, nothing else. */
function assertKeys(value: object, seed: readonly string[], extras: readonly string[]): void {
  assert.deepEqual(Object.keys(value).sort(), [...seed, ...extras].sort());
}

const CONVERSATION_EXTRAS = [
  'unread_message_count',
  'case_number',
  'priority_label',
  'is_waiting',
  'is_closed',
  'latest_messaging_channel',
  'channel_priority',
  'priority',
  'is_spam',
  'spam_score',
  'first_response_at',
  'closed_at',
  'mailbox_id',
  'assignee_id',
  'last_message_id',
  'redacted_at',
  // Seed D's name for title, and its assignee_type; seed C's awaiting.
  'subject',
  'assignee_type',
  'awaiting',
  // Seed C's reporter.
  'reporter',
];
const PARTICIPANT_EXTRAS = ['customer', 'handle', 'actor_id', 'joined_at'];
const MESSAGE_EXTRAS = [
  'conversation_id',
  'sender_id',
  'author_id',
  'reply_to_id',
  'agent_run_id',
  'email',
  'delivery',
  'parse_error',
  'body_truncated',
  'has_html',
  'rejection',
  'supersession',
  'citations',
  'cancel',
  'approval',
  'redacted_at',
];
const ATTACHMENT_EXTRAS = ['content_id', 'inline'];

describe('serializers', () => {
  test('dates are ISO 8601 UTC with milliseconds; null stays null', () => {
    assert.equal(isoDate(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))), '2024-01-02T03:04:05.006Z');
    assert.equal(isoDate(null), null);
  });

  test('actor: exactly the seed fields; role null; avatar only for users', () => {
    const user = serializeActor(actorRecord());
    assertKeys(user, SEED_FIELDS.actor, []);
    assert.equal(user.object, 'actor');
    assert.equal(user.role, null);
    assert.equal(user.avatar_url, 'https://example.test/ada.png');
    const key = serializeActor(
      actorRecord({ type: 'api_key', handle: 'pk_t…_123', avatar_url: 'x' }),
    );
    assert.equal(key.avatar_url, null);
    assert.equal(key.handle, 'pk_t…_123');
  });

  test('entity: exactly the seed fields', () => {
    const entity = serializeEntity({ id: 'ord_1', type: 'entity', name: 'SO-1', handle: null });
    assert.ok(entity);
    assertKeys(entity, SEED_FIELDS.entity, []);
    assert.equal(entity.object, 'entity');
    assert.equal(serializeEntity(null), null);
  });

  test('list: object, page_info (all four fields), data', () => {
    const value = list([1, 2]);
    assertKeys(value, SEED_FIELDS.list, []);
    assertKeys(value.page_info, SEED_FIELDS.page_info, []);
    assert.deepEqual(value.page_info, {
      next_page_url: null,
      previous_page_url: null,
      has_next_page: false,
      has_prev_page: false,
    });
  });

  test('pageInfoFor turns cursors into relative URLs', () => {
    const info = pageInfoFor(
      { has_next: true, has_prev: true, next_cursor: 'n+x', prev_cursor: 'p' },
      '/v1/messaging/conversations?audience=customer',
    );
    assert.equal(info.next_page_url, '/v1/messaging/conversations?audience=customer&after=n%2Bx');
    assert.equal(info.previous_page_url, '/v1/messaging/conversations?audience=customer&before=p');
    const last = pageInfoFor(
      { has_next: false, has_prev: false, next_cursor: null, prev_cursor: null },
      '/x',
    );
    assert.equal(last.next_page_url, null);
    assert.equal(last.has_next_page, false);
  });

  test('conversation: seed fields + extras; expandables null without include', () => {
    const json = serializeConversation(conversationRecord());
    assertKeys(json, SEED_FIELDS.conversation, CONVERSATION_EXTRAS);
    assert.equal(json.object, 'conversation');
    assert.equal(json.assignee, null);
    assert.equal(json.group, null);
    assert.equal(json.participants, null);
    assert.equal(json.last_message, null);
    assert.equal(json.assignee_id, 'act_1');
    assert.equal(json.last_message_at, '2024-05-01T12:05:00.000Z');
    assert.equal(json.case_number, '7');
  });

  test('conversation: seed B case fields derived from the lane, priority and mailbox', () => {
    const base = conversationRecord();
    const resolvedAt = new Date('2024-05-02T09:00:00.000Z');
    const resolved = serializeConversation({
      ...base,
      workflow_status: 'resolved',
      closed_at: resolvedAt,
      priority: 'urgent',
    });
    assert.equal(resolved.is_closed, true);
    assert.equal(resolved.closed_at, '2024-05-02T09:00:00.000Z');
    assert.equal(resolved.priority_label, 'Critical');
    assert.equal(resolved.is_waiting, false);
    const waiting = serializeConversation({ ...base, workflow_status: 'waiting_external' });
    assert.equal(waiting.is_waiting, true);
    assert.equal(waiting.is_closed, false);
    const internal = serializeConversation({ ...base, mailbox_id: null, workflow_status: null });
    assert.equal(internal.latest_messaging_channel, null);
    assert.equal(internal.channel_priority, null);
    assert.equal(internal.is_waiting, false);
  });

  test('conversation include[]: assignee and participants (active members only), group stays null', () => {
    const actors = new Map([
      ['act_1', actorRecord()],
      [
        'agt_acme_drafter',
        actorRecord({ _id: 'agt_acme_drafter', type: 'agent', name: 'Drafter', handle: null }),
      ],
    ]);
    const json = serializeConversation(conversationRecord(), {
      include: new Set(['assignee', 'group', 'participants']),
      actors,
    });
    assert.equal(json.assignee?.id, 'act_1');
    assert.equal(json.group, null);
    assert.ok(json.participants);
    assertKeys(json.participants, SEED_FIELDS.list, []);
    assert.deepEqual(
      json.participants.data.map((p) => p.id),
      ['par_customer', 'par_agent'],
    );
    const [customer, agent] = json.participants.data;
    // A customer has no stored actor: theirs is made from the participant.
    assert.deepEqual(customer?.actor, {
      id: 'par_customer',
      object: 'actor',
      type: 'customer',
      name: 'Carol',
      handle: 'carol@example.test',
      avatar_url: null,
      role: null,
    });
    assert.equal(customer?.handle, 'carol@example.test');
    assert.deepEqual(customer?.customer, { name: 'Carol', address: 'carol@example.test' });
    assert.equal(agent?.actor?.id, 'agt_acme_drafter');
    assert.equal(agent?.agent_trigger_policy, 'keyword');
  });

  test('conversation: an included assignee that was not loaded is null', () => {
    const json = serializeConversation(conversationRecord(), { include: new Set(['assignee']) });
    assert.equal(json.assignee, null);
  });

  test('conversation: last_message only when included and loaded', () => {
    const lastMessage = messageRecord();
    assert.equal(serializeConversation(conversationRecord(), { lastMessage }).last_message, null);
    const json = serializeConversation(conversationRecord(), {
      include: new Set(['last_message']),
      lastMessage,
    });
    assert.equal(json.last_message?.id, 'msg_1');
  });

  test('conversation_participant: seed fields + extras; actor null unless loaded', () => {
    const record = conversationRecord().participants[1];
    assert.ok(record);
    const json = serializeParticipant(record);
    assertKeys(json, SEED_FIELDS.conversation_participant, PARTICIPANT_EXTRAS);
    assert.equal(json.object, 'conversation_participant');
    assert.equal(json.actor, null);
    assert.deepEqual(json.agent_trigger_keywords, ['refund']);
    assert.equal(json.customer, null);
  });

  test('conversation_participant: non-agents carry no trigger policy', () => {
    const record = conversationRecord().participants[0];
    assert.ok(record);
    const json = serializeParticipant({ ...record, agent_trigger_policy: 'always' });
    assert.equal(json.agent_trigger_policy, null);
    assert.deepEqual(json.agent_trigger_keywords, []);
  });

  test('chat_message: seed fields + extras; seed-null fields are null', () => {
    const json = serializeMessage(messageRecord());
    assertKeys(json, SEED_FIELDS.chat_message, MESSAGE_EXTRAS);
    assert.equal(json.object, 'chat_message');
    assert.equal(json.conversation, null);
    assert.equal(json.reply_to, null);
    assert.equal(json.agent_run, null);
    // An inbound customer mail: the customer, as their participant.
    assert.equal(json.sender?.type, 'customer');
    assert.equal(json.sender?.handle, 'carol@example.test');
    assert.equal(json.author, null);
    assert.equal(json.client_message_id, null);
    assert.equal(json.sequence, 1);
    assertKeys(json.attachments, SEED_FIELDS.list, []);
    assert.equal(json.email?.message_id, 'a@b');
    assert.equal(json.email?.date, '2024-05-01T12:00:00.000Z');
    // Documents stored before the flags existed read as neither.
    assert.equal(json.email?.message_id_reused, false);
    assert.equal(json.email?.from_self, false);
  });

  test('chat_message: a reused Message-ID and mail from our own address are flagged', () => {
    const base = messageRecord();
    assert.ok(base.email);
    const json = serializeMessage(
      messageRecord({ email: { ...base.email, message_id_reused: true, from_self: true } }),
    );
    assert.equal(json.email?.message_id, 'a@b');
    assert.equal(json.email?.message_id_reused, true);
    assert.equal(json.email?.from_self, true);
  });

  test('chat_message: unsent messages have a null sequence; sender/author when loaded', () => {
    const record = messageRecord({ status: 'draft', sender_id: 'act_1', author_id: 'act_2' });
    delete record.sequence;
    const json = serializeMessage(record, { actors: new Map([['act_1', actorRecord()]]) });
    assert.equal(json.sequence, null);
    assert.equal(json.sender?.id, 'act_1');
    assert.equal(json.author, null);
  });

  test('chat_message: agent_run only when the matching run is given; its id always as extra', () => {
    const run: AgentRunRecord = {
      _id: 'run_1',
      account_id: 'acme',
      conversation_id: 'cnv_1',
      agent_id: 'agt_acme_drafter',
      trigger_message_id: 'msg_0',
      draft_message_id: 'msg_1',
      model: 'gpt-4o-mini',
      status: 'completed',
      attempts: 1,
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      timings: {
        queued_at: new Date(0),
        started_at: null,
        first_token_at: null,
        completed_at: null,
      },
      instructions_version: 'abc',
      context_message_ids: [],
      error: null,
      created_at: new Date(0),
      updated_at: new Date(0),
    };
    const record = messageRecord({ kind: 'agent', agent_run_id: 'run_1' });
    assert.equal(serializeMessage(record).agent_run, null);
    assert.equal(serializeMessage(record).agent_run_id, 'run_1');
    assert.equal(serializeMessage(record, { agentRun: run }).agent_run?.id, 'run_1');
    assert.equal(serializeMessage(record, { agentRun: { ...run, _id: 'run_2' } }).agent_run, null);
  });

  test('message_attachment: seed fields + extras; download URL for uploads, link URL for links', () => {
    const created = new Date('2024-05-01T12:00:00.000Z');
    const file = serializeAttachment(
      {
        _id: 'att_1',
        kind: 'file',
        filename: 'invoice.pdf',
        content_type: 'application/pdf',
        size_bytes: 1234,
        gridfs_id: 'g1',
        content_id: null,
        inline: false,
        checksum: 'x',
        url: null,
      },
      created,
    );
    assertKeys(file, SEED_FIELDS.message_attachment, ATTACHMENT_EXTRAS);
    assert.equal(file.object, 'message_attachment');
    assert.equal(file.url, '/v1/messaging/attachments/att_1');
    assert.equal(file.resource, null);
    assert.equal(file.created_at, '2024-05-01T12:00:00.000Z');
    const link = serializeAttachment(
      {
        _id: 'att_2',
        kind: 'link',
        filename: 'ignored',
        content_type: null,
        size_bytes: null,
        gridfs_id: null,
        content_id: null,
        inline: false,
        checksum: null,
        url: 'https://example.test/doc',
      },
      created,
    );
    assert.equal(link.url, 'https://example.test/doc');
    assert.equal(link.filename, null);
  });

  test('chat_message attachments come as a list of message_attachment', () => {
    const json = serializeMessage(
      messageRecord({
        attachments: [
          {
            _id: 'att_1',
            kind: 'image',
            filename: 'a.png',
            content_type: 'image/png',
            size_bytes: 10,
            gridfs_id: 'g',
            content_id: 'img1@x',
            inline: true,
            checksum: null,
            url: null,
          },
        ],
      }),
    );
    assert.equal(json.attachments.object, 'list');
    assert.equal(json.attachments.data[0]?.object, 'message_attachment');
    assert.equal(json.attachments.data[0]?.content_id, 'img1@x');
  });

  test('serializers are pure: records are not modified', () => {
    const record = conversationRecord();
    const before = structuredClone(record);
    serializeConversation(record, { include: new Set(['participants']) });
    assert.deepEqual(record, before);
  });
});
