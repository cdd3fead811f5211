// The ranked knowledge of each account, in this process's memory: MiniSearch
// (BM25+) over the passages of the account's documents in the store. Built on
// first use and rebuilt when the account's revision in the store moved (any
// process's upload, delete, folder change, redaction or copied reply), so
// every process answers from the same documents without sharing memory.
import MiniSearch from 'minisearch';
import type { Store } from '../store/index.ts';
import { chunkDocument, type Passage } from './chunk.ts';
import { normalizeTerm } from './terms.ts';

export interface PassageHit extends Passage {
  score: number;
}

interface KnowledgeQuery {
  /** What the customer asked last: weighs most. */
  text: string;
  /** The rest of the thread (subject, earlier messages): weighs half. */
  thread?: string;
}

export interface KnowledgeIndex {
  search(accountId: string, query: KnowledgeQuery, limit?: number): Promise<PassageHit[]>;
}

interface KnowledgeIndexOptions {
  /** Whether an account's approved replies are part of its knowledge (default: yes). */
  pastReplies(accountId: string): boolean;
}

interface AccountIndex {
  revision: number;
  search: MiniSearch<Passage>;
  passages: Map<string, Passage>;
}

// Longer queries (a whole mail) cost more than they add: the first words of a
// mail say what it is about.
const MAX_QUERY_CHARS = 2_000;
const THREAD_WEIGHT = 0.5;

function newSearch(): MiniSearch<Passage> {
  return new MiniSearch<Passage>({
    fields: ['title', 'headings', 'text'],
    processTerm: (term) => normalizeTerm(term),
    searchOptions: {
      boost: { title: 1.5, headings: 2 },
      combineWith: 'OR',
      prefix: (term) => term.length >= 5,
      fuzzy: (term) => (term.length >= 6 ? 0.15 : false),
    },
  });
}

export function createKnowledgeIndex(
  store: Pick<Store, 'knowledge'>,
  options: KnowledgeIndexOptions,
): KnowledgeIndex {
  const accounts = new Map<string, AccountIndex>();
  const building = new Map<string, Promise<AccountIndex>>();
  const replyWatermarks = new Map<string, Date | null>();

  async function build(accountId: string, revision: number): Promise<AccountIndex> {
    const docs = await store.knowledge.all(accountId);
    const search = newSearch();
    const passages = new Map<string, Passage>();
    for (const doc of docs)
      for (const passage of chunkDocument(doc)) passages.set(passage.id, passage);
    search.addAll([...passages.values()]);
    const index = { revision, search, passages };
    accounts.set(accountId, index);
    return index;
  }

  async function fresh(accountId: string): Promise<AccountIndex> {
    if (options.pastReplies(accountId)) {
      // Overlapping by a second: replies sent in the same millisecond as the
      // watermark are not missed (copying is idempotent).
      const since = replyWatermarks.get(accountId) ?? null;
      const newest = await store.knowledge.syncApprovedReplies(
        accountId,
        since ? new Date(since.getTime() - 1_000) : null,
      );
      replyWatermarks.set(accountId, newest);
    }
    const revision = await store.knowledge.revision(accountId);
    const current = accounts.get(accountId);
    if (current && current.revision === revision) return current;
    // One build at a time per account: concurrent runs share it.
    const pending = building.get(accountId);
    if (pending) return pending;
    const next = build(accountId, revision).finally(() => building.delete(accountId));
    building.set(accountId, next);
    return next;
  }

  return {
    async search(accountId, query, limit = 5) {
      const index = await fresh(accountId);
      if (index.passages.size === 0) return [];
      const scores = new Map<string, number>();
      const add = (text: string | undefined, weight: number): void => {
        const trimmed = text?.slice(0, MAX_QUERY_CHARS).trim();
        if (!trimmed) return;
        for (const result of index.search.search(trimmed)) {
          const id = String(result.id);
          scores.set(id, (scores.get(id) ?? 0) + result.score * weight);
        }
      };
      add(query.text, 1);
      add(query.thread, THREAD_WEIGHT);
      return [...scores.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, limit)
        .flatMap(([id, score]) => {
          const passage = index.passages.get(id);
          return passage ? [{ ...passage, score: Math.round(score * 1000) / 1000 }] : [];
        });
    },
  };
}
