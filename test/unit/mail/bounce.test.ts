// Reading bounces: RFC 3464 delivery-status fields, the returned message's
// Message-ID, and the plain-text fallbacks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  messageIdFromBody,
  messageIdFromHeaders,
  parseDeliveryStatus,
  readBounce,
} from '../../../src/mail/parse/bounce.ts';

const DSN = [
  'Reporting-MTA: dns; mx.example.com',
  'Arrival-Date: Sat, 8 Mar 2025 11:00:04 +0100',
  '',
  'Final-Recipient: rfc822; ok@example.com',
  'Action: delivered',
  'Status: 2.0.0',
  '',
  'Original-Recipient: rfc822;alias@example.com',
  'Final-Recipient: RFC822; <Nobody@Example.COM>',
  'Action: failed (permanent)',
  'Status: 5.1.1 (user unknown)',
  'Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>:',
  '    Recipient address rejected',
  '',
  'Final-Recipient: rfc822; second@example.org',
  'Action: failed',
  'Status: 5.2.2',
].join('\r\n');

describe('parseDeliveryStatus', () => {
  test('failed recipients, and status and action of the first failed one', () => {
    assert.deepEqual(parseDeliveryStatus(DSN), {
      recipients: ['Nobody@example.com', 'second@example.org'],
      status: '5.1.1',
      action: 'failed',
    });
  });

  test('a delay warning reports its recipients with action delayed', () => {
    const text =
      'Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; slow@example.com\nAction: delayed\nStatus: 4.4.7\n';
    assert.deepEqual(parseDeliveryStatus(text), {
      recipients: ['slow@example.com'],
      status: '4.4.7',
      action: 'delayed',
    });
  });

  test('Original-Recipient stands in for a missing Final-Recipient', () => {
    const text = 'Original-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.0.0';
    assert.deepEqual(parseDeliveryStatus(text).recipients, ['a@example.com']);
  });

  test('garbage yields nothing', () => {
    assert.deepEqual(parseDeliveryStatus('not a report\n\n\0\0'), {
      recipients: [],
      status: null,
      action: null,
    });
  });
});

describe('original Message-ID', () => {
  test('from the returned headers', () => {
    const head = Buffer.from(
      'Received: by x\r\nMessage-ID:\r\n <postroom-out-7@acme.test>\r\nSubject: x\r\n\r\nbody Message-ID: <no@x>',
    );
    assert.equal(messageIdFromHeaders(head), 'postroom-out-7@acme.test');
  });

  test('from returned headers cut off mid-way (a capture limit)', () => {
    assert.equal(
      messageIdFromHeaders(Buffer.from('From: a@b\nMessage-Id: <cut@x>\nSubject: tr')),
      'cut@x',
    );
  });

  test('none in the returned headers', () => {
    assert.equal(messageIdFromHeaders(Buffer.from('From: a@b\n\nMessage-ID: <in-body@x>\n')), null);
  });

  test('from a plain-text bounce quoting the original headers', () => {
    const text =
      'Hi. This is the qmail-send program.\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <support@acme.test>\nMessage-ID: <postroom-out-8@acme.test>\n';
    assert.equal(messageIdFromBody(text), 'postroom-out-8@acme.test');
    assert.equal(messageIdFromBody('> Message-Id: <quoted@x>'), 'quoted@x');
    assert.equal(messageIdFromBody('nothing here'), null);
  });
});

describe('readBounce', () => {
  test('combines report, returned headers and X-Failed-Recipients', () => {
    assert.deepEqual(
      readBounce({
        deliveryStatus: [DSN],
        returnedHeads: [
          Buffer.from('Subject: x\n\n'),
          Buffer.from('Message-ID: <orig@acme.test>\n\n'),
        ],
        text: 'Message-ID: <ignored@x>',
        failedRecipients: ['second@example.org, third@example.net'],
      }),
      {
        original_message_id: 'orig@acme.test',
        recipients: ['Nobody@example.com', 'second@example.org', 'third@example.net'],
        status: '5.1.1',
        action: 'failed',
      },
    );
  });

  test('falls back to the text when no part names the original', () => {
    const bounce = readBounce({
      deliveryStatus: [],
      returnedHeads: [],
      text: 'Message-ID: <t@x>',
      failedRecipients: ['a@b.c'],
    });
    assert.deepEqual(bounce, {
      original_message_id: 't@x',
      recipients: ['a@b.c'],
      status: null,
      action: null,
    });
  });
});
