// Seed B's (cases-api.txt) case attributes, derived from the stored
// conversation. Two seeds disagree on priority: seed D's enum
// (low | normal | high | urgent) is what `priority` is, read and written;
// seed B's read-only `priority_label` is its label from seed B's list
// (1 "None", 2 "Low", 3 "Normal", 4 "High", 5 "Critical"), "None" unused.
import type { Priority, WorkflowStatus } from '../../conversations/enums.ts';
import type { ConversationRecord } from '../../store/records/conversation.ts';
import { isoDate } from './common.ts';

const PRIORITY_LABELS = {
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Critical',
} as const satisfies Record<Priority, string>;
type PriorityLabel = (typeof PRIORITY_LABELS)[Priority];

/** Seed B's channels; Postroom bridges only email so far. */
type MessagingChannel = 'email' | 'whatsapp' | 'webchat';

// Seed B: "Higher number = more urgent: telephony (4) > webchat (3) > whatsapp (2) > email (1)".
const CHANNEL_PRIORITIES: Record<MessagingChannel, number> = { email: 1, whatsapp: 2, webchat: 3 };

// The lanes where the case waits on someone (the customer, or a teammate
// after a send failed) rather than on the support desk's next action.
const WAITING: ReadonlySet<WorkflowStatus> = new Set(['waiting_external', 'waiting_internal']);

export interface CaseFieldsJson {
  /** A string, as seed B types it; numbered 1, 2, ... per account, ordered numerically. */
  case_number: string;
  priority_label: PriorityLabel;
  is_waiting: boolean;
  is_closed: boolean;
  /** null while the case is open. */
  closed_at: string | null;
  /** null for a conversation no mailbox bridges (an internal one). */
  latest_messaging_channel: MessagingChannel | null;
  channel_priority: number | null;
}

export function caseFields(conversation: ConversationRecord): CaseFieldsJson {
  const channel: MessagingChannel | null = conversation.mailbox_id ? 'email' : null;
  return {
    case_number: String(conversation.case_number),
    priority_label: PRIORITY_LABELS[conversation.priority],
    is_waiting: conversation.workflow_status !== null && WAITING.has(conversation.workflow_status),
    is_closed: conversation.workflow_status === 'resolved',
    // Set on resolving, cleared when the case reopens (conversations/workflow.ts).
    closed_at: isoDate(conversation.closed_at),
    latest_messaging_channel: channel,
    channel_priority: channel ? CHANNEL_PRIORITIES[channel] : null,
  };
}
