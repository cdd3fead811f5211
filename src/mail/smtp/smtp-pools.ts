// One pooled nodemailer transport per mailbox, created on first use and kept
// for the process's life (a changed route replaces its pool). The ONLY place
// that talks SMTP.
import nodemailer, {
  type Mail,
  type SMTPPoolOptions,
  type SMTPPoolSentMessageInfo,
} from 'nodemailer';
import { mailOptions } from './compose.ts';
import { RecipientsRejectedError } from './send-errors.ts';
import type { MailAuth } from '../imap/types.ts';
import type { OutboundMail, OutboundRoute, SendReceipt } from './types.ts';

type SmtpRoute = Extract<OutboundRoute, { kind: 'smtp' }>;
type Pool = Mail<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

// A server that does not accept a connection or greet within 10 s is down or
// overloaded: fail the attempt and let the backoff space the next one. 30 s of
// silence mid-transaction is RFC 5321's shortest command timeout territory.
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

export interface SmtpPools {
  send(route: SmtpRoute, mail: OutboundMail, signal?: AbortSignal): Promise<SendReceipt>;
  close(): void;
}

/** nodemailer logs in with XOAUTH2 given `type: 'OAuth2'` and a ready access token (it refreshes nothing). */
export function nodemailerAuth(auth: MailAuth) {
  return 'accessToken' in auth
    ? { type: 'OAuth2' as const, user: auth.user, accessToken: auth.accessToken }
    : { user: auth.user, pass: auth.pass };
}

export function createSmtpPools(): SmtpPools {
  const pools = new Map<string, { fingerprint: string; pool: Pool }>();

  function poolFor(route: SmtpRoute): Pool {
    // The password is part of the identity: a rotated secret gets a new pool.
    const fingerprint = JSON.stringify([
      route.host,
      route.port,
      route.secure,
      route.auth?.user,
      route.auth && ('pass' in route.auth ? route.auth.pass : route.auth.accessToken),
      route.requireTls,
      route.poolSize,
    ]);
    const existing = pools.get(route.key);
    if (existing?.fingerprint === fingerprint) return existing.pool;
    existing?.pool.close();
    const pool = nodemailer.createTransport({
      pool: true,
      host: route.host,
      port: route.port,
      secure: route.secure,
      ...(route.auth ? { auth: nodemailerAuth(route.auth) } : {}),
      ...(route.requireTls && !route.secure ? { requireTLS: true } : {}),
      maxConnections: route.poolSize,
      // The pool would otherwise resend a message on its own when a connection
      // drops mid-send (5 times by default): each attempt must be exactly one
      // SMTP transaction, counted and spaced by the delivery worker.
      maxRequeues: 0,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      logger: false,
    });
    pools.set(route.key, { fingerprint, pool });
    return pool;
  }

  return {
    async send(route, mail, signal) {
      const info = await poolFor(route).sendMail({
        ...mailOptions(mail),
        ...(signal ? { signal } : {}),
      });
      const accepted = (info.accepted ?? []).map(String);
      const rejected = (info.rejected ?? []).map(String);
      // nodemailer resolves when at least one recipient took the message; a
      // refused one is still a failed delivery to that person.
      if (rejected.length > 0) {
        throw new RecipientsRejectedError(rejected, accepted, info.rejectedErrors?.[0]);
      }
      return { response: info.response ?? '', accepted };
    },
    close() {
      for (const { pool } of pools.values()) pool.close();
      pools.clear();
    },
  };
}
