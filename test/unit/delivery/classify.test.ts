import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FAILURE_REASONS,
  classifyDeliveryFailure,
  toSendFailure,
  type SendFailure,
} from '../../../src/delivery/classify.ts';

const smtp = (responseCode: number, command = 'DATA', text = 'reply'): SendFailure => ({
  message: `Message failed: ${responseCode} ${text}`,
  code: command.startsWith('RCPT') ? 'EENVELOPE' : 'EMESSAGE',
  responseCode,
  response: `${responseCode} ${text}`,
  command,
});

const verdict = (failure: SendFailure) => {
  const { kind, reason, code } = classifyDeliveryFailure(failure);
  return { kind, reason, code };
};

describe('delivery failure classification', () => {
  test('4xx replies are transient, whatever the command', () => {
    for (const code of [421, 450, 451, 452, 454]) {
      for (const command of ['MAIL FROM', 'RCPT TO', 'DATA', 'CONN']) {
        assert.deepEqual(verdict(smtp(code, command)), {
          kind: 'transient',
          reason: 'smtp_transient',
          code: String(code),
        });
      }
    }
  });

  test('5xx replies are permanent; at RCPT they are a rejected recipient', () => {
    for (const code of [550, 551, 552, 553, 554]) {
      assert.deepEqual(verdict(smtp(code)), {
        kind: 'permanent',
        reason: 'smtp_permanent',
        code: String(code),
      });
      assert.deepEqual(verdict(smtp(code, 'RCPT TO')), {
        kind: 'permanent',
        reason: 'recipient_rejected',
        code: String(code),
      });
    }
  });

  test('503 (bad sequence) is a confused session, not a refused message: transient', () => {
    assert.deepEqual(verdict(smtp(503)), { kind: 'transient', reason: 'protocol', code: '503' });
  });

  test('authentication failures are transient (an operator fixes the password)', () => {
    for (const code of [530, 534, 535, 538]) {
      assert.equal(verdict({ ...smtp(code, 'AUTH PLAIN'), code: 'EAUTH' }).reason, 'auth');
      assert.equal(verdict({ ...smtp(code, 'AUTH PLAIN'), code: 'EAUTH' }).kind, 'transient');
    }
    assert.deepEqual(verdict({ message: 'Missing credentials for "PLAIN"', code: 'EAUTH' }), {
      kind: 'transient',
      reason: 'auth',
      code: 'EAUTH',
    });
    assert.equal(verdict({ message: 'no auth', code: 'ENOAUTH' }).kind, 'transient');
  });

  test('the reply code is read from the response text when the field is missing', () => {
    assert.deepEqual(verdict({ message: 'x', response: '550-5.1.1 no such user' }), {
      kind: 'permanent',
      reason: 'smtp_permanent',
      code: '550',
    });
    assert.equal(verdict({ message: 'x', response: '451 4.3.0 try later' }).kind, 'transient');
  });

  test('an enhanced status code alone decides when there is no reply code', () => {
    assert.deepEqual(verdict({ message: 'x', response: 'rejected: 5.7.1 policy' }), {
      kind: 'permanent',
      reason: 'smtp_permanent',
      code: 'unknown',
    });
    assert.equal(verdict({ message: 'x', response: 'deferred 4.4.1 later' }).kind, 'transient');
    assert.equal(
      verdict({ message: 'x', response: 'bad 5.1.1 user', command: 'RCPT TO' }).reason,
      'recipient_rejected',
    );
  });

  test('timeouts are transient', () => {
    assert.deepEqual(verdict({ message: 'Greeting never received', code: 'ETIMEDOUT' }), {
      kind: 'transient',
      reason: 'timeout',
      code: 'ETIMEDOUT',
    });
    assert.equal(verdict({ message: 'Greeting never received' }).reason, 'timeout');
    assert.equal(verdict({ message: 'Connection timeout' }).reason, 'timeout');
    assert.equal(verdict({ message: 'Message sending aborted', code: 'EABORT' }).reason, 'timeout');
  });

  test('connection errors are transient, and the system code under ESOCKET is kept', () => {
    assert.deepEqual(
      verdict({
        message: 'connect ECONNREFUSED 127.0.0.1:1',
        code: 'ESOCKET',
        originalCode: 'ECONNREFUSED',
      }),
      { kind: 'transient', reason: 'network', code: 'ECONNREFUSED' },
    );
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ESOCKET',
      'ECONNECTION',
      'EDNS',
      'ETLS',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
    ]) {
      assert.deepEqual(verdict({ message: 'boom', code }), {
        kind: 'transient',
        reason: 'network',
        code,
      });
    }
  });

  test('a message that cannot be addressed or is too large is permanent', () => {
    assert.deepEqual(verdict({ message: 'No recipients defined', code: 'EENVELOPE' }), {
      kind: 'permanent',
      reason: 'invalid_message',
      code: 'EENVELOPE',
    });
    assert.equal(
      verdict({ message: 'Message size larger than allowed 100', code: 'EMESSAGE' }).kind,
      'permanent',
    );
  });

  test('some recipients refused while others accepted: permanent, a retry would duplicate', () => {
    assert.deepEqual(verdict({ ...smtp(450, 'RCPT TO'), partial: true }), {
      kind: 'permanent',
      reason: 'partial_recipients',
      code: '450',
    });
  });

  test('outbox folder errors are local and transient (an operator fixes the disk)', () => {
    for (const code of ['ENOSPC', 'EACCES', 'EROFS', 'ENOENT', 'EIO']) {
      assert.deepEqual(verdict({ message: 'fs', code }), {
        kind: 'transient',
        reason: 'local',
        code,
      });
    }
  });

  test('anything unrecognised is transient', () => {
    assert.deepEqual(verdict({ message: 'something odd' }), {
      kind: 'transient',
      reason: 'unknown',
      code: 'unknown',
    });
    assert.equal(verdict({ message: 'odd', code: 'EWHATEVER' }).kind, 'transient');
    assert.equal(verdict({ message: 'odd', responseCode: 250 }).kind, 'transient');
  });

  test('every reason has a kind', () => {
    assert.equal(new Set(FAILURE_REASONS).size, FAILURE_REASONS.length);
  });

  test('the response is passed through', () => {
    assert.equal(classifyDeliveryFailure(smtp(550)).response, '550 reply');
    assert.equal(classifyDeliveryFailure({ message: 'x' }).response, null);
  });
});

describe('toSendFailure', () => {
  test('reads the nodemailer fields off an error', () => {
    const error = Object.assign(new Error('Message failed: 550 no'), {
      code: 'EMESSAGE',
      responseCode: 550,
      response: '550 no',
      command: 'DATA',
      originalCode: undefined,
    });
    assert.deepEqual(toSendFailure(error), {
      message: 'Message failed: 550 no',
      code: 'EMESSAGE',
      originalCode: null,
      responseCode: 550,
      response: '550 no',
      command: 'DATA',
      partial: false,
    });
  });

  test('anything thrown becomes a failure with a message', () => {
    assert.deepEqual(toSendFailure('boom'), { message: 'boom' });
    assert.deepEqual(toSendFailure(null), { message: 'null' });
    assert.equal(toSendFailure({ responseCode: '550' }).responseCode, null);
    assert.equal(toSendFailure({ partial: true }).partial, true);
  });
});
