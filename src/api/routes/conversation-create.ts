// POST /v1/messaging/conversations: start a conversation from our side.
// - `group` + `internal`: a named team thread;
// - `direct_message`: a 1:1 thread between two users (no title, the seed's
//   clients derive one from the participants);
// - `group` + `customer`: a support case that opens with an email to a new
//   customer. The email is stored `scheduled` and handed to the normal
//   delivery path, so it gets its Message-ID, Reply-To token and retries like
//   any reply, and the customer's answer threads back into this case.
// The caller joins as owner when it acts as a user (an API key is no member).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { change, recordAudit } from '../../audit/recorder.ts';
import type { AuthorType } from '../../agents/rules/triggers.ts';
import { matchOwnAddress, ownAddressBook } from '../../conversations/own-address.ts';
import { normalizeSubject } from '../../mail/parse/index.ts';
import { redisPublisher } from '../../realtime/events.ts';
import { conversationPayload, emitWebhookEvent, webhookPublisher } from '../../webhooks/emit.ts';
import {
  AUDIENCES,
  PRIORITIES,
  type ConversationRecord,
  type MailboxRecord,
  type MessageRecord,
  type Store,
} from '../../store/index.ts';
import type { NewParticipant } from '../../store/repositories/conversations.ts';
import type { ParticipantSpec } from '../../store/repositories/participants.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import type { AgentApiDeps } from './agent-api-deps.ts';
import { includesOf, renderConversation } from './conversation-view.ts';
import { afterMessageStored } from './message-effects.ts';
import { participantBody, participantSpec } from './participants.ts';
import { describeRoute } from '../openapi/registry.ts';

const MAX_BODY = 100_000;
// The title of a customer case is its mail subject: the same bound as a reply's subject.
const MAX_TITLE = 500;
const MAX_MEMBERS = 50;
const MAX_NAME = 200;

const singleLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be blank')
    .max(max, `must be at most ${max} characters`)
    // A customer case's title becomes the Subject header: no header injection.
    .refine((value) => !/[\r\n]/.test(value), 'must not contain line breaks (CR or LF)');

const createBody = z
  .strictObject({
    type: z.enum(['group', 'direct_message']),
    audience: z.enum(AUDIENCES).default('internal'),
    title: singleLine(MAX_TITLE).nullable().optional(),
    priority: z.enum(PRIORITIES).optional(),
    participants: z
      .array(participantBody)
      .max(MAX_MEMBERS, `at most ${MAX_MEMBERS} participants`)
      .default([]),
    mailbox_id: z.string().min(1, 'must not be empty').max(200).optional(),
    customer: z
      .strictObject({
        address: z.email('must be an email address').max(254),
        name: singleLine(MAX_NAME).nullable().optional(),
      })
      .optional(),
    message: z
      .strictObject({
        body: z
          .string()
          .max(MAX_BODY, `must be at most ${MAX_BODY} characters`)
          .refine((value) => value.trim().length > 0, 'must not be blank'),
        scheduled_at: z.iso
          .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' })
          .nullable()
          .optional(),
      })
      .optional(),
  })
  .superRefine((body, ctx) => {
    const required = (field: keyof typeof body, why: string): void => {
      if (body[field] == null) ctx.addIssue({ code: 'custom', path: [field], message: why });
    };
    const stray = (field: keyof typeof body, why: string): void => {
      if (body[field] != null) ctx.addIssue({ code: 'custom', path: [field], message: why });
    };
    if (body.type === 'direct_message') {
      if (body.audience !== 'internal') {
        ctx.addIssue({
          code: 'custom',
          path: ['audience'],
          message: 'a direct message is between two users: audience must be "internal"',
        });
      }
      stray('title', 'a direct message has no title (clients derive one from the participants)');
    } else {
      required('title', 'required for a group conversation');
    }
    if (body.audience === 'customer') {
      required('mailbox_id', 'required for a customer case: the mailbox the email goes out from');
      required('customer', 'required for a customer case: whom the opening email goes to');
      required('message', 'required for a customer case: the opening email');
    } else {
      const why = 'only for a customer case (audience "customer")';
      stray('mailbox_id', why);
      stray('customer', why);
      stray('message', why);
    }
  });
