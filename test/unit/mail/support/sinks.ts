// Attachment sinks for tests: in memory, consuming every stream to its end
// like the real (GridFS) sink does.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type {
  AttachmentMeta,
  AttachmentSink,
  StoredAttachment,
} from '../../../../src/mail/parse/index.ts';

export interface Stored {
  meta: AttachmentMeta;
  bytes: number;
  chunks: number;
  /** Set by collectingSink only. */
  content?: Buffer;
}

async function drain(
  content: Readable,
  keep: boolean,
): Promise<{ bytes: number; chunks: number; content?: Buffer; md5: string }> {
  const parts: Buffer[] = [];
  const hash = createHash('md5');
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of content) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    chunks++;
    hash.update(buffer);
    if (keep) parts.push(buffer);
  }
  return {
    bytes,
    chunks,
    md5: hash.digest('hex'),
    ...(keep ? { content: Buffer.concat(parts) } : {}),
  };
}

/** Counts bytes; keeps no content. `stored` lists what it received. */
export function countingSink(): AttachmentSink & { stored: Stored[] } {
  const stored: Stored[] = [];
  return {
    stored,
    async store(meta: AttachmentMeta, content: Readable): Promise<StoredAttachment> {
      const { bytes, chunks } = await drain(content, false);
      stored.push({ meta, bytes, chunks });
      return { id: `att-${meta.index}`, size_bytes: bytes };
    },
  };
}

/** Keeps each attachment's content in memory (small fixtures only). */
export function collectingSink(): AttachmentSink & { stored: Stored[] } {
  const stored: Stored[] = [];
  return {
    stored,
    async store(meta: AttachmentMeta, content: Readable): Promise<StoredAttachment> {
      const { bytes, chunks, content: buffer, md5 } = await drain(content, true);
      stored.push({ meta, bytes, chunks, ...(buffer ? { content: buffer } : {}) });
      return { id: `att-${meta.index}`, size_bytes: bytes, checksum: `md5:${md5}` };
    },
  };
}
