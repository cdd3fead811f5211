import { Schema } from 'mongoose';
import type { Permission } from '../../config/bootstrap-schema.ts';
import { baseOptions, requiredString } from './common.ts';

/**
 * A signed-in browser session of the web app. The cookie carries a random
 * token; only its sha256 is the _id, so a leaked database holds no usable
 * session. The CSRF token is kept beside it (synchronizer pattern): a request
 * made with the cookie must also send it in a header, which another site
 * cannot read.
 */
export interface WebSessionRecord {
  _id: string;
  account_id: string;
  user_id: string;
  actor_id: string;
  /** What the user could do when signing in; a permission change applies at the next sign-in. */
  permissions: Permission[];
  name: string | null;
  email: string;
  csrf_token: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

export const webSessionSchema = new Schema<WebSessionRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    user_id: requiredString,
    actor_id: requiredString,
    permissions: { type: [String], default: [] },
    name: { type: String, default: null },
    email: requiredString,
    csrf_token: requiredString,
    expires_at: { type: Date, required: true },
  },
  baseOptions('web_sessions'),
);

// Expired sessions are removed by MongoDB's TTL monitor; lookups also check
// expires_at, since the monitor runs only once a minute.
webSessionSchema.index({ expires_at: 1 }, { expireAfterSeconds: 0 });
// Signing a user out everywhere (and keeping their list short).
webSessionSchema.index({ account_id: 1, user_id: 1 });
