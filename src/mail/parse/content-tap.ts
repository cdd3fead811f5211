// The stream an attachment's content flows through on its way to the sink.
// It passes every chunk on unchanged (with backpressure: nothing accumulates
// here), hashes and counts it, and keeps the first bytes of the parts the
// parser must read itself (bounce reports), never more than `captureLimit`.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class ContentTap extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly captured: Buffer[] = [];
  private capturedBytes = 0;
  private digest: string | null = null;

  constructor(private readonly captureLimit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (this.capturedBytes < this.captureLimit) {
      const part = chunk.subarray(0, this.captureLimit - this.capturedBytes);
      // A copy: holding a slice would pin the parser's whole chunk.
      this.captured.push(Buffer.from(part));
      this.capturedBytes += part.length;
    }
    done(null, chunk);
  }

  /** sha256 (hex) of everything that passed through so far. */
  checksum(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }

  /** The first `captureLimit` bytes of the content. */
  head(): Buffer {
    return Buffer.concat(this.captured, this.capturedBytes);
  }
}
