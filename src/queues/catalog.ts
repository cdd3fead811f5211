// The job catalog: every queue's name, payload schema, attempts and backoff,
// and its deterministic job id, in one place. Payloads carry ids, never
// documents: MongoDB holds the state and a job only says what to look at.
import { z } from 'zod';

// BullMQ job ids may not be integer strings and may not contain ':' (it splits
// Redis keys), so ids are built from prefixed parts joined with '-'.
function jobId(...parts: Array<string | number | bigint>): string {
  return parts.map((part) => String(part).replace(/[:\s]/g, '_')).join('-');
}

const mailIngest = z
  .object({
    account_id: z.string(),
    /** The mailbox's config key (as conversations store it). */
    mailbox_id: z.string(),
    // Where the message came from, for the deterministic id and the audit trail.
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('imap'), uidvalidity: z.string(), uid: z.number().int() }),
      // A drop-folder file, claimed into <drop_folder>/.processing/<name>.
      z.object({ kind: z.literal('file'), name: z.string(), sha256: z.string() }),
    ]),
    // Small sources ride in the job; large ones are in GridFS first, so big
    // mail never sits in Redis (threshold: INLINE_RAW_LIMIT_BYTES). Drop-folder
    // files are read from the folder itself.
    raw: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('inline'), base64: z.string() }),
      z.object({ kind: z.literal('gridfs'), file_id: z.string(), size: z.number().int() }),
      z.object({ kind: z.literal('file') }),
    ]),
    /** The IMAP INTERNALDATE (when the server received it), for the ingest-lag metric. */
    arrived_at: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

const agentRun = z
  .object({
    account_id: z.string(),
    conversation_id: z.string(),
    agent_id: z.string(),
    trigger_message_id: z.string(),
    /** A human's regeneration (1, 2, ...); absent for the run the trigger started. */
    generation: z.number().int().positive().optional(),
  })
  .strict();

const messageDeliver = z.object({ account_id: z.string(), message_id: z.string() }).strict();

const webhookDeliver = z.object({ account_id: z.string(), delivery_id: z.string() }).strict();

export const INLINE_RAW_LIMIT_BYTES = 256 * 1024;

export const JOBS = {
  'mail.ingest': {
    payload: mailIngest,
    id: (p: z.infer<typeof mailIngest>) =>
      p.source.kind === 'imap'
        ? jobId('ingest', p.account_id, p.mailbox_id, p.source.uidvalidity, p.source.uid)
        : jobId('ingest', p.account_id, p.mailbox_id, 'file', p.source.name),
    // Parsing is deterministic, so retries only help with MongoDB/Redis blips:
    // 5 attempts from 2 s doubling cover about a minute of outage.
    attempts: 5,
    backoff: { type: 'exponential', delay: 2_000 },
  },
  'agent.run': {
    payload: agentRun,
    id: (p: z.infer<typeof agentRun>) =>
      p.generation
        ? jobId('run', p.trigger_message_id, p.agent_id, `g${p.generation}`)
        : jobId('run', p.trigger_message_id, p.agent_id),
    // Model errors (429/5xx/timeouts, cut streams) back off from 1 s doubling,
    // or as long as the server's Retry-After says (agents/agent-worker.ts).
    attempts: 4,
    backoff: { type: 'agent-retry', delay: 1_000 },
  },
  'message.deliver': {
    payload: messageDeliver,
    // One job per message: the message id is the job id (prefixed: ids may not be numeric).
    id: (p: z.infer<typeof messageDeliver>) => jobId('deliver', p.message_id),
    // SMTP retries follow the mailbox's delivery policy and re-delay this same
    // job without using a BullMQ attempt (delivery/deliver-worker.ts); these
    // attempts only cover infrastructure errors: 10 from 5 s doubling to a
    // 5 min cap (delivery/backoff.ts) ride out ~20 minutes of MongoDB/Redis outage.
    attempts: 10,
    backoff: { type: 'delivery-infra', delay: 5_000 },
  },
  'webhook.deliver': {
    payload: webhookDeliver,
    // One job per delivery record. HTTP retries re-delay this same job
    // (webhooks/webhook-role.ts) and MongoDB counts them against
    // POSTROOM_WEBHOOK_MAX_ATTEMPTS; these attempts only cover MongoDB/Redis errors.
    id: (p: z.infer<typeof webhookDeliver>) => jobId('webhook', p.delivery_id),
    attempts: 10,
    backoff: { type: 'exponential', delay: 5_000 },
  },
} as const;

export type QueueName = keyof typeof JOBS;
export type JobPayload<Q extends QueueName> = z.infer<(typeof JOBS)[Q]['payload']>;
export const QUEUE_NAMES = Object.keys(JOBS) as QueueName[];

/** Validate a payload again on dequeue: Redis content is input like any other. */
export function parsePayload<Q extends QueueName>(queue: Q, data: unknown): JobPayload<Q> {
  return JOBS[queue].payload.parse(data) as JobPayload<Q>;
}
