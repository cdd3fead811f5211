import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_REFERENCES,
  outboundMeta,
  recipients,
  replyToAddress,
  sendTo,
  subjectOf,
  threadHeaders,
  toOutboundMail,
} from '../../../src/delivery/outbound-email.ts';
import { ownAddressBook } from '../../../src/conversations/own-address.ts';
import { escapeHtml, textToHtml } from '../../../src/mail/smtp/text-html.ts';
import { outboxFileName } from '../../../src/mail/smtp/outbox.ts';
import { conversationRecord, messageRecord } from '../store/fixtures.ts';

const NOW = new Date('2026-01-02T03:04:05Z');
const mailbox = { address: 'support@acme.test', display_name: 'Acme Support' };

function reply(overrides: Parameters<typeof messageRecord>[0] = {}) {
  return messageRecord({
    _id: 'msg_reply',
    kind: 'agent',
    status: 'scheduled',
    sequence: undefined,
    subject: null,
    body: 'Thanks!',
    email: null,
    participant_id: null,
    ...overrides,
  });
}

describe('outbound email headers', () => {
  test('a reply: Message-ID on the mailbox domain, threaded on the parent, Re: subject, the customer', () => {
    const parent = messageRecord({
      email: {
        ...messageRecord().email!,
        message_id: 'parent@customer.test',
        references: ['root@customer.test', 'middle@acme.test'],
      },
    });
    const meta = outboundMeta({
      message: reply(),
      conversation: conversationRecord({ email_thread: null }),
      mailbox,
      parent,
      now: NOW,
      random: 'r4nd',
    });
    assert.deepEqual(meta, {
      message_id: 'r4nd.msg_reply@acme.test',
      from: { name: 'Acme Support', address: 'support@acme.test' },
      to: [{ name: 'Carol', address: 'carol@example.test' }],
      cc: [],
      subject: 'Re: Where is my order?',
      in_reply_to: 'parent@customer.test',
      references: ['root@customer.test', 'middle@acme.test', 'parent@customer.test'],
      date: NOW,
    });
  });

  test('References: the root first, no duplicates, at most MAX_REFERENCES keeping the newest', () => {
    const chain = Array.from({ length: 40 }, (_, i) => `r${i}@x`);
    const headers = threadHeaders({ message_id: 'p@x', references: chain }, 'root@x');
    assert.equal(headers.references.length, MAX_REFERENCES);
    assert.equal(headers.references[0], 'root@x');
    assert.equal(headers.references.at(-1), 'p@x');
    assert.equal(headers.references.at(-2), 'r39@x');
    assert.deepEqual(threadHeaders({ message_id: 'p@x', references: ['root@x'] }, 'root@x'), {
      in_reply_to: 'p@x',
      references: ['root@x', 'p@x'],
    });
    assert.deepEqual(threadHeaders(null, 'root@x'), { in_reply_to: null, references: ['root@x'] });
    assert.deepEqual(threadHeaders(null, null), { in_reply_to: null, references: [] });
  });

  test('recipients: the message own To first, then the parent sender, then an active customer', () => {
    const conversation = conversationRecord();
    const dave = {
      ...conversation.participants[0]!,
      _id: 'par_dave',
      customer: { name: 'Dave', address: 'dave@example.test' },
    };
    const two = { participants: [...conversation.participants, dave] };
    const own = [{ name: null, address: 'x@y.test' }];
    assert.deepEqual(
      recipients(reply({ email: { ...messageRecord().email!, to: own } }), two, null),
      own,
    );
    assert.deepEqual(recipients(reply(), two, { participant_id: 'par_dave', email: null }), [
      { name: 'Dave', address: 'dave@example.test' },
    ]);
    const fromDave = {
      ...messageRecord().email!,
      from: { name: null, address: 'DAVE@example.test' },
    };
    assert.deepEqual(recipients(reply(), two, { participant_id: null, email: fromDave }), [
      { name: 'Dave', address: 'dave@example.test' },
    ]);
    assert.deepEqual(recipients(reply(), two, null), [
      { name: 'Carol', address: 'carol@example.test' },
    ]);
    assert.deepEqual(recipients(reply(), { participants: [] }, null), []);
  });

  test('subject: the message own, else Re: the case title or normalized subject', () => {
    const conversation = conversationRecord();
    assert.equal(subjectOf({ subject: ' Re:  Your\norder ' }, conversation), 'Re: Your order');
    assert.equal(subjectOf({ subject: null }, conversation), 'Re: Where is my order?');
    assert.equal(
      subjectOf({ subject: '' }, { title: null, email_thread: null }),
      'Re: (no subject)',
    );
    assert.equal(
      subjectOf({ subject: null }, { ...conversation, title: null }),
      'Re: where is my order?',
    );
  });

  test('Reply-To is the plus address with the reply token', () => {
    assert.equal(replyToAddress('support@acme.test', 'abc123'), 'support+abc123@acme.test');
    assert.equal(replyToAddress('support@acme.test', null), null);
  });

  test('toOutboundMail carries the stored meta and the body', () => {
    const meta = outboundMeta({
      message: reply(),
      conversation: conversationRecord(),
      mailbox,
      parent: null,
      now: NOW,
      random: 'r',
    });
    const mail = toOutboundMail(
      { ...reply(), email: { ...messageRecord().email!, ...meta } },
      'support+abc@acme.test',
    );
    assert.equal(mail.messageId, 'r.msg_reply@acme.test');
    assert.equal(mail.text, 'Thanks!');
    assert.equal(mail.replyTo, 'support+abc@acme.test');
    assert.deepEqual(mail.references, ['a@b']);
    assert.equal(mail.inReplyTo, null);
    assert.equal(mail.date, NOW);
  });
});

