// Server-side sessions of the web app: created at sign-in, looked up by the
// cookie's token on each request, deleted at sign-out, expired by TTL.
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../ids.ts';
import type { Models } from '../models/index.ts';
import type { WebSessionRecord } from '../models/web-session.ts';

export type { WebSessionRecord } from '../models/web-session.ts';

export type NewWebSession = Pick<
  WebSessionRecord,
  'account_id' | 'user_id' | 'actor_id' | 'permissions' | 'name' | 'email'
>;

const randomToken = (): string => randomBytes(32).toString('base64url');

export function createWebSessionsRepository({ WebSession }: Models) {
  return {
    /** A new session; the token (for the cookie) is returned once and never stored. */
    async create(
      input: NewWebSession,
      ttlMs: number,
      now: Date = new Date(),
    ): Promise<{ token: string; session: WebSessionRecord }> {
      const token = randomToken();
      const created = await WebSession.create({
        ...input,
        _id: sha256Hex(token),
        csrf_token: randomToken(),
        expires_at: new Date(now.getTime() + ttlMs),
      });
      return { token, session: created.toObject<WebSessionRecord>() };
    },

    /** The live session a cookie token names, or null (unknown, signed out or expired). */
    async findByToken(token: string, now: Date = new Date()): Promise<WebSessionRecord | null> {
      return WebSession.findOne({ _id: sha256Hex(token), expires_at: { $gt: now } })
        .lean<WebSessionRecord>()
        .exec();
    },

    async delete(token: string): Promise<void> {
      await WebSession.deleteOne({ _id: sha256Hex(token) }).exec();
    },
  };
}
