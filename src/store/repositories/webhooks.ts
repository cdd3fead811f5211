// Webhook endpoints and their deliveries. A delivery record is written at the
// moment its event happens (the outbox): the webhooks role hands it to BullMQ
// and records each attempt on it, so an event survives the sender, Redis or
// the receiver being down.
import { isDuplicateKeyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Models } from '../models/index.ts';
import { paginate, type Page, type PageRequest, type Segment } from '../pagination/keyset.ts';
import type {
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookEndpointRecord,
} from '../records/webhook.ts';
import { leanFetch } from './lean-fetch.ts';

const ENDPOINTS_LIST = 'webhooks';
const DELIVERIES_LIST = 'webhook-deliveries';
// The newest attempts are what triage needs; a long-failing delivery keeps a bounded record.
const ATTEMPT_LOG_LIMIT = 25;

export type NewWebhookEndpoint = Omit<WebhookEndpointRecord, 'created_at' | 'updated_at'>;
export type WebhookEndpointChanges = Partial<
  Pick<WebhookEndpointRecord, 'url' | 'events' | 'secret_sealed' | 'enabled'>
>;

export interface NewWebhookEvent {
  account_id: string;
  event_id: string;
  event_type: string;
  event_key: string;
  conversation_id: string | null;
  payload: Record<string, unknown>;
}

export interface AttemptOutcome extends WebhookAttemptRecord {
  /** The delivery's state after this attempt. */
  status: WebhookDeliveryStatus;
}

