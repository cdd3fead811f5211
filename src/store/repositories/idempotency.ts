// Idempotency-Key records: reserve a key (one insert wins per account and
// key), then complete it with the response to replay, or release it so the
// request can be retried. The unique index {account_id, key} is the lock.
import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '../errors.ts';
import type { IdempotencyRecord } from '../models/idempotency-key.ts';
import type { Models } from '../models/index.ts';

export type { IdempotencyRecord } from '../models/idempotency-key.ts';

export interface IdempotencyRequest {
  account_id: string;
  key: string;
  api_key_id: string;
  method: string;
  path: string;
  request_hash: string;
}

export type Reservation =
  /** The caller owns the key: run the request, then complete() or release(). */
  | { outcome: 'reserved'; id: string; lock_token: string }
  /** The same request was answered: replay this response. */
  | { outcome: 'replay'; response: StoredResponse }
  /** The same request is running right now (or died less than STALE_LOCK_MS ago). */
  | { outcome: 'in_progress' }
  /** The key was used for another request (other body, path, method or API key). */
  | { outcome: 'mismatch'; record: IdempotencyRecord }
  /**
   * The stored response was about a conversation since redacted: it is gone,
   * and the request must not run again either (it would re-create the text).
   */
  | { outcome: 'redacted' };

export interface StoredResponse {
  status: number;
  body: string;
  content_type: string | null;
}

// An in-progress reservation older than this is taken to belong to a request
// that died (process crash): a retry may take it over. Generous, because
// taking over a live one would run the request twice, which is worse than a
// client seeing 409 for a few minutes.
const STALE_LOCK_MS = 5 * 60_000;
// Reserve races: insert loses to an existing key that is then released (a 5xx)
// before we can read it. Each round has a winner, so a few rounds suffice.
const MAX_RESERVE_ROUNDS = 5;

export function createIdempotencyRepository({ IdempotencyKey }: Models) {
  return {
    async reserve(request: IdempotencyRequest, now: Date = new Date()): Promise<Reservation> {
      for (let round = 1; round <= MAX_RESERVE_ROUNDS; round++) {
        const lockToken = randomUUID();
        try {
          const id = `idk_${randomUUID()}`;
          await IdempotencyKey.create({
            ...request,
            _id: id,
            state: 'in_progress',
            lock_token: lockToken,
            locked_at: now,
            created_at: now,
          });
          return { outcome: 'reserved', id, lock_token: lockToken };
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
        }
        const existing = await IdempotencyKey.findOne({
          account_id: request.account_id,
          key: request.key,
        })
          .lean<IdempotencyRecord>()
          .exec();
        // A stale reservation is taken over only by the same request: a
        // different one gets the record back and is refused as a reused key.
        if (
          existing?.state === 'in_progress' &&
          isStale(existing, now) &&
          sameRequest(existing, request)
        ) {
          // Conditional on the lock we saw, so two retries cannot both take it over.
          const taken = await IdempotencyKey.findOneAndUpdate(
            { _id: existing._id, state: 'in_progress', lock_token: existing.lock_token },
            { $set: { lock_token: lockToken, locked_at: now } },
            { returnDocument: 'after' },
          )
            .lean<IdempotencyRecord>()
            .exec();
          if (taken) return { outcome: 'reserved', id: taken._id, lock_token: lockToken };
          continue;
        }
        if (existing) return settled(existing, request);
      }
      throw new Error('idempotency key reservation kept racing');
    },

    /** Store the response to replay; only the holder of the lock can. */
    async complete(id: string, lockToken: string, response: StoredResponse): Promise<void> {
      await IdempotencyKey.updateOne(
        { _id: id, state: 'in_progress', lock_token: lockToken },
        {
          $set: {
            state: 'completed',
            lock_token: null,
            locked_at: null,
            status: response.status,
            response_body: response.body,
            content_type: response.content_type,
          },
        },
      ).exec();
    },

    /** Forget the key (the request failed in a way worth retrying). */
    async release(id: string, lockToken: string): Promise<void> {
      await IdempotencyKey.deleteOne({
        _id: id,
        state: 'in_progress',
        lock_token: lockToken,
      }).exec();
    },
  };
}

function settled(record: IdempotencyRecord, request: IdempotencyRequest): Reservation {
  // The request hash went with the redaction, so the request cannot be compared.
  if (record.state === 'redacted') return { outcome: 'redacted' };
  if (!sameRequest(record, request)) return { outcome: 'mismatch', record };
  if (record.state === 'in_progress' || record.status === null) return { outcome: 'in_progress' };
  return {
    outcome: 'replay',
    response: {
      status: record.status,
      body: record.response_body ?? '',
      content_type: record.content_type,
    },
  };
}

/** The same request as the key was first used with (what a replay requires). */
function sameRequest(record: IdempotencyRecord, request: IdempotencyRequest): boolean {
  return (
    record.api_key_id === request.api_key_id &&
    record.method === request.method &&
    record.path === request.path &&
    record.request_hash === request.request_hash
  );
}

function isStale(record: IdempotencyRecord, now: Date): boolean {
  return !record.locked_at || now.getTime() - record.locked_at.getTime() > STALE_LOCK_MS;
}
