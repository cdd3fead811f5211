import { Schema } from 'mongoose';
import { baseOptions, nullableNumber, nullableString, requiredString } from './common.ts';

// redacted: the conversation the response was about was redacted (its text is gone).
const IDEMPOTENCY_STATES = ['in_progress', 'completed', 'redacted'] as const;
type IdempotencyState = (typeof IDEMPOTENCY_STATES)[number];

/**
 * One `Idempotency-Key` of an account: the request it was first used with
 * (method, path, API key, body hash) and, once answered, the response to replay.
 */
export interface IdempotencyRecord {
  _id: string;
  account_id: string;
  key: string;
  api_key_id: string;
  method: string;
  /** Path and query string of the first request. */
  path: string;
  /** sha256 of the canonical JSON body. */
  request_hash: string;
  state: IdempotencyState;
  /** Who holds an in-progress record: only that request may complete or release it. */
  lock_token: string | null;
  locked_at: Date | null;
  status: number | null;
  response_body: string | null;
  content_type: string | null;
  created_at: Date;
}

// Keys are kept a day (Stripe's window): long enough for any client retry loop.
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export const idempotencyKeySchema = new Schema<IdempotencyRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    key: requiredString,
    api_key_id: requiredString,
    method: requiredString,
    path: requiredString,
    request_hash: requiredString,
    state: { type: String, enum: [...IDEMPOTENCY_STATES], required: true },
    lock_token: nullableString,
    locked_at: { type: Date, default: null },
    status: nullableNumber,
    response_body: nullableString,
    content_type: nullableString,
    created_at: { type: Date, required: true },
  },
  baseOptions('idempotency_keys', false),
);

// The reservation: the second insert of a key in an account fails here.
idempotencyKeySchema.index({ account_id: 1, key: 1 }, { unique: true });
idempotencyKeySchema.index({ created_at: 1 }, { expireAfterSeconds: IDEMPOTENCY_TTL_SECONDS });
