// The account's mailboxes as the people working cases see them: which
// addresses mail arrives at, for the inbox's mailbox filter. Only names and
// addresses: sync state and outbound settings stay behind the admin permission.
import type { FastifyInstance } from 'fastify';
import { type MailboxRecord, type Store } from '../../store/index.ts';
import { list } from '../serialize/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { describeRoute } from '../openapi/registry.ts';

function renderMailboxSummary(mailbox: MailboxRecord) {
  return {
    id: mailbox.key,
    object: 'mailbox',
    address: mailbox.address,
    display_name: mailbox.display_name,
  };
}

describeRoute({
  method: 'GET',
  path: '/v1/messaging/mailboxes',
  permission: 'messaging:read',
  summary: "The account's mailboxes (id, address, display name)",
  responses: { 200: 'The mailboxes' },
});

export function mailboxReadRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const read = { preHandler: requirePermission('messaging:read') };
    v1.get('/messaging/mailboxes', read, async (request) => {
      const { account_id } = principalOf(request);
      return list((await store.mailboxes.list(account_id)).map(renderMailboxSummary));
    });
  };
}