type CreateBody = z.infer<typeof createBody>;

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations',
  permission: 'messaging:write',
  summary:
    'Create an internal group, a direct message, or a customer case that starts with an outbound email',
  body: createBody,
  query: ['include'],
  responses: { 201: 'The new conversation' },
});

export function conversationCreateRoutes(deps: AgentApiDeps) {
  const { store } = deps;
  const publisher = webhookPublisher(redisPublisher(deps.redis, deps.prefix), {
    store: deps.store,
  });
  return (v1: FastifyInstance): void => {
    v1.post(
      '/messaging/conversations',
      { preHandler: requirePermission('messaging:write') },
      async (request, reply) => {
        const { account_id, actor_id, user_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        const body = validate('body', createBody, request.body);

        const members = await memberSpecs(store, account_id, body, user_id);
        const mailbox =
          body.audience === 'customer' ? await sendingMailbox(store, account_id, body) : null;
        const conversation = await store.conversations.create({
          account_id,
          type: body.type,
          audience: body.audience,
          title: body.title ?? null,
          // Only customer cases have a triage lane (seed: "Only set for customer-audience conversations").
          workflow_status: mailbox ? 'open' : null,
          ...(body.priority ? { priority: body.priority } : {}),
          ...(mailbox ? caseFields(mailbox, body) : {}),
          participants: [
            ...(mailbox && body.customer ? [customerParticipant(body.customer)] : []),
            ...members,
            ...(mailbox ? await mailboxAgents(store, mailbox, members) : []),
          ],
        });
        await emitWebhookEvent(
          { store },
          account_id,
          'conversation.created',
          conversationPayload(conversation),
          `conversation.created:${conversation._id}`,
        );
        await recordAudit(store, request.log, {
          account_id,
          conversation_id: conversation._id,
          kind: 'conversation_created',
          actor_id,
          changes: [
            change('type', null, conversation.type),
            change('audience', null, conversation.audience),
            change('title', null, conversation.title),
          ],
        });

        if (mailbox && body.message) {
          const message = await openingEmail(store, conversation, body.message, actor_id);
          const actor = await store.actors.get(account_id, actor_id);
          const authorType: AuthorType = actor?.type ?? 'api_key';
          await afterMessageStored(
            deps,
            { message, conversation, authorType, replayed: false },
            request.log,
          );
        } else {
          // The account's live list hears of it (a customer case's email publishes this too).
          await publisher.publish({
            type: 'conversation.updated',
            conversation_id: conversation._id,
          });
        }
        const fresh = (await store.conversations.get(account_id, conversation._id)) ?? conversation;
        const json = await renderConversation(store, account_id, fresh, include, actor_id);
        return reply.code(201).send(json);
      },
    );
  };
}

/**
 * The members named in the body, checked like POST .../participants (errors
 * name their index), plus the caller as owner when it is a user.
 */
async function memberSpecs(
  store: Store,
  accountId: string,
  body: CreateBody,
  callerUserId: string | null,
): Promise<NewParticipant[]> {
  const specs: ParticipantSpec[] = [];
  for (const [index, member] of body.participants.entries()) {
    try {
      specs.push(await participantSpec(store, accountId, member));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(
        error.type,
        error.code,
        error.message.replace(/^body\./, `body.participants.${index}.`),
      );
    }
  }
  const unique = new Map<string, ParticipantSpec>();
  for (const spec of specs) unique.set(spec.actor_id, spec);
  if (callerUserId !== null) {
    unique.set(callerUserId, {
      type: 'user',
      actor_id: callerUserId,
      role: 'owner',
      agent_trigger_policy: null,
      agent_trigger_keywords: [],
    });
  }
  const all = [...unique.values()];
  if (body.type === 'direct_message') {
    const users = all.filter((spec) => spec.type === 'user');
    if (users.length !== 2 || all.length !== 2) {
      throw new ApiError(
        'unprocessable',
        'direct_message_members',
        `body.participants: a direct message is between exactly two users (the caller counts when it acts as a user); got ${users.length} user(s) and ${all.length - users.length} agent(s)`,
      );
    }
  }
  return all.map((spec) => ({ ...spec, membership: 'active', notifications: 'unmuted' }));
}

/** The account's mailbox the opening email goes out from (422 when it is none of its own). */
async function sendingMailbox(
  store: Store,
  accountId: string,
  body: CreateBody,
): Promise<MailboxRecord> {
  const key = body.mailbox_id ?? '';
  const mailbox = await store.mailboxes.getByKey(accountId, key);
  if (!mailbox) {
    throw new ApiError('unprocessable', 'invalid_mailbox', `body.mailbox_id: no mailbox "${key}"`);
  }
  const address = body.customer?.address ?? '';
  // Delivery refuses to mail our own mailboxes (it would come back in as a case).
  if (matchOwnAddress(address, ownAddressBook(await store.mailboxes.list(accountId)))) {
    throw new ApiError(
      'unprocessable',
      'own_address',
      `body.customer.address: ${address} is one of this account's own mailbox addresses, not a customer's`,
    );
  }
  return mailbox;
}

function caseFields(
  mailbox: MailboxRecord,
  body: CreateBody,
): Pick<ConversationRecord, 'mailbox_id'> & {
  email_thread: { root_message_id: null; subject_normalized: string | null };
} {
  // No root Message-ID: our opening email gets its own at delivery; the
  // customer's answer finds the case by In-Reply-To or the Reply-To token.
  const subject = normalizeSubject(body.title ?? '');
  return {
    mailbox_id: mailbox.key,
    email_thread: { root_message_id: null, subject_normalized: subject || null },
  };
}

// Lower-cased, as ingest stores a sender's address.
function customerParticipant(customer: NonNullable<CreateBody['customer']>): NewParticipant {
  return {
    type: 'customer',
    role: 'member',
    customer: { name: customer.name ?? null, address: customer.address.trim().toLowerCase() },
  };
}

/** The mailbox's active agents join its cases, as they do a case opened by inbound mail. */
async function mailboxAgents(
  store: Store,
  mailbox: MailboxRecord,
  members: readonly NewParticipant[],
): Promise<NewParticipant[]> {
  const named = new Set(members.map((m) => m.actor_id));
  const agents = await store.agents.getMany(mailbox.account_id, mailbox.agent_ids);
  return agents
    .filter((agent) => agent.status === 'active' && !named.has(agent._id))
    .map((agent) => ({
      type: 'agent',
      role: 'member',
      actor_id: agent._id,
      agent_trigger_policy: agent.trigger_policy,
      agent_trigger_keywords: agent.trigger_keywords,
    }));
}

/** The case's first message: an email to the customer, scheduled for delivery. */
async function openingEmail(
  store: Store,
  conversation: ConversationRecord,
  message: NonNullable<CreateBody['message']>,
  actorId: string,
): Promise<MessageRecord> {
  const now = new Date();
  const requested = message.scheduled_at ? new Date(message.scheduled_at) : now;
  // A time already past means "as soon as possible", as for any scheduled email.
  const scheduledAt = requested < now ? now : requested;
  return store.messages.insert({
    account_id: conversation.account_id,
    conversation_id: conversation._id,
    kind: 'chat',
    status: 'scheduled',
    visibility: 'external',
    channel: 'email',
    body: message.body,
    // The opening email's subject is the case's title as is: no "Re:".
    subject: conversation.title,
    sender_id: actorId,
    author_id: actorId,
    scheduled_at: scheduledAt,
    mailbox_id: conversation.mailbox_id,
    delivery: { attempts: 0, last_error: null, next_attempt_at: scheduledAt, sent_at: null },
  });
}
