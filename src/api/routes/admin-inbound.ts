// What a support team's operator checks when mail seems stuck: each mailbox's
// watcher status (auth failures show here) and sync progress, and inbound
// messages whose ingest failed for good, with the reason (admin permission).
import type { FastifyInstance } from 'fastify';
import { type InboundFailureRecord, type MailboxRecord, type Store } from '../../store/index.ts';
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

export function adminInboundRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const admin = { preHandler: requirePermission('admin') };

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
