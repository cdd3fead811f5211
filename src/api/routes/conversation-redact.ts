// POST /v1/messaging/conversations/{id}/actions/redact (GDPR erasure).
// Order matters for a crash halfway: the conversation is marked first (the
// legal-hold check is part of that atomic update), then the files go, then
// the messages are overwritten. A repeat (it is idempotent) finishes the job:
// files already gone are skipped, overwritten messages are overwritten again.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { includesOf, renderConversation } from './conversation-view.ts';

// GridFS ids are ObjectIds; anything else cannot name a stored file.
const GRIDFS_ID = /^[0-9a-f]{24}$/i;

export function conversationRedactRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    v1.post<{ Params: { id: string } }>(
      '/messaging/conversations/:id/actions/redact',
      { preHandler: requirePermission('messaging:delete') },
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        const conversationId = request.params.id;
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        validate('body', z.strictObject({}), request.body);

        const now = new Date();
        const mark = await store.conversations.markRedacted(account_id, conversationId, now);
        if (mark.outcome === 'not_found') throw notFound('conversation', conversationId);
        if (mark.outcome === 'legal_hold') {
          throw new ApiError(
            'conflict',
            'legal_hold',
            `conversation "${conversationId}" is under legal hold: release the hold before redacting`,
          );
        }
        const plan = await store.messageRedaction.plan(account_id, conversationId);
        // Files before the references to them: if we stop in between, the
        // next attempt still finds the ids of what is left to delete.
        for (const fileId of plan.file_ids) {
          if (GRIDFS_ID.test(fileId)) await store.files.remove(fileId);
        }
        const rewritten = await store.messageRedaction.apply(
          account_id,
          conversationId,
          plan.message_ids,
          now,
        );
        request.log.info(
          { conversation: conversationId, messages: rewritten, files: plan.file_ids.length },
          'conversation redacted',
        );
        return renderConversation(store, account_id, mark.conversation, include, actor_id);
      },
    );
  };
}