describe('the HTML alternative', () => {
  test('escapes markup, paragraphs from blank lines, <br> for single breaks', () => {
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    const html = textToHtml('Hello Jane,\r\n\r\nLine one\nline <two>\n\n\n\nBye');
    assert.match(html, /<p>Hello Jane,<\/p>\n<p>Line one<br>\nline &lt;two&gt;<\/p>\n<p>Bye<\/p>/);
    assert.match(html, /<meta charset="utf-8">/);
    assert.doesNotMatch(textToHtml('<script>x</script>'), /<script>/);
  });
});

describe('outbox file names', () => {
  test('the Message-ID, with anything path-like replaced', () => {
    assert.equal(outboxFileName('abc.msg_1@acme.test'), 'abc.msg_1@acme.test.eml');
    assert.equal(outboxFileName('../../etc/passwd'), '.._.._etc_passwd.eml');
  });
});

describe('sendTo', () => {
  const own = ownAddressBook([
    { key: 'support', address: 'support@acme.test', aliases: ['help@acme.test'] },
  ]);
  const jane = { name: 'Jane', address: 'jane@example.com' };

  test('customers only: sent as they are', () => {
    assert.deepEqual(sendTo({ to: [jane], cc: [] }, own), { to: [jane], cc: [], dropped: [] });
  });

  test('own addresses are taken out', () => {
    const self = { name: null, address: 'Help+x@acme.test' };
    assert.deepEqual(sendTo({ to: [self, jane], cc: [] }, own), {
      to: [jane],
      cc: [],
      dropped: [self],
    });
  });

  test('only own addresses: refused with own_address, naming them', () => {
    const verdict = sendTo({ to: [{ name: null, address: 'SUPPORT@acme.test' }], cc: [] }, own);
    assert.ok('refused' in verdict);
    assert.equal(verdict.refused.code, 'own_address');
    assert.match(verdict.refused.message, /SUPPORT@acme\.test/);
  });

  test('nobody at all: refused with no_recipient', () => {
    const verdict = sendTo({ to: [], cc: [] }, own);
    assert.ok('refused' in verdict);
    assert.equal(verdict.refused.code, 'no_recipient');
  });
});
