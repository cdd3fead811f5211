// Where an ingest job's raw message is: inline in the job (small mail), in
// GridFS (large mail, stored by the watcher), or in a drop folder's
// .processing/ directory. The ingest keeps every raw source in GridFS for
// audit and re-parse.
import { readFile } from 'node:fs/promises';
import type { JobPayload } from '../../queues/catalog.ts';
import type { InboundFailureRecord, Store } from '../../store/index.ts';
import { processingPath } from '../drop-folder.ts';

export interface RawSource {
  content: Buffer;
  /** GridFS id when the source is already stored there. */
  stored_id: string | null;
}

export async function loadRawSource(
  payload: JobPayload<'mail.ingest'>,
  store: Store,
  dropFolder: string | null,
): Promise<RawSource> {
  switch (payload.raw.kind) {
    case 'inline':
      return { content: Buffer.from(payload.raw.base64, 'base64'), stored_id: null };
    case 'gridfs':
      return {
        content: await store.files.read(payload.raw.file_id),
        stored_id: payload.raw.file_id,
      };
    case 'file': {
      if (payload.source.kind !== 'file' || !dropFolder) {
        throw new Error('a file source needs a drop-folder mailbox');
      }
      return {
        content: await readFile(processingPath(dropFolder, payload.source.name)),
        stored_id: null,
      };
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