export function createWebhooksRepository({
  WebhookEndpoint,
  WebhookDelivery,
  Conversation,
}: Models) {
  return {
    /**
     * The account a conversation belongs to: realtime events name only the
     * conversation, and emission needs the account's endpoints.
     */
    async accountOfConversation(conversationId: string): Promise<string | null> {
      const found = await Conversation.findOne({ _id: conversationId })
        .select({ account_id: 1 })
        .lean<{ account_id: string }>()
        .exec();
      return found?.account_id ?? null;
    },

    /** Whether any enabled endpoint exists: most accounts have none, and then nothing is read. */
    async hasEndpoints(accountId: string): Promise<boolean> {
      return (await WebhookEndpoint.exists({ account_id: accountId, enabled: true })) !== null;
    },

    async createEndpoint(endpoint: NewWebhookEndpoint): Promise<WebhookEndpointRecord> {
      const created = await WebhookEndpoint.create(endpoint);
      return created.toObject();
    },

    async getEndpoint(accountId: string, id: string): Promise<WebhookEndpointRecord | null> {
      return WebhookEndpoint.findOne({ _id: id, account_id: accountId })
        .lean<WebhookEndpointRecord>()
        .exec();
    },

    async getEndpointByKey(accountId: string, key: string): Promise<WebhookEndpointRecord | null> {
      return WebhookEndpoint.findOne({ account_id: accountId, key })
        .lean<WebhookEndpointRecord>()
        .exec();
    },

    async listEndpoints(
      accountId: string,
      page: PageRequest = {},
    ): Promise<Page<WebhookEndpointRecord>> {
      const segment: Segment<WebhookEndpointRecord> = {
        filter: { account_id: accountId },
        keys: [{ field: '_id', type: 'string' }],
        direction: 1,
        keyOf: (e) => [e._id],
      };
      return paginate(ENDPOINTS_LIST, [segment], page, leanFetch(WebhookEndpoint));
    },

    /** The endpoints an event of this type goes to. */
    async subscribed(accountId: string, eventType: string): Promise<WebhookEndpointRecord[]> {
      return WebhookEndpoint.find({ account_id: accountId, enabled: true, events: eventType })
        .lean<WebhookEndpointRecord[]>()
        .exec();
    },

    async updateEndpoint(
      accountId: string,
      id: string,
      changes: WebhookEndpointChanges,
    ): Promise<WebhookEndpointRecord | null> {
      return WebhookEndpoint.findOneAndUpdate(
        { _id: id, account_id: accountId },
        { $set: changes },
        { returnDocument: 'after' },
      )
        .lean<WebhookEndpointRecord>()
        .exec();
    },

    /** Deletes the endpoint; its deliveries stay (they are the history), pending ones fail. */
    async deleteEndpoint(accountId: string, id: string): Promise<boolean> {
      const deleted = await WebhookEndpoint.deleteOne({ _id: id, account_id: accountId }).exec();
      return deleted.deletedCount === 1;
    },

    /** Bootstrap endpoints gone from the file stop receiving events (disabled, not deleted). */
    async disableBootstrapExcept(accountId: string, keys: string[]): Promise<number> {
      const result = await WebhookEndpoint.updateMany(
        { account_id: accountId, source: 'bootstrap', key: { $nin: keys }, enabled: true },
        { $set: { enabled: false } },
      ).exec();
      return result.modifiedCount;
    },

    /**
     * The outbox write: one pending delivery per endpoint. An event emitted
     * again under the same key (a retried job) finds its delivery and adds none.
     */
    async recordEvent(event: NewWebhookEvent, endpointIds: readonly string[]): Promise<number> {
      let created = 0;
      for (const endpointId of endpointIds) {
        try {
          await WebhookDelivery.create({
            _id: newId('whd'),
            ...event,
            endpoint_id: endpointId,
            status: 'pending',
          });
          created++;
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
        }
      }
      return created;
    },

    /**
     * Pending deliveries not handed to BullMQ, or handed over before `staleBefore`
     * (Redis may have lost the job; re-adding a job that still exists is a no-op).
     */
    async toQueue(staleBefore: Date, limit: number): Promise<WebhookDeliveryRecord[]> {
      return WebhookDelivery.find({
        status: 'pending',
        $or: [{ queued_at: null }, { queued_at: { $lt: staleBefore } }],
      })
        .sort({ _id: 1 })
        .limit(limit)
        .lean<WebhookDeliveryRecord[]>()
        .exec();
    },

    async markQueued(ids: readonly string[], at: Date = new Date()): Promise<void> {
      if (ids.length === 0) return;
      await WebhookDelivery.updateMany(
        { _id: { $in: ids }, status: 'pending' },
        { $set: { queued_at: at } },
      ).exec();
    },

    async getDelivery(accountId: string, id: string): Promise<WebhookDeliveryRecord | null> {
      return WebhookDelivery.findOne({ _id: id, account_id: accountId })
        .lean<WebhookDeliveryRecord>()
        .exec();
    },

    async listDeliveries(
      accountId: string,
      endpointId: string,
      status: WebhookDeliveryStatus | null,
      page: PageRequest = {},
    ): Promise<Page<WebhookDeliveryRecord>> {
      const segment: Segment<WebhookDeliveryRecord> = {
        filter: {
          account_id: accountId,
          endpoint_id: endpointId,
          ...(status ? { status } : {}),
        },
        keys: [{ field: '_id', type: 'string' }],
        direction: -1,
        keyOf: (d) => [d._id],
      };
      return paginate(DELIVERIES_LIST, [segment], page, leanFetch(WebhookDelivery));
    },

    /** Records one attempt on a pending delivery; null when it is no longer pending. */
    async recordAttempt(
      id: string,
      outcome: AttemptOutcome,
    ): Promise<WebhookDeliveryRecord | null> {
      const { status, ...attempt } = outcome;
      return WebhookDelivery.findOneAndUpdate(
        { _id: id, status: 'pending' },
        {
          $set: {
            status,
            last_status_code: attempt.status_code,
            last_error: attempt.error,
            last_attempt_at: attempt.at,
            ...(status === 'delivered' ? { delivered_at: attempt.at } : {}),
          },
          $inc: { attempts: 1, round_attempts: 1 },
          $push: { attempt_log: { $each: [attempt], $slice: -ATTEMPT_LOG_LIMIT } },
        },
        { returnDocument: 'after' },
      )
        .lean<WebhookDeliveryRecord>()
        .exec();
    },

    /** Ends a pending delivery that can no longer be attempted (its endpoint is gone). */
    async fail(id: string, error: string): Promise<void> {
      await WebhookDelivery.updateOne(
        { _id: id, status: 'pending' },
        { $set: { status: 'failed', last_error: error } },
      ).exec();
    },

    /** A failed delivery goes out again with a fresh attempt budget. */
    async replay(accountId: string, id: string): Promise<WebhookDeliveryRecord | null> {
      return WebhookDelivery.findOneAndUpdate(
        { _id: id, account_id: accountId, status: 'failed' },
        { $set: { status: 'pending', round_attempts: 0, queued_at: null } },
        { returnDocument: 'after' },
      )
        .lean<WebhookDeliveryRecord>()
        .exec();
    },

    /**
     * Redaction: the event payloads about the conversation are erased, kept
     * as records of what was sent when (type, status, attempts) only.
     */
    async redactConversation(accountId: string, conversationId: string): Promise<number> {
      const result = await WebhookDelivery.updateMany(
        { account_id: accountId, conversation_id: conversationId },
        { $set: { payload: { redacted: true, conversation_id: conversationId } } },
      ).exec();
      return result.modifiedCount;
    },
  };
}
