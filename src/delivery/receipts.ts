// Sent receipts: a Redis key written the moment the server accepted a
// message, before MongoDB records it. If recording fails (MongoDB blip,
// crash) the job runs again, finds the receipt and only records: the mail is
// not sent twice. This narrows a duplicate to a crash in the milliseconds
// between the server's 250 and this write; on a mailbox with IMAP the Sent
// folder is asked about that case too (prior-attempt.ts).
import type { Redis } from 'ioredis';

// As long as a failed job is kept (queues.ts RETENTION): any re-run of the
// job happens within it.
const RECEIPT_TTL_SECONDS = 7 * 24 * 3600;

interface SentReceipt {
  sent_at: string;
  response: string;
}

export interface Receipts {
  get(messageId: string): Promise<SentReceipt | null>;
  /** Best effort: a failure is returned, not thrown (the mail is already out). */
  put(messageId: string, receipt: SentReceipt): Promise<Error | null>;
}

/** Where a message's receipt lives (redaction removes it with the message's content). */
export function sentReceiptKey(prefix: string, messageId: string): string {
  return `${prefix}:delivery:sent:${messageId}`;
}

export function redisReceipts(redis: Redis, prefix: string): Receipts {
  const key = (messageId: string): string => sentReceiptKey(prefix, messageId);
  return {
    async get(messageId) {
      const raw = await redis.get(key(messageId));
      if (!raw) return null;
      try {
        const parsed = JSON.parse(raw) as Partial<SentReceipt>;
        return typeof parsed.sent_at === 'string'
          ? { sent_at: parsed.sent_at, response: String(parsed.response ?? '') }
          : null;
      } catch {
        return null;
      }
    },
    async put(messageId, receipt) {
      try {
        await redis.set(key(messageId), JSON.stringify(receipt), 'EX', RECEIPT_TTL_SECONDS);
        return null;
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    },
  };
}
