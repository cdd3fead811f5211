// POST /v1/messaging/conversations/{id}/messages: a teammate's (or an
// integration's) message, posted with the caller's API key as author.
// - internal (a team note) and external chat: stored `sent` with the next
//   sequence; they are in the timeline at once and wake agents;
// - external email: stored `scheduled` without a sequence, for delivery.
// A repeated client_message_id answers 200 with the message stored first.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { replySubject } from '../../mail/reply-subject.ts';
import type { AuthorType } from '../../agents/rules/triggers.ts';
import {
  CHANNELS,
  UNIQUE_INDEX,
  isDuplicateKeyError,
  type ConversationRecord,
  type MessageRecord,
  type NewMessage,
} from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import type { AgentApiDeps } from './agent-api-deps.ts';
import { conversationOr404 } from './conversation-view.ts';
import { afterMessageStored } from './message-effects.ts';
import { messageIncludesOf, renderMessages } from './messages.ts';
import { describeRoute } from '../openapi/registry.ts';

const MAX_BODY = 100_000;
// Subjects become a mail header; 500 is far beyond any real one and well
// under the 998-character header line limit of RFC 5322.
const MAX_SUBJECT = 500;
const MAX_CLIENT_ID = 255;

const createBody = z.strictObject({
  body: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_BODY, `must be at most ${MAX_BODY} characters`)
    .refine((value) => value.trim().length > 0, 'must not be blank'),
  visibility: z.enum(['internal', 'external']),
  channel: z.enum(CHANNELS),
  subject: z
    .string()
    .max(MAX_SUBJECT, `must be at most ${MAX_SUBJECT} characters`)
    // A line break in a header would let the text inject headers of its own.
    .refine((value) => !/[\r\n]/.test(value), 'must not contain line breaks (CR or LF)')
    .nullable()
    .optional(),
  scheduled_at: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' })
    .nullable()
    .optional(),
  client_message_id: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_CLIENT_ID, `must be at most ${MAX_CLIENT_ID} characters`)
    .optional(),
});
type CreateBody = z.infer<typeof createBody>;

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/messages',
  permission: 'messaging:write',
  summary: 'Post a message (a note, a reply draft, an outbound email)',
  body: createBody,
  query: [],
  responses: {
    201: 'The created message',
    200: 'The message of a replayed Idempotency-Key or an existing client id',
  },
});

export function messageCreateRoutes(deps: AgentApiDeps) {
  const { store } = deps;
  return (v1: FastifyInstance): void => {
    v1.post<{ Params: { id: string } }>(
      '/messaging/conversations/:id/messages',
      { preHandler: requirePermission('messaging:write') },
      async (request, reply) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = messageIncludesOf(request);
        const body = validate('body', createBody, request.body);
        const conversation = await conversationOr404(store, account_id, request.params.id);
        checkSemantics(body, conversation);

        if (body.client_message_id !== undefined) {
          const existing = await store.messageLookups.findByClientMessageId(
            account_id,
            conversation._id,
            body.client_message_id,
          );
          if (existing) return replay(deps, request, reply, conversation, existing);
        }

        const actor = await store.actors.get(account_id, actor_id);
        // The key's own actor always exists (bootstrap writes it); an API key it is, otherwise.
        const authorType: AuthorType = actor?.type ?? 'api_key';
        let message: MessageRecord;
        try {
          message = await storeMessage(deps, body, conversation, actor_id);
        } catch (error) {
          if (body.client_message_id === undefined) throw error;
          if (!isDuplicateKeyError(error, UNIQUE_INDEX.messageClientId)) throw error;
          // A concurrent retry stored it first.
          const winner = await store.messageLookups.findByClientMessageId(
            account_id,
            conversation._id,
            body.client_message_id,
          );
          if (!winner) throw error;
          return replay(deps, request, reply, conversation, winner);
        }
        await afterMessageStored(
          deps,
          { message, conversation, authorType, replayed: false },
          request.log,
        );
        const [json] = await renderMessages(store, account_id, [message], include);
        return reply.code(201).send(json);
      },
    );
  };
}

/** Combinations that are well-formed but cannot be carried out (422). */
function checkSemantics(body: CreateBody, conversation: ConversationRecord): void {
  const email = body.channel === 'email';
  if (email && body.visibility === 'internal') {
    throw new ApiError(
      'unprocessable',
      'internal_email',
      'an internal note stays in the conversation: send it with channel "message"',
    );
  }
  if (!email && (body.subject != null || body.scheduled_at != null)) {
    const field = body.subject != null ? 'subject' : 'scheduled_at';
    throw new ApiError(
      'unprocessable',
      'not_an_email',
      `body.${field}: only email messages (channel "email") have a ${field.replace('_', ' ')}`,
    );
  }
  if (email && !conversation.mailbox_id) {
    throw new ApiError(
      'unprocessable',
      'no_mailbox',
      `conversation "${conversation._id}" is not bridged to a mailbox: it cannot send email`,
    );
  }
}

async function storeMessage(
  { store }: AgentApiDeps,
  body: CreateBody,
  conversation: ConversationRecord,
  actorId: string,
): Promise<MessageRecord> {
  const base: NewMessage = {
    account_id: conversation.account_id,
    conversation_id: conversation._id,
    kind: 'chat',
    visibility: body.visibility,
    channel: body.channel,
    body: body.body,
    sender_id: actorId,
    author_id: actorId,
    ...(body.client_message_id === undefined ? {} : { client_message_id: body.client_message_id }),
  };
  if (body.channel === 'message') return store.messages.appendSent(base);

  const now = new Date();
  const requested = body.scheduled_at ? new Date(body.scheduled_at) : now;
  // A time already past means "as soon as possible", not an error.
  const scheduledAt = requested < now ? now : requested;
  return store.messages.insert({
    ...base,
    status: 'scheduled',
    subject: body.subject?.trim() || replySubject(conversation.title),
    scheduled_at: scheduledAt,
    mailbox_id: conversation.mailbox_id,
    delivery: { attempts: 0, last_error: null, next_attempt_at: scheduledAt, sent_at: null },
  });
}

/** The message a client posted before: 200, and its follow-ups redone (each is idempotent). */
async function replay(
  deps: AgentApiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  conversation: ConversationRecord,
  message: MessageRecord,
): Promise<FastifyReply> {
  const { store } = deps;
  const author = message.author_id
    ? await store.actors.get(message.account_id, message.author_id)
    : null;
  await afterMessageStored(
    deps,
    { message, conversation, authorType: author?.type ?? 'api_key', replayed: true },
    request.log,
  );
  const [json] = await renderMessages(
    store,
    message.account_id,
    [message],
    messageIncludesOf(request),
  );
  return reply.code(200).send(json);
}
