// One Redis pub/sub subscriber per API process, fanned out to the SSE clients
// of each conversation: the channel is subscribed when its first client
// connects and unsubscribed when its last one leaves, so Redis carries each
// event to this process once however many clients watch the conversation.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '../../platform/logger.ts';
import { REALTIME_EVENT_TYPES, type PublishedEvent } from '../../realtime/events.ts';

export type EventListener = (event: PublishedEvent) => void;

export interface Subscription {
  /** Settles once Redis confirmed the subscription (rejects if it could not). */
  ready: Promise<void>;
  unsubscribe(): void;
}

interface Channel {
  listeners: Set<EventListener>;
  ready: Promise<void>;
}

// Frames rendered for one event are shared by the clients of a conversation,
// so N clients cost one message read, not N. Bounded: events are relayed
// within moments of arriving, so only the latest few are ever asked again.
const MAX_SHARED_RENDERS = 256;

export class RealtimeHub {
  private subscriber: Redis | null = null;
  private readonly channels = new Map<string, Channel>();
  /** PSUBSCRIBE patterns (the account-wide stream listens to every conversation). */
  private readonly patterns = new Map<string, Channel>();
  private readonly renders = new Map<string, Promise<unknown>>();
  private readonly closers = new Set<() => void>();

  constructor(
    private readonly connect: () => Redis,
    private readonly logger: Logger,
  ) {}

  /**
   * Listen to a channel. The listener is registered before this returns, so
   * an event published after `ready` settles is never missed.
   */
  subscribe(channel: string, listener: EventListener): Subscription {
    return this.join(this.channels, channel, listener, {
      start: (redis) => redis.subscribe(channel),
      stop: (redis) => redis.unsubscribe(channel),
    });
  }

  /** Listen to every channel matching a Redis glob pattern, as subscribe() does to one. */
  subscribePattern(pattern: string, listener: EventListener): Subscription {
    return this.join(this.patterns, pattern, listener, {
      start: (redis) => redis.psubscribe(pattern),
      stop: (redis) => redis.punsubscribe(pattern),
    });
  }

  /** One listener joins a channel or pattern, subscribing on its first listener. */
  private join(
    entries: Map<string, Channel>,
    key: string,
    listener: EventListener,
    redis: { start(r: Redis): Promise<unknown>; stop(r: Redis): Promise<unknown> },
  ): Subscription {
    let entry = entries.get(key);
    if (!entry) {
      const created: Channel = {
        listeners: new Set(),
        ready: redis.start(this.client()).then(() => undefined),
      };
      // A failed SUBSCRIBE must not stick: the next client tries again.
      created.ready.catch(() => {
        if (entries.get(key) === created) entries.delete(key);
      });
      entries.set(key, created);
      entry = created;
    }
    const joined = entry;
    joined.listeners.add(listener);
    const leave = (): void => {
      if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
      if (entries.get(key) !== joined) return;
      entries.delete(key);
      // Commands on one connection run in order, so a client arriving now
      // re-subscribes after this UNSUBSCRIBE and keeps its channel.
      const subscriber = this.subscriber;
      if (!subscriber) return;
      redis.stop(subscriber).catch((error: unknown) => {
        this.logger.warn({ err: error, channel: key }, 'realtime unsubscribe failed');
      });
    };
    return { ready: joined.ready, unsubscribe: leave };
  }

  /** The result of `render` for a key, computed once for every client asking. */
  shared<T>(key: string, render: () => Promise<T>): Promise<T> {
    const known = this.renders.get(key) as Promise<T> | undefined;
    if (known) return known;
    const made = render();
    this.renders.set(key, made);
    // A failure is not cached: the next client (or reconnect) tries again.
    made.catch(() => this.renders.delete(key));
    if (this.renders.size > MAX_SHARED_RENDERS) {
      const oldest = this.renders.keys().next().value;
      if (oldest !== undefined) this.renders.delete(oldest);
    }
    return made;
  }

  /** Register a stream to end when the server closes; returns the unregister function. */
  track(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  /** End every open stream (before the HTTP server waits for its connections). */
  endStreams(): void {
    for (const close of [...this.closers]) close();
  }

  async close(): Promise<void> {
    this.endStreams();
    const subscriber = this.subscriber;
    this.subscriber = null;
    this.channels.clear();
    this.patterns.clear();
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /** Channels with listeners in this process (for tests and metrics). */
  get channelCount(): number {
    return this.channels.size;
  }

  private client(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.connect();
    const deliver = (entry: Channel | undefined, channel: string, payload: string): void => {
      if (!entry) return;
      const event = parseEvent(payload);
      if (!event) {
        this.logger.warn({ channel }, 'ignoring a malformed realtime event');
        return;
      }
      for (const listener of [...entry.listeners]) listener(event);
    };
    subscriber.on('message', (channel: string, payload: string) =>
      deliver(this.channels.get(channel), channel, payload),
    );
    subscriber.on('pmessage', (pattern: string, channel: string, payload: string) =>
      deliver(this.patterns.get(pattern), channel, payload),
    );
    this.subscriber = subscriber;
    return subscriber;
  }
}

function parseEvent(payload: string): PublishedEvent | null {
  try {
    const value = JSON.parse(payload) as Partial<PublishedEvent> | null;
    const type = value?.event?.type;
    if (typeof value?.id !== 'string' || !type) return null;
    return (REALTIME_EVENT_TYPES as readonly string[]).includes(type)
      ? (value as PublishedEvent)
      : null;
  } catch {
    return null;
  }
}

const HUBS = new WeakMap<object, RealtimeHub>();

/**
 * The app's one hub, shared by every stream route registered on it (the
 * account's and each conversation's), created with its subscriber on first
 * use. Open streams would keep the server's close waiting: they end first.
 */
export function realtimeHubOf(
  v1: FastifyInstance,
  connect: () => Redis,
  logger: Logger,
): RealtimeHub {
  const existing = HUBS.get(v1);
  if (existing) return existing;
  const hub = new RealtimeHub(connect, logger);
  HUBS.set(v1, hub);
  v1.addHook('preClose', async () => hub.endStreams());
  v1.addHook('onClose', async () => hub.close());
  return hub;
}
