/**
 * How far one reader (a user's or a bare key's actor) has read one
 * conversation: every sent message up to `last_read_sequence`. Unread is
 * derived from it and the conversation's last sequence, so nothing is
 * written per message per reader.
 */
export interface ReadMarkerRecord {
  _id: string;
  account_id: string;
  conversation_id: string;
  /** The reader's actor id (principal.actor_id). */
  reader_id: string;
  last_read_sequence: number;
  created_at: Date;
  updated_at: Date;
}
