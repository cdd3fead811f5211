// The one place changes to a case are written to its audit trail. Callers
// (routes, workers) say who changed what; this module decides the shape and
// never lets a failed audit write undo or fail the change it describes: the
// change is already in MongoDB, so the failure is logged, loudly.
import type { Logger } from '../platform/logger.ts';
import type { AuditChange, AuditKind, AuditValue, Store } from '../store/index.ts';

export interface AuditEvent {
  account_id: string;
  conversation_id: string;
  kind: AuditKind;
  /** The acting actor (the API key's actor, a user, an agent); null for the system. */
  actor_id: string | null;
  message_id?: string | null;
  changes?: AuditChange[];
}

/** Fields whose values quote what a customer or teammate wrote: erased on redaction. */
const CONTENT_FIELDS = new Set(['title', 'subject']);

export async function recordAudit(
  store: Pick<Store, 'audit'>,
  logger: Pick<Logger, 'error'>,
  event: AuditEvent,
  now: Date = new Date(),
): Promise<void> {
  try {
    await store.audit.record(event, now);
  } catch (error) {
    logger.error(
      { err: error, conversation: event.conversation_id, kind: event.kind },
      'could not write the audit entry',
    );
  }
}

/** A change of one field (content-bearing fields are marked for redaction). */
export function change(field: string, before: AuditValue, after: AuditValue): AuditChange {
  return { field, before, after, content: CONTENT_FIELDS.has(field) };
}

/** The changes between two versions of a record, for the fields named (equal ones skipped). */
export function changesBetween<T extends object>(
  before: T,
  after: T,
  fields: ReadonlyArray<keyof T & string>,
): AuditChange[] {
  const out: AuditChange[] = [];
  for (const field of fields) {
    const was = scalar(before[field]);
    const now = scalar(after[field]);
    if (was !== now) out.push(change(field, was, now));
  }
  return out;
}

function scalar(value: unknown): AuditValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}
