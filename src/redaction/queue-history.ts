// Redaction's part in Redis: what the queues keep of a conversation after the
// work is done. A finished ingest job holds the whole raw mail (small mail
// rides inline in the job, base64) for a day, a failed one for a week; a
// delivery job's failure text and the sent receipt quote the server's reply,
// which may name the recipient. Those jobs are removed (only finished ones: a
// job still to run is work MongoDB still wants done), with their entries in
// the queues' event streams, and the receipts are deleted.
import type { Redis } from 'ioredis';
import { sentReceiptKey } from '../delivery/receipts.ts';
import { JOBS, type QueueName } from '../queues/catalog.ts';
import type { Queues } from '../queues/queues.ts';

export interface QueueHistoryDeps {
  queues: Queues;
  redis: Redis;
  /** POSTROOM_QUEUE_PREFIX. */
  prefix: string;
}

export interface QueueTarget {
  account_id: string;
  /** The conversation's message ids (delivery jobs and receipts are keyed by them). */
  message_ids: readonly string[];
  /** The Message-IDs of its mail (what an ingest job's raw source carries). */
  email_message_ids: readonly string[];
  /** Its GridFS files (large raw sources are referenced by id from the job). */
  file_ids: readonly string[];
  /** The customer's addresses: how a mail without a Message-ID is recognised. */
  addresses: readonly string[];
}

const FINISHED = ['completed', 'failed'] as const;
const PAGE = 500;

/** Removes the conversation's finished jobs and receipts; returns how many jobs went. */
export async function eraseQueueHistory(
  deps: QueueHistoryDeps,
  target: QueueTarget,
): Promise<number> {
  const removed = new Map<QueueName, string[]>();
  removed.set('mail.ingest', await ingestJobsOf(deps, target));
  removed.set('message.deliver', await deliverJobsOf(deps, target));
  let count = 0;
  for (const [name, ids] of removed) {
    if (ids.length === 0) continue;
    const queue = deps.queues.queue(name);
    for (const id of ids) count += await queue.remove(id);
    await dropEvents(deps.redis, queue.keys.events ?? `${deps.prefix}:${name}:events`, ids);
  }
  if (target.message_ids.length > 0) {
    await deps.redis.del(...target.message_ids.map((id) => sentReceiptKey(deps.prefix, id)));
  }
  return count;
}

async function ingestJobsOf(deps: QueueHistoryDeps, target: QueueTarget): Promise<string[]> {
  const queue = deps.queues.queue('mail.ingest');
  const ids = new Set(target.email_message_ids.map((id) => id.toLowerCase()));
  const files = new Set(target.file_ids);
  const found: string[] = [];
  // Collected first, removed after: removing while paging would shift the pages.
  for (let start = 0; ; start += PAGE) {
    const jobs = await queue.getJobs([...FINISHED], start, start + PAGE - 1, true);
    for (const job of jobs) {
      const payload = JOBS['mail.ingest'].payload.safeParse(job.data);
      if (!job.id || !payload.success || payload.data.account_id !== target.account_id) continue;
      const raw = payload.data.raw;
      const ours =
        raw.kind === 'inline'
          ? inlineMailIsOurs(Buffer.from(raw.base64, 'base64'), ids, target.addresses)
          : raw.kind === 'gridfs' && files.has(raw.file_id);
      if (ours) found.push(job.id);
    }
    if (jobs.length < PAGE) break;
  }
  return found;
}

/** The mail's Message-ID is one of the case's; a mail without one, by its sender. */
function inlineMailIsOurs(
  raw: Buffer,
  ids: ReadonlySet<string>,
  addresses: readonly string[],
): boolean {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  // Unfolded, so a header continued on the next line reads as one.
  const header = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const messageId = /^message-id:\s*<?([^>\s]+)>?/im.exec(header)?.[1];
  if (messageId) return ids.has(messageId.toLowerCase());
  const from = /^from:(.*)$/im.exec(header)?.[1]?.toLowerCase() ?? '';
  return addresses.some((address) => from.includes(address));
}

async function deliverJobsOf(deps: QueueHistoryDeps, target: QueueTarget): Promise<string[]> {
  const queue = deps.queues.queue('message.deliver');
  const found: string[] = [];
  for (const messageId of target.message_ids) {
    const id = JOBS['message.deliver'].id({ account_id: target.account_id, message_id: messageId });
    const state = await queue.getJobState(id);
    if ((FINISHED as readonly string[]).includes(state)) found.push(id);
  }
  return found;
}

/** Deletes a queue's event-stream entries about these jobs (a failure's reason rides along). */
async function dropEvents(redis: Redis, key: string, jobIds: readonly string[]): Promise<void> {
  const ids = new Set(jobIds);
  let start = '-';
  for (;;) {
    const entries = await redis.xrange(key, start, '+', 'COUNT', PAGE);
    const doomed: string[] = [];
    for (const [entryId, fields] of entries) {
      const at = fields.indexOf('jobId');
      if (at !== -1 && at % 2 === 0 && ids.has(fields[at + 1] ?? '')) doomed.push(entryId);
    }
    if (doomed.length > 0) await redis.xdel(key, ...doomed);
    if (entries.length < PAGE) return;
    const last = entries[entries.length - 1]?.[0];
    if (!last) return;
    // The next page starts after the last entry read (exclusive range).
    start = `(${last}`;
  }
}
