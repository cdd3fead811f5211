import { sha256Hex } from '../ids.ts';
import type { Models } from '../models/index.ts';
import type { ApiKeyRecord } from '../records/api-key.ts';

// last_used_at is for humans ("is this key still in use?"): minute precision
// is plenty, and it keeps authentication from writing on every request.
const TOUCH_INTERVAL_MS = 60_000;

export function createApiKeysRepository({ ApiKey }: Models) {
  return {
    /**
     * The active (not revoked) key for a bearer token, or null. Looked up by
     * the token's sha256 through the unique index, so the token itself is never
     * compared, stored or logged. Records use, at most once a minute.
     */
    async findByToken(token: string, now: Date = new Date()): Promise<ApiKeyRecord | null> {
      const key = await ApiKey.findOne({ key_hash: sha256Hex(token), revoked_at: null })
        .lean<ApiKeyRecord>()
        .exec();
      if (!key) return null;
      const cutoff = new Date(now.getTime() - TOUCH_INTERVAL_MS);
      if (!key.last_used_at || key.last_used_at < cutoff) {
        // Conditional, so concurrent requests write once; no updated_at bump:
        // use is not a change to the key.
        await ApiKey.updateOne(
          { _id: key._id, $or: [{ last_used_at: null }, { last_used_at: { $lt: cutoff } }] },
          { $set: { last_used_at: now } },
          { timestamps: false },
        ).exec();
        key.last_used_at = now;
      }
      return key;
    },

    async list(accountId: string): Promise<ApiKeyRecord[]> {
      return ApiKey.find({ account_id: accountId }).sort({ name: 1 }).lean<ApiKeyRecord[]>().exec();
    },
  };
}
