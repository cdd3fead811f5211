// The realtime contract: what is published on Redis pub/sub for a
// conversation, and relayed as Server-Sent Events by the API. Publishers and
// the SSE endpoint share these types, so both sides change together.
import type { Redis } from 'ioredis';

export const REALTIME_EVENT_TYPES = [
  'message.created',
  'message.delta',
  'message.updated',
  'conversation.updated',
] as const;

interface MessageDelta {
  message_id: string;
  /** Character offset of `text` in the draft body; 0 with `reset` restarts the body. */
  offset: number;
  text: string;
  /** A retried stream starts the body again: subscribers drop what they had. */
  reset?: boolean;
}

export type RealtimeEvent =
  | { type: 'message.created'; conversation_id: string; message_id: string }
  | { type: 'message.delta'; conversation_id: string; delta: MessageDelta }
  | { type: 'message.updated'; conversation_id: string; message_id: string }
  | { type: 'conversation.updated'; conversation_id: string };

/** Each event on the wire: a monotonic id (ms timestamp + counter) for Last-Event-ID. */
export interface PublishedEvent {
  id: string;
  at: number;
  event: RealtimeEvent;
}

export function conversationChannel(prefix: string, conversationId: string): string {
  return `${prefix}:events:conversation:${conversationId}`;
}

/** Every conversation's channel under a prefix (for PSUBSCRIBE). */
export function allConversationsPattern(prefix: string): string {
  return `${prefix}:events:conversation:*`;
}

let counter = 0;

/** `<ms>-<n>`: sortable, and the time part tells a reconnecting client what it missed. */
export function nextEventId(now = Date.now()): string {
  counter = (counter + 1) % 1_000_000;
  return `${now}-${counter}`;
}

// Event ids carry the publishing host's clock: an id this far ahead of ours is
// skew between hosts, anything further is not an id we issued.
export const MAX_EVENT_ID_AHEAD_MS = 5 * 60_000;

export type LastEventId =
  | { kind: 'none' }
  /** Catch up on what changed since this time (ms), never later than now. */
  | { kind: 'since'; ms: number }
  | { kind: 'invalid'; reason: string };

/**
 * A client's Last-Event-ID. Only ids we issued are accepted: a malformed one, or
 * one whose time no Date can hold or that lies ahead of any plausible clock, is
 * `invalid` (the caller refuses it) rather than quietly read as something else.
 */
export function parseLastEventId(id: string | undefined, now = Date.now()): LastEventId {
  if (id === undefined || id.trim() === '') return { kind: 'none' };
  const match = /^(\d{1,16})-\d{1,7}$/.exec(id.trim());
  if (!match) return { kind: 'invalid', reason: 'is not an event id of this stream (<ms>-<n>)' };
  const ms = Number(match[1]);
  if (ms > now + MAX_EVENT_ID_AHEAD_MS) {
    return {
      kind: 'invalid',
      reason: 'names a time in the future: it is not an id of this stream',
    };
  }
  return { kind: 'since', ms: Math.min(ms, now) };
}

export interface Publisher {
  publish(event: RealtimeEvent): Promise<void>;
}

/**
 * Publish on Redis. Realtime is best effort: a lost event costs a client a
 * refresh, never data (MongoDB has the state), so failures are logged by the
 * connection and swallowed here rather than failing the draft.
 */
export function redisPublisher(redis: Redis, prefix: string): Publisher {
  return {
    async publish(event) {
      const now = Date.now();
      const payload: PublishedEvent = { id: nextEventId(now), at: now, event };
      await redis
        .publish(conversationChannel(prefix, event.conversation_id), JSON.stringify(payload))
        .catch(() => 0);
    },
  };
}
