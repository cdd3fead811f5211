// Binary content in GridFS: raw .eml sources (kept for audit and re-parse)
// and attachments. Always streamed, so a large file never sits whole in memory.
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type Writable } from 'node:stream';
import mongoose, { type Connection } from 'mongoose';

export interface StoredFile {
  id: string;
  size_bytes: number;
  /** sha256 of the content, hex. */
  checksum: string;
}

export interface FileInfo {
  id: string;
  filename: string;
  length: number;
  content_type: string | null;
  account_id: string | null;
}

export interface FileMetadata {
  account_id: string;
  /** What the file is: a raw .eml, an attachment, or a message body too large to keep inline. */
  purpose: 'raw_source' | 'attachment' | 'body';
  content_type?: string | null;
  mailbox_id?: string | null;
}

const BUCKET = 'files';

export function createFilesRepository(connection: Connection) {
  // One bucket per database handle: a bucket checks the GridFS indexes before its
  // first upload only, so a fresh bucket per file would cost a query per file.
  let cached: { db: mongoose.mongo.Db; bucket: mongoose.mongo.GridFSBucket } | undefined;
  function bucket(): mongoose.mongo.GridFSBucket {
    const db = connection.db;
    if (!db) throw new Error('MongoDB connection is not open');
    if (cached?.db !== db)
      cached = { db, bucket: new mongoose.mongo.GridFSBucket(db, { bucketName: BUCKET }) };
    return cached.bucket;
  }

  async function put(
    filename: string,
    content: Readable | Buffer,
    metadata: FileMetadata,
  ): Promise<StoredFile> {
    const upload = bucket().openUploadStream(filename, { metadata });
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
    await pipeline(source, tap, upload as unknown as Writable);
    return { id: upload.id.toString(), size_bytes: size, checksum: hash.digest('hex') };
  }

  return {
    /** Store a stream or buffer; resolves once every chunk is written. */
    put,

    async info(accountId: string, id: string): Promise<FileInfo | null> {
      if (!mongoose.isValidObjectId(id)) return null;
      const [file] = await bucket()
        .find({ _id: new mongoose.Types.ObjectId(id), 'metadata.account_id': accountId })
        .toArray();
      if (!file) return null;
      const metadata = (file.metadata ?? {}) as Partial<FileMetadata>;
      return {
        id,
        filename: file.filename,
        length: file.length,
        content_type: metadata.content_type ?? null,
        account_id: metadata.account_id ?? null,
      };
    },

    /** A stream of the content; callers check `info()` first for the account. */
    open(id: string): Readable {
      return bucket().openDownloadStream(new mongoose.Types.ObjectId(id)) as unknown as Readable;
    },

    /** The whole content, read into one buffer of the file's size (no second copy). */
    async read(id: string): Promise<Buffer> {
      const objectId = new mongoose.Types.ObjectId(id);
      const [file] = await bucket().find({ _id: objectId }).toArray();
      if (!file) throw new Error(`file ${id} not found`);
      const content = Buffer.allocUnsafe(file.length);
      let offset = 0;
      for await (const chunk of bucket().openDownloadStream(objectId)) {
        const bytes = chunk as Buffer;
        if (offset + bytes.length > content.length)
          throw new Error(`file ${id} is longer than its length`);
        bytes.copy(content, offset);
        offset += bytes.length;
      }
      if (offset !== content.length) throw new Error(`file ${id} is shorter than its length`);
      return content;
    },

    async remove(id: string): Promise<void> {
      try {
        await bucket().delete(new mongoose.Types.ObjectId(id));
      } catch (error) {
        // Deleting twice (a retried cleanup) is fine.
        if (!/FileNotFound|not found/i.test((error as Error).message)) throw error;
      }
    },
  };
}

export type FilesRepository = ReturnType<typeof createFilesRepository>;
