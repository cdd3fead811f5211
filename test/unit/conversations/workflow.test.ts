import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  nextWorkflow,
  WORKFLOW_STATUSES,
  type WorkflowStatus,
} from '../../../src/conversations/workflow.ts';

const now = new Date('2026-11-23T10:00:00Z');

describe('workflow_status', () => {
  const customerReplied: Record<WorkflowStatus, WorkflowStatus> = {
    new: 'new',
    open: 'open',
    waiting_internal: 'waiting_internal',
    waiting_external: 'open',
    needs_approval: 'needs_approval',
    resolved: 'open',
  };
  for (const from of WORKFLOW_STATUSES) {
    test(`customer reply: ${from} → ${customerReplied[from]}`, () => {
      const change = nextWorkflow(from, { type: 'customer_replied' }, now);
      assert.equal(change.workflow_status, customerReplied[from]);
      assert.equal(change.closed_at, from === 'resolved' ? null : undefined);
    });
  }

  const fixed = [
    ['draft_completed', 'needs_approval'],
    ['reply_delivered', 'waiting_external'],
    ['delivery_failed', 'waiting_internal'],
  ] as const;
  for (const [type, to] of fixed) {
    for (const from of WORKFLOW_STATUSES) {
      test(`${type}: ${from} → ${to}`, () => {
        const change = nextWorkflow(from, { type }, now);
        assert.equal(change.workflow_status, to);
        // Leaving resolved reopens the case: closed_at is cleared.
        assert.equal(change.closed_at, from === 'resolved' ? null : undefined);
      });
    }
  }

  test('rejecting the last draft moves needs_approval back to open, and nothing else', () => {
    for (const from of WORKFLOW_STATUSES) {
      const change = nextWorkflow(from, { type: 'last_draft_rejected' }, now);
      assert.equal(change.workflow_status, from === 'needs_approval' ? 'open' : from);
    }
  });

  test('set-status to resolved sets closed_at once', () => {
    assert.deepEqual(nextWorkflow('open', { type: 'status_set', to: 'resolved' }, now), {
      workflow_status: 'resolved',
      closed_at: now,
    });
    assert.equal(
      nextWorkflow('resolved', { type: 'status_set', to: 'resolved' }, now).closed_at,
      undefined,
    );
  });

  test('set-status moves anywhere; leaving resolved clears closed_at', () => {
    for (const from of WORKFLOW_STATUSES) {
      for (const to of WORKFLOW_STATUSES) {
        const change = nextWorkflow(from, { type: 'status_set', to }, now);
        assert.equal(change.workflow_status, to);
        if (from === 'resolved' && to !== 'resolved') assert.equal(change.closed_at, null);
      }
    }
  });
});
