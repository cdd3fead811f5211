import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  approveBlocker,
  cancelBlocker,
  deliveryTime,
  isBeingSent,
  rejectBlocker,
  retryBlocker,
} from '../../../src/approval/rules.ts';
import {
  MESSAGE_STATUSES,
  type MessageRecord,
  type MessageStatus,
} from '../../../src/store/index.ts';

type Checked = Pick<MessageRecord, '_id' | 'status' | 'streaming_state' | 'delivery'>;

function msg(status: MessageStatus, extra: Partial<Checked> = {}): Checked {
  return { _id: 'msg_1', status, streaming_state: null, delivery: null, ...extra };
}

const sending = {
  delivery: {
    attempts: 1,
    last_error: null,
    next_attempt_at: null,
    sent_at: null,
    sending_at: new Date(),
  },
};

describe('approval rules', () => {
  // Written out per status (not derived from the lifecycle the rules read), so a
  // change to either shows here; a new status is a compile error until listed.
  const APPROVE: Record<MessageStatus, 'invalid_state' | null> = {
    draft: null,
    scheduled: null,
    sent: 'invalid_state',
    canceled: 'invalid_state',
    rejected: 'invalid_state',
    failed: 'invalid_state',
    superseded: 'invalid_state',
  };
  const REJECT: Record<MessageStatus, 'invalid_state' | null> = {
    ...APPROVE,
    scheduled: 'invalid_state',
  };
  const CANCEL: Record<MessageStatus, 'invalid_state' | null> = {
    ...APPROVE,
    draft: 'invalid_state',
  };

  test('approve: only a complete draft or a scheduled message not being sent', () => {
    for (const status of MESSAGE_STATUSES) {
      const blocker = approveBlocker(msg(status, { streaming_state: 'complete' }));
      assert.equal(blocker?.code ?? null, APPROVE[status], status);
    }
    assert.equal(
      approveBlocker(msg('draft', { streaming_state: 'streaming' }))?.code,
      'draft_streaming',
    );
    assert.equal(approveBlocker(msg('scheduled', sending))?.code, 'delivery_in_progress');
  });

  test('retry: only a failed message', () => {
    for (const status of MESSAGE_STATUSES) {
      const blocker = retryBlocker(msg(status));
      if (status === 'failed') assert.equal(blocker, null);
      else assert.equal(blocker?.code, 'not_failed', status);
    }
  });

  test('reject: any draft, streaming or not; nothing else', () => {
    for (const status of MESSAGE_STATUSES) {
      assert.equal(rejectBlocker(msg(status))?.code ?? null, REJECT[status], status);
    }
    assert.equal(rejectBlocker(msg('draft', { streaming_state: 'streaming' })), null);
  });

  test('cancel: only scheduled, and not while being sent', () => {
    for (const status of MESSAGE_STATUSES) {
      assert.equal(cancelBlocker(msg(status))?.code ?? null, CANCEL[status], status);
    }
    assert.equal(cancelBlocker(msg('scheduled', sending))?.code, 'delivery_in_progress');
    assert.equal(isBeingSent(msg('scheduled')), false);
    assert.equal(isBeingSent(sending), true);
  });

  test('deliveryTime: requested (past means now), else kept on re-approval, else now', () => {
    const now = new Date('2030-01-01T10:00:00Z');
    const future = new Date('2030-01-02T10:00:00Z');
    const past = new Date('2020-01-01T10:00:00Z');
    const draft = { status: 'draft' as const, scheduled_at: null };
    const scheduled = { status: 'scheduled' as const, scheduled_at: future };
    assert.equal(deliveryTime(future, draft, now), future);
    assert.equal(deliveryTime(past, draft, now), now);
    assert.equal(deliveryTime(null, draft, now), now);
    assert.equal(deliveryTime(undefined, scheduled, now), future);
    assert.equal(deliveryTime(past, scheduled, now), now);
  });
});
