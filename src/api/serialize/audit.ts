import type { ActorRecord } from '../../store/records/actor.ts';
import type { AuditKind, AuditRecord, AuditValue } from '../../store/records/audit.ts';
import { actorOrNull, type ActorJson } from './actor.ts';
import { isoDate } from './common.ts';

export interface AuditEntryJson {
  id: string;
  object: 'audit_entry';
  conversation_id: string;
  kind: AuditKind;
  /** The seed's actor; null for changes the system made (a delivery outcome). */
  actor: ActorJson | null;
  message_id: string | null;
  changes: Array<{ field: string; before: AuditValue; after: AuditValue }>;
  created_at: string;
}

export function serializeAuditEntry(
  entry: AuditRecord,
  actors: ReadonlyMap<string, ActorRecord>,
): AuditEntryJson {
  return {
    id: entry._id,
    object: 'audit_entry',
    conversation_id: entry.conversation_id,
    kind: entry.kind,
    actor: actorOrNull(entry.actor_id, actors),
    message_id: entry.message_id,
    changes: entry.changes.map(({ field, before, after }) => ({ field, before, after })),
    created_at: isoDate(entry.created_at),
  };
}
