// The chat_message an inbound mail is stored as. Pure.
import type { NewMailDecision } from '../../conversations/dedupe.ts';
import type { ParsedEmail } from '../../mail/parse/index.ts';
import type { ConversationRecord, NewMessage } from '../../store/index.ts';
import type { StoredBodies } from './large-bodies.ts';

export function inboundMessage(input: {
  /** The receiving mailbox: the dedupe is per mailbox, whichever case the mail threads into. */
  mailboxKey: string;
  email: ParsedEmail;
  incoming: { message_id: string; content_hash: string };
  decision: NewMailDecision;
  conversation: ConversationRecord;
  participantId: string | null;
  /** The stored message this mail answers (reply-to.ts), or null. */
  replyToId: string | null;
  rawSourceId: string;
  /** The bodies as stored: inline up to the cap, the rest in GridFS (large-bodies.ts). */
  bodies: Pick<StoredBodies, 'body' | 'html' | 'text_new' | 'body_files'>;
  fromSelf: boolean;
  pendingSince: Date | null;
}): NewMessage {
  const { email, conversation } = input;
  const address = (a: { name: string; address: string }) => ({
    name: a.name || null,
    address: a.address,
  });
  return {
    account_id: conversation.account_id,
    conversation_id: conversation._id,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body: input.bodies.body,
    html: input.bodies.html,
    text_new: input.bodies.text_new,
    ...(input.bodies.body_files ? { body_files: input.bodies.body_files } : {}),
    subject: email.subject || null,
    mailbox_id: input.mailboxKey,
    participant_id: input.participantId,
    reply_to_id: input.replyToId,
    raw_source_id: input.rawSourceId,
    parse_error: email.parse_error,
    ingest_pending_since: input.pendingSince,
    email: {
      message_id: input.incoming.message_id,
      dedupe_key: input.decision.dedupe_key,
      content_hash: input.incoming.content_hash,
      message_id_reused: input.decision.reused,
      from_self: input.fromSelf,
      in_reply_to: email.in_reply_to,
      references: email.references,
      from: email.from ? address(email.from) : null,
      to: email.to.map(address),
      cc: email.cc.map(address),
      auto_submitted: email.auto_submitted,
      auto_submitted_reason: email.auto_submitted_reason,
      subject: email.subject || null,
      date: email.date,
    },
    attachments: email.attachments.map((a) => ({
      kind: a.kind,
      filename: a.filename,
      content_type: a.content_type,
      size_bytes: a.size_bytes,
      gridfs_id: a.id,
      content_id: a.content_id,
      inline: a.inline,
      checksum: a.checksum,
      url: null,
    })),
  };
}
