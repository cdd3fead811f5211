// One reconcile pass by UID: everything above the stored last_uid is fetched in
// bounded batches and handed to the sink in UID order; the stored state moves
// only after the sink accepted a message, so a crash or a failing sink means
// the message is handed over again (the ingest dedupes by Message-ID), never lost.
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import type { Logger } from '../../platform/logger.ts';
import { chunk, groupBySize, pendingUids, uidSet } from './fetch-plan.ts';
import { SinkError } from './imap-errors.ts';
import type { WatcherSink } from './types.ts';

export interface SyncPassOptions {
  client: ImapFlow;
  sink: WatcherSink;
  log: Logger;
  markSeen: boolean;
  batchSize: number;
  batchBytes: number;
  maxMessageBytes: number | undefined;
  /** Syncing from UID 1: mail that arrived before this day is left alone (undefined: all). */
  historySince: Date | undefined;
  /** True once the watcher is stopping: no new message is started then. */
  stopping(): boolean;
  /** True once stop() stopped waiting for this pass: not even the state is saved any more. */
  abandoned(): boolean;
}

export interface SyncPassResult {
  uidvalidity: string;
  lastUid: number;
  delivered: number;
  skipped: number;
  /** Older than the history window on a sync from the start: left on the server. */
  skippedHistory: number;
}

async function callSink<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new SinkError(operation, error);
  }
}

function toDate(value: Date | string | undefined): Date | null {
  if (value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function byUid(a: FetchMessageObject, b: FetchMessageObject): number {
  return a.uid - b.uid;
}

export async function runSyncPass(options: SyncPassOptions): Promise<SyncPassResult> {
  const { client, sink, log } = options;
  const mailbox = client.mailbox;
  if (!mailbox) throw new Error('the folder is not selected');
  // 32-bit on the wire, a BigInt in imapflow: a decimal string survives JSON and MongoDB.
  const uidvalidity = mailbox.uidValidity.toString();

  const stored = await callSink('loadSyncState', () => sink.loadSyncState());
  let lastUid = stored.last_uid;
  // First sync of the folder, or its UIDs renumbered: the history window applies to this
  // pass only. Later arrivals are all taken, even one with an old date (mail moved in).
  const fromScratch = stored.uidvalidity !== uidvalidity;
  if (fromScratch) {
    if (stored.uidvalidity !== null) {
      // The server renumbered the folder (recreated, restored, migrated): stored UIDs
      // mean nothing now. Everything is handed over again; the ingest dedupes.
      log.warn(
        { stored_uidvalidity: stored.uidvalidity, uidvalidity, stored_last_uid: stored.last_uid },
        'UIDVALIDITY changed: resyncing the folder from UID 1',
      );
    }
    lastUid = 0;
    // Recorded at once, so an empty folder does not warn again on every pass.
    await callSink('saveSyncState', () => sink.saveSyncState({ uidvalidity, last_uid: 0 }));
  }

  const found = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true });
  if (!Array.isArray(found)) throw new Error('the server refused UID SEARCH');
  let uids = pendingUids(found, lastUid);
  const result: SyncPassResult = {
    uidvalidity,
    lastUid,
    delivered: 0,
    skipped: 0,
    skippedHistory: 0,
  };
  if (uids.length === 0) return result;

  // The highest UID left alone as history: the state moves past it once the pass is done.
  let historyEnd = 0;
  if (fromScratch && options.historySince) {
    const recent = await client.search({ since: options.historySince }, { uid: true });
    if (!Array.isArray(recent)) throw new Error('the server refused SEARCH SINCE');
    const keep = new Set(recent);
    const old = uids.filter((uid) => !keep.has(uid));
    if (old.length > 0) {
      uids = uids.filter((uid) => keep.has(uid));
      // Ascending, like uids (and a spread of 100,000 arguments would overflow the stack).
      historyEnd = old[old.length - 1] ?? 0;
      result.skippedHistory = old.length;
      // The old mail before the first recent message, passed at once: a pass cut short (a
      // restart during a first sync) must not hand the history over on the next one.
      const firstKept = uids[0] ?? Number.POSITIVE_INFINITY;
      let prefixEnd = 0;
      for (const uid of old) if (uid < firstKept) prefixEnd = uid;
      if (prefixEnd > 0) {
        await callSink('saveSyncState', () =>
          sink.saveSyncState({ uidvalidity, last_uid: prefixEnd }),
        );
        result.lastUid = prefixEnd;
      }
      log.info(
        { count: old.length, since: options.historySince.toISOString().slice(0, 10) },
        'syncing the folder from the start: older mail is left on the server (history_days)',
      );
    }
  }
  await handOverAll(options, result, uids);
  if (historyEnd > result.lastUid && !options.stopping() && !options.abandoned()) {
    await callSink('saveSyncState', () =>
      sink.saveSyncState({ uidvalidity, last_uid: historyEnd }),
    );
    result.lastUid = historyEnd;
  }
  return result;
}

