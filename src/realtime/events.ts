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
export type RealtimeEventType = (typeof REALTIME_EVENT_TYPES)[number];

export interface MessageDelta {
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

let counter = 0;

/** `<ms>-<n>`: sortable, and the time part tells a reconnecting client what it missed. */
export function nextEventId(now = Date.now()): string {
  counter = (counter + 1) % 1_000_000;
  return `${now}-${counter}`;
}

/** The time part of an event id (for Last-Event-ID), or null when it is not one of ours. */
export function eventTime(id: string | undefined): number | null {
  const match = id ? /^(\d{10,16})-\d+$/.exec(id) : null;
  return match ? Number(match[1]) : null;
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
