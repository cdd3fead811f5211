import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isHumanMessage,
  triggerMessageOf,
  triggerText,
  type AuthorType,
} from '../../../src/agents/rules/triggers.ts';
import { MESSAGE_KINDS, type MessageKind } from '../../../src/conversations/enums.ts';
import { inboundEmail, message } from './fixtures.ts';

const AUTHOR_TYPES: AuthorType[] = [
  'user',
  'api_key',
  'agent',
  'group',
  'customer',
  'system',
  null,
];

// The whole table: which (kind, author) pairs are human when sent, visible and not auto-submitted.
const HUMAN: Record<MessageKind, AuthorType[]> = {
  email: ['customer', null, 'user', 'api_key'],
  chat: ['user', 'api_key', 'customer'],
  agent: [],
  system_event: [],
  alert: [],
  scheduled: [],
};

const base = { status: 'sent', visibility: 'external', auto_submitted: false } as const;

describe('isHumanMessage', () => {
  for (const kind of MESSAGE_KINDS) {
    for (const author of AUTHOR_TYPES) {
      const expected = HUMAN[kind].includes(author);
      test(`${kind} by ${author ?? 'unresolved'} → ${expected ? 'human' : 'not human'}`, () => {
        assert.equal(isHumanMessage({ ...base, kind, author_type: author }), expected);
      });
    }
  }

  test('a teammate internal note is human', () => {
    assert.equal(
      isHumanMessage({ ...base, kind: 'chat', visibility: 'internal', author_type: 'user' }),
      true,
    );
  });

  test('auto-submitted mail is never human, whoever the sender (auto-replies, bounces, lists)', () => {
    for (const author of AUTHOR_TYPES) {
      assert.equal(
        isHumanMessage({ ...base, kind: 'email', auto_submitted: true, author_type: author }),
        false,
      );
      assert.equal(
        isHumanMessage({ ...base, kind: 'chat', auto_submitted: true, author_type: author }),
        false,
      );
    }
  });

  test('only sent messages count: drafts, scheduled and failed ones are not said yet', () => {
    for (const status of [
      'draft',
      'scheduled',
      'canceled',
      'rejected',
      'failed',
      'superseded',
    ] as const) {
      assert.equal(
        isHumanMessage({ ...base, status, kind: 'chat', author_type: 'user' }),
        false,
        status,
      );
      assert.equal(
        isHumanMessage({ ...base, status, kind: 'email', author_type: 'customer' }),
        false,
        status,
      );
    }
  });

  test('system-visibility messages are machinery, not people', () => {
    assert.equal(
      isHumanMessage({ ...base, kind: 'chat', visibility: 'system', author_type: 'user' }),
      false,
    );
  });
});

describe('triggerMessageOf', () => {
  test('reads auto_submitted from the email meta', () => {
    const bounce = inboundEmail();
    assert.ok(bounce.email);
    bounce.email.auto_submitted = true;
    assert.equal(triggerMessageOf(bounce, 'customer').auto_submitted, true);
    assert.equal(isHumanMessage(triggerMessageOf(bounce, 'customer')), false);
    assert.equal(isHumanMessage(triggerMessageOf(inboundEmail(), 'customer')), true);
  });

  test('reads from_self from the email meta: our own mail is not a human message to answer', () => {
    const own = inboundEmail();
    assert.ok(own.email);
    own.email.from_self = true;
    assert.equal(triggerMessageOf(own, 'customer').from_self, true);
    assert.equal(isHumanMessage(triggerMessageOf(own, null)), false);
  });

  test('non-email messages are never auto-submitted and keep their ids', () => {
    const note = message({ visibility: 'internal', author_id: 'usr_1', sender_id: 'grp_1' });
    assert.deepEqual(triggerMessageOf(note, 'user'), {
      kind: 'chat',
      status: 'sent',
      visibility: 'internal',
      auto_submitted: false,
      from_self: false,
      author_type: 'user',
      author_id: 'usr_1',
      sender_id: 'grp_1',
    });
  });
});

describe('triggerText', () => {
  test('mail: subject plus the new part, not the quoted history', () => {
    const mail = inboundEmail({ body: 'Thanks!\n> @drafter said earlier', text_new: 'Thanks!' });
    assert.equal(triggerText(mail), 'Refund for order 1001\nThanks!');
  });

  test('mail without text_new falls back to the body', () => {
    assert.equal(
      triggerText(inboundEmail({ body: 'Hi', text_new: '  ' })),
      'Refund for order 1001\nHi',
    );
    assert.equal(triggerText(inboundEmail({ body: null, text_new: null, subject: null })), '');
  });

  test('chat: the body only (a chat subject is not what the teammate said)', () => {
    assert.equal(triggerText(message({ body: 'ping @drafter', subject: 'x' })), 'ping @drafter');
  });
});
