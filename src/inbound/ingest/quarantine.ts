// Mail from one of our own addresses that answers no case is set aside, never
// dropped: an inbound-failure record (GET /v1/admin/inbound-failures) of kind
// `quarantined`, with the reason and the raw source kept in GridFS, so the
// team can look at it and nothing opens a case that would reply to ourselves.
import type { Logger } from '../../platform/logger.ts';
import { JOBS, type JobPayload } from '../../queues/catalog.ts';
import type { MailboxRecord, Store } from '../../store/index.ts';
import { failureSource } from './raw-source.ts';

export interface Quarantined {
  kind: 'quarantined';
  message_id: string;
  reason: string;
  message: null;
}

export async function quarantine(input: {
  store: Store;
  log: Logger;
  payload: JobPayload<'mail.ingest'>;
  mailbox: MailboxRecord;
  raw: { content: Buffer; stored_id: string | null };
  messageId: string;
  reason: string;
  now: Date;
}): Promise<Quarantined> {
  const { store, payload, mailbox, raw, messageId, reason } = input;
  const jobId = JOBS['mail.ingest'].id(payload);
  // A replayed job finds its record, and the raw source it kept, already there.
  const earlier = await store.inbound.failureOfJob(jobId);
  const rawSourceId =
    earlier?.raw_source_id ??
    raw.stored_id ??
    (
      await store.files.put(`${messageId}.eml`, raw.content, {
        account_id: mailbox.account_id,
        purpose: 'raw_source',
        content_type: 'message/rfc822',
        mailbox_id: mailbox.key,
      })
    ).id;
  await store.inbound.recordFailure({
    account_id: mailbox.account_id,
    mailbox_id: mailbox.key,
    job_id: jobId,
    kind: 'quarantined',
    message_id: messageId,
    source: failureSource(payload),
    raw_source_id: rawSourceId,
    reason,
    attempts: 1,
    failed_at: input.now,
  });
  input.log.warn({ message_id: messageId, reason }, 'mail from our own address quarantined');
  return { kind: 'quarantined', message_id: messageId, reason, message: null };
}
