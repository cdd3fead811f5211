// Conversations in the seed shape with what include[] asks for loaded in
// bulk: one actors.getMany call per response, whatever the page size.
import type { FastifyRequest } from 'fastify';
import { type ConversationRecord, type MessageRecord, type Store } from '../../store/index.ts';
import {
  CONVERSATION_INCLUDES,
  serializeConversation,
  type ConversationInclude,
  type ConversationJson,
} from '../serialize/index.ts';
import { notFound } from '../errors.ts';
import { enumListParam, queryOf } from '../query.ts';

export type Includes = ReadonlySet<ConversationInclude>;

/** include[] (or include=a,b) of the request; an unknown value is a 400. */
export function includesOf(request: FastifyRequest): Includes {
  return new Set(enumListParam(queryOf(request), 'include', CONVERSATION_INCLUDES));
}

export async function renderConversations(
  store: Store,
  accountId: string,
  conversations: readonly ConversationRecord[],
  include: Includes,
  /** The caller's actor: `unread` is theirs. */
  readerId?: string,
): Promise<ConversationJson[]> {
  const actorIds: Array<string | null> = [];
  for (const conversation of conversations) {
    if (include.has('assignee')) actorIds.push(conversation.assignee_id);
    if (include.has('participants')) {
      for (const participant of conversation.participants) actorIds.push(participant.actor_id);
    }
  }
  const [actors, lastMessages, unread] = await Promise.all([
    store.actors.getMany(accountId, actorIds),
    include.has('last_message') ? loadLastMessages(store, accountId, conversations) : undefined,
    readerId === undefined
      ? undefined
      : store.readMarkers.unreadCounts(accountId, readerId, conversations),
  ]);
  return conversations.map((conversation) =>
    serializeConversation(conversation, {
      include,
      actors,
      ...(unread ? { unread: unread.get(conversation._id) ?? 0 } : {}),
      ...(readerId === undefined ? {} : { readerId }),
      lastMessage: conversation.last_message_id
        ? (lastMessages?.get(conversation.last_message_id) ?? null)
        : null,
    }),
  );
}

export async function renderConversation(
  store: Store,
  accountId: string,
  conversation: ConversationRecord,
  include: Includes,
  readerId?: string,
): Promise<ConversationJson> {
  const [json] = await renderConversations(store, accountId, [conversation], include, readerId);
  // One record in, one out: the fallback only satisfies the type checker.
  return json ?? serializeConversation(conversation);
}

/** The conversation of the caller's account, or 404 (another account's id is "not found" too). */
export async function conversationOr404(
  store: Store,
  accountId: string,
  conversationId: string,
): Promise<ConversationRecord> {
  const conversation = await store.conversations.get(accountId, conversationId);
  if (!conversation) throw notFound('conversation', conversationId);
  return conversation;
}

// The store has no bulk message read; a page holds at most 100 conversations,
// and last_message is an opt-in expansion.
async function loadLastMessages(
  store: Store,
  accountId: string,
  conversations: readonly ConversationRecord[],
): Promise<Map<string, MessageRecord>> {
  const ids = conversations.map((c) => c.last_message_id).filter((id): id is string => !!id);
  const found = await Promise.all(ids.map((id) => store.messages.get(accountId, id)));
  return new Map(found.filter((m): m is MessageRecord => m !== null).map((m) => [m._id, m]));
}