/** Hands the messages of `uids` over in UID order, batch by batch; skips those too large. */
async function handOverAll(
  options: SyncPassOptions,
  result: SyncPassResult,
  uids: readonly number[],
): Promise<void> {
  const { client, sink, log } = options;
  const { uidvalidity } = result;
  const lastUid = result.lastUid;
  if (uids.length === 0) return;
  log.debug({ count: uids.length, from_uid: uids[0] }, 'new messages to hand over');

  for (const batch of chunk(uids, options.batchSize)) {
    // Sizes first (a few bytes each), so sources are fetched in groups of bounded bytes.
    const sized = (await client.fetchAll(uidSet(batch), { uid: true, size: true }, { uid: true }))
      .filter((message) => message.uid > lastUid)
      .sort(byUid)
      .map((message) => ({ uid: message.uid, size: message.size ?? 0 }));

    const wanted: typeof sized = [];
    for (const message of sized) {
      if (options.maxMessageBytes === undefined || message.size <= options.maxMessageBytes) {
        wanted.push(message);
        continue;
      }
      // Flush what comes before it first, so the state never jumps over a pending UID.
      await handOverGroup(options, result, wanted.splice(0));
      if (options.stopping()) return;
      log.error(
        { uid: message.uid, size: message.size, max_message_bytes: options.maxMessageBytes },
        'message larger than maxMessageBytes: not fetched, skipped',
      );
      const skipped = {
        uidvalidity,
        uid: message.uid,
        size: message.size,
        reason: 'too_large' as const,
      };
      const report = sink.skipped?.bind(sink);
      if (report) await callSink('skipped', () => report(skipped));
      await callSink('saveSyncState', () =>
        sink.saveSyncState({ uidvalidity, last_uid: message.uid }),
      );
      result.lastUid = message.uid;
      result.skipped += 1;
    }
    await handOverGroup(options, result, wanted);
    if (options.stopping()) return;
  }
}

/** Fetches the sources of `messages` (in UID order) group by group and hands each over. */
async function handOverGroup(
  options: SyncPassOptions,
  result: SyncPassResult,
  messages: Array<{ uid: number; size: number }>,
): Promise<void> {
  const { client, sink, log } = options;
  for (const group of groupBySize(messages, options.batchBytes)) {
    if (options.stopping()) return;
    const fetched = (
      await client.fetchAll(
        uidSet(group.map((message) => message.uid)),
        { uid: true, source: true, internalDate: true, size: true },
        { uid: true },
      )
    ).sort(byUid);
    for (const message of fetched) {
      if (options.stopping()) return;
      if (message.uid <= result.lastUid) continue;
      const source = message.source;
      if (!source) throw new Error(`the server returned no source for UID ${message.uid}`);
      await callSink('deliver', () =>
        sink.deliver({
          uidvalidity: result.uidvalidity,
          uid: message.uid,
          source,
          size: message.size ?? source.length,
          internal_date: toDate(message.internalDate),
        }),
      );
      if (options.abandoned()) return;
      if (options.markSeen) {
        const marked = await client.messageFlagsAdd(String(message.uid), ['\\Seen'], { uid: true });
        if (!marked) log.warn({ uid: message.uid }, 'the server did not set \\Seen');
      }
      await callSink('saveSyncState', () =>
        sink.saveSyncState({ uidvalidity: result.uidvalidity, last_uid: message.uid }),
      );
      result.lastUid = message.uid;
      result.delivered += 1;
      log.debug({ uid: message.uid, size: message.size }, 'message handed over');
    }
    // Messages expunged between SEARCH and FETCH are simply not in `fetched`.
  }
}
