// What a support team's operator checks when mail seems stuck: each mailbox's
// watcher status (auth failures show here) and sync progress, and inbound
// messages whose ingest failed for good, with the reason (admin permission).
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { announceCredentialsChanged } from '../../credentials/changes.ts';
import type { MailboxCredentials } from '../../credentials/mailbox-credentials.ts';
import type { Logger } from '../../platform/logger.ts';
import { type InboundFailureRecord, type MailboxRecord, type Store } from '../../store/index.ts';
import { ApiError, notFound } from '../errors.ts';
import { validate } from '../validate.ts';
import { isoDate, list } from '../serialize/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { describeRoute } from '../openapi/registry.ts';

function renderMailbox(mailbox: MailboxRecord) {
  return {
    id: mailbox.key,
    object: 'mailbox',
    address: mailbox.address,
    aliases: mailbox.aliases ?? [],
    display_name: mailbox.display_name,
    kind: mailbox.kind,
    outbound: mailbox.outbound.kind,
    sync: {
      status: mailbox.sync.status,
      last_error: mailbox.sync.last_error,
      uidvalidity: mailbox.sync.uidvalidity,
      last_uid: mailbox.sync.last_uid,
      last_sync_at: isoDate(mailbox.sync.last_sync_at),
    },
    // The login circuit breaker: open after refused logins, retried at retry_at.
    breaker: {
      state: mailbox.sync.breaker ?? 'closed',
      auth_failures: mailbox.sync.auth_failures ?? 0,
      retry_at: isoDate(mailbox.sync.retry_at ?? null),
    },
    created_at: isoDate(mailbox.created_at),
    updated_at: isoDate(mailbox.updated_at),
  };
}

function renderFailure(failure: InboundFailureRecord) {
  return {
    id: failure._id,
    object: 'inbound_failure',
    mailbox_id: failure.mailbox_id,
    job_id: failure.job_id,
    /** `failed`: the ingest gave up; `quarantined`: set aside on purpose (see reason). */
    kind: failure.kind ?? 'failed',
    message_id: failure.message_id ?? null,
    source: failure.source,
    raw_source_id: failure.raw_source_id,
    reason: failure.reason,
    attempts: failure.attempts,
    failed_at: isoDate(failure.failed_at),
  };
}

describeRoute({
  method: 'GET',
  path: '/v1/admin/mailboxes',
  permission: 'admin',
  summary: "The account's mailboxes and their inbound state",
  responses: { 200: 'The mailboxes' },
});
describeRoute({
  method: 'GET',
  path: '/v1/admin/inbound-failures',
  permission: 'admin',
  summary: 'Inbound mail that could not be ingested',
  responses: { 200: 'The failures' },
});

// A secret on one line: IMAP and SMTP put it into a command (CR/LF would end it).
const oneLine = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\r\n\0]+$/, 'must be one line');

const patchMailboxBody = z
  .object({
    imap: z
      .object({ password: oneLine(1024) })
      .strict()
      .optional(),
    smtp: z
      .object({ password: oneLine(1024) })
      .strict()
      .optional(),
    oauth2: z
      .object({
        refresh_token: oneLine(8192).regex(/^\S+$/, 'must not contain spaces'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((body) => body.imap || body.smtp || body.oauth2, {
    message: 'give new credentials: "imap.password", "smtp.password" or "oauth2.refresh_token"',
  });

describeRoute({
  method: 'PATCH',
  path: '/v1/admin/mailboxes/:id',
  permission: 'admin',
  summary:
    'New credentials for a mailbox (password or OAuth2 refresh token): it reconnects with them',
  body: patchMailboxBody,
  responses: {
    200: 'The mailbox',
    400: 'Invalid credentials for this mailbox',
    404: 'No such mailbox',
  },
});

export interface AdminInboundDeps {
  credentials: MailboxCredentials;
  redis: Redis;
  prefix: string;
  logger: Logger;
}

export function adminInboundRoutes(store: Store, deps: AdminInboundDeps) {
  return (v1: FastifyInstance): void => {
    const admin = { preHandler: requirePermission('admin') };

    v1.patch<{ Params: { id: string } }>('/admin/mailboxes/:id', admin, async (request) => {
      const { account_id } = principalOf(request);
      const body = validate('body', patchMailboxBody, request.body);
      // Account-scoped: another account's mailbox of the same id is not this one.
      const mailbox = await store.mailboxes.getByKey(account_id, request.params.id);
      if (!mailbox) throw notFound('mailbox', request.params.id);
      const { credentials } = deps;
      const refuse = (field: string, why: string) =>
        new ApiError('invalid_request', 'invalid_parameter', `body.${field}: ${why}`);
      // Checked before anything is saved: a half-applied PATCH would be worse than none.
      for (const channel of ['imap', 'smtp'] as const) {
        if (!body[channel]) continue;
        const present = channel === 'imap' ? mailbox.imap : mailbox.outbound.smtp;
        if (!present || !credentials.hasPassword(mailbox, channel)) {
          throw refuse(
            `${channel}.password`,
            `mailbox "${mailbox.key}" does not log in to ${channel.toUpperCase()} with a password`,
          );
        }
      }
      if (
        body.oauth2 &&
        !credentials.usesOAuth(mailbox, 'imap') &&
        !credentials.usesOAuth(mailbox, 'smtp')
      ) {
        throw refuse(
          'oauth2.refresh_token',
          `mailbox "${mailbox.key}" does not log in with OAuth2`,
        );
      }
      if (body.imap) await credentials.setPassword(mailbox, 'imap', body.imap.password);
      if (body.smtp) await credentials.setPassword(mailbox, 'smtp', body.smtp.password);
      if (body.oauth2) await credentials.setRefreshToken(mailbox, body.oauth2.refresh_token);
      await announceCredentialsChanged(deps.redis, deps.prefix, mailbox._id);
      deps.logger.info(
        { mailbox: `${account_id}/${mailbox.key}`, changed: Object.keys(body) },
        'mailbox credentials replaced through the API',
      );
      const updated = await store.mailboxes.getByKey(account_id, mailbox.key);
      return renderMailbox(updated ?? mailbox);
    });

    v1.get('/admin/mailboxes', admin, async (request) => {
      const { account_id } = principalOf(request);
      return list((await store.mailboxes.list(account_id)).map(renderMailbox));
    });

    v1.get('/admin/inbound-failures', admin, async (request) => {
      const { account_id } = principalOf(request);
      return list((await store.inbound.listFailures(account_id)).map(renderFailure));
    });
  };
}
