import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SENT_CHECK_LIMIT,
  priorStep,
  type PriorAttempt,
} from '../../../src/delivery/prior-attempt.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const BEGAN = new Date('2026-03-02T09:59:20.000Z');
const RECEIPT = new Date('2026-03-02T09:59:21.250Z');

/** An attempt a crash left without an outcome, on a mailbox with IMAP, not yet looked into. */
function interrupted(over: Partial<PriorAttempt> = {}): PriorAttempt {
  return {
    sending_at: BEGAN,
    receipt_sent_at: null,
    has_sent_folder: true,
    failed_checks: 0,
    ...over,
  };
}

describe('the attempt before this run', () => {
  test('none began, or its outcome was recorded: send, no resend', () => {
    assert.deepEqual(priorStep(interrupted({ sending_at: null }), NOW), {
      kind: 'send',
      resend: null,
    });
    assert.deepEqual(priorStep(interrupted({ sending_at: null, has_sent_folder: false }), NOW), {
      kind: 'send',
      resend: null,
    });
  });

  test('a receipt records it sent at the receipt time, without looking in Sent', () => {
    for (const over of [{}, { has_sent_folder: false }, { sending_at: null }]) {
      assert.deepEqual(priorStep(interrupted({ receipt_sent_at: RECEIPT, ...over }), NOW), {
        kind: 'record_sent',
        confirmed_by: 'receipt',
        sent_at: RECEIPT,
      });
    }
  });

  test('unknown outcome without IMAP: the bounded resend', () => {
    assert.deepEqual(priorStep(interrupted({ has_sent_folder: false }), NOW), {
      kind: 'send',
      resend: 'no_sent_folder',
    });
  });

  test('unknown outcome with IMAP: look in the Sent folder first', () => {
    assert.deepEqual(priorStep(interrupted(), NOW), { kind: 'check_sent_folder' });
    // Earlier failed checks do not skip the look.
    assert.deepEqual(priorStep(interrupted({ failed_checks: 2 }), NOW), {
      kind: 'check_sent_folder',
    });
  });

  test('found in Sent: recorded sent at the copy time, kept between the attempt start and now', () => {
    const stored = new Date('2026-03-02T09:59:22.000Z');
    const found = (at: Date | null) =>
      priorStep(interrupted({ check: { kind: 'found', stored_at: at } }), NOW);
    assert.deepEqual(found(stored), {
      kind: 'record_sent',
      confirmed_by: 'sent_folder',
      sent_at: stored,
    });
    // INTERNALDATE has whole seconds: a copy stamped before the attempt began means "when it began".
    assert.deepEqual(found(new Date('2026-03-02T09:59:19.000Z')), {
      kind: 'record_sent',
      confirmed_by: 'sent_folder',
      sent_at: BEGAN,
    });
    // A server clock ahead of ours: not in the future.
    assert.deepEqual(found(new Date('2026-03-02T10:05:00.000Z')), {
      kind: 'record_sent',
      confirmed_by: 'sent_folder',
      sent_at: NOW,
    });
    assert.deepEqual(found(null), {
      kind: 'record_sent',
      confirmed_by: 'sent_folder',
      sent_at: BEGAN,
    });
  });

  test('not in Sent: send again', () => {
    assert.deepEqual(priorStep(interrupted({ check: { kind: 'not_found' } }), NOW), {
      kind: 'send',
      resend: 'not_in_sent_folder',
    });
  });

  test('a refused login or a missing folder sends at once: neither fixes itself', () => {
    assert.deepEqual(
      priorStep(
        interrupted({
          check: { kind: 'failed', failure: 'auth', message: 'NO [AUTHENTICATIONFAILED]' },
        }),
        NOW,
      ),
      { kind: 'send', resend: 'sent_check_login_refused' },
    );
    assert.deepEqual(
      priorStep(
        interrupted({ check: { kind: 'failed', failure: 'no_folder', message: 'no \\Sent' } }),
        NOW,
      ),
      { kind: 'send', resend: 'sent_check_folder_missing' },
    );
  });

  test('a transient failure is checked again, counted, until the limit; then sent', () => {
    const failed = (n: number) =>
      priorStep(
        interrupted({
          failed_checks: n,
          check: { kind: 'failed', failure: 'transient', message: 'connect ECONNREFUSED' },
        }),
        NOW,
      );
    for (let n = 0; n < SENT_CHECK_LIMIT - 1; n += 1) {
      assert.deepEqual(failed(n), {
        kind: 'check_again',
        failed_checks: n + 1,
        reason: 'connect ECONNREFUSED',
      });
    }
    assert.deepEqual(failed(SENT_CHECK_LIMIT - 1), { kind: 'send', resend: 'sent_check_failed' });
    // A count past the limit (a limit lowered since) does not loop either.
    assert.deepEqual(failed(SENT_CHECK_LIMIT + 4), { kind: 'send', resend: 'sent_check_failed' });
  });
});
