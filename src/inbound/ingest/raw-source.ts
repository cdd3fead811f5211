// Where an ingest job's raw message is: inline in the job (small mail), in
// GridFS (large mail, stored by the watcher), or in a drop folder's
// .processing/ directory. The ingest keeps every raw source in GridFS for
// audit and re-parse.
import { readFile, stat } from 'node:fs/promises';
import type { JobPayload } from '../../queues/catalog.ts';
import type { InboundFailureRecord, Store } from '../../store/index.ts';
import { processingPath } from '../drop-folder.ts';
import { checkMailSize } from './mail-size.ts';

export interface RawSource {
  content: Buffer;
  /** GridFS id when the source is already stored there. */
  stored_id: string | null;
}

/**
 * The raw message, read only once its size is known to be within `maxBytes`
 * (a MailTooLargeError otherwise, before a byte of it is read).
 */
export async function loadRawSource(
  payload: JobPayload<'mail.ingest'>,
  store: Store,
  dropFolder: string | null,
  maxBytes: number,
): Promise<RawSource> {
  switch (payload.raw.kind) {
    case 'inline': {
      const content = Buffer.from(payload.raw.base64, 'base64');
      checkMailSize(content.length, maxBytes);
      return { content, stored_id: null };
    }
    case 'gridfs': {
      // The stored length, not the payload's word for it.
      const file = await store.files.info(payload.account_id, payload.raw.file_id);
      checkMailSize(file?.length ?? payload.raw.size, maxBytes);
      return {
        content: await store.files.read(payload.raw.file_id),
        stored_id: payload.raw.file_id,
      };
    }
    case 'file': {
      if (payload.source.kind !== 'file' || !dropFolder) {
        throw new Error('a file source needs a drop-folder mailbox');
      }
      const path = processingPath(dropFolder, payload.source.name);
      checkMailSize((await stat(path)).size, maxBytes);
      return { content: await readFile(path), stored_id: null };
    }
  }
}

/** Where a mail came from, as the inbound failure record keeps it. */
export function failureSource(payload: JobPayload<'mail.ingest'>): InboundFailureRecord['source'] {
  return payload.source.kind === 'imap'
    ? { kind: 'imap', uidvalidity: payload.source.uidvalidity, uid: payload.source.uid, name: null }
    : { kind: 'file', uidvalidity: null, uid: null, name: payload.source.name };
}

export function describeSource(payload: JobPayload<'mail.ingest'>): string {
  return payload.source.kind === 'imap'
    ? `IMAP UID ${payload.source.uid} (UIDVALIDITY ${payload.source.uidvalidity})`
    : `drop-folder file ${payload.source.name}`;
}
