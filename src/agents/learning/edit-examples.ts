// Learning from the approvers' edits: the pairs (draft, approved text) of the
// same agent whose customer message is closest to this run's are shown to
// the model as examples, between the instructions and the conversation. The
// ranking is MiniSearch's BM25 over the agent's newest pairs; with no match
// the newest pairs stand in, as the team's latest taste.
import MiniSearch from 'minisearch';
import type { EditExampleRecord, Store } from '../../store/index.ts';
import { wrapUntrusted } from '../rules/untrusted.ts';
import type { PromptMessage } from '../providers/types.ts';

/** Pairs looked at per run: enough to find a close one, cheap to index in memory. */
const CANDIDATES = 200;
const OFFERED = 3;
/** Each side of a pair is cut to this many characters in the prompt. */
const MAX_CHARS = 1_500;

export async function closestEditExamples(
  store: Pick<Store, 'editExamples'>,
  accountId: string,
  agentId: string,
  customerText: string,
): Promise<EditExampleRecord[]> {
  const candidates = await store.editExamples.recent(accountId, agentId, CANDIDATES);
  if (candidates.length <= OFFERED) return candidates;
  const index = new MiniSearch<EditExampleRecord>({
    idField: '_id',
    fields: ['trigger_text', 'draft'],
  });
  index.addAll(candidates);
  const byId = new Map(candidates.map((c) => [c._id, c]));
  const hits = index
    .search(customerText, { fuzzy: 0.1, prefix: true, boost: { trigger_text: 2 } })
    .slice(0, OFFERED)
    .map((hit) => byId.get(String(hit.id)))
    .filter((c): c is EditExampleRecord => c !== undefined);
  return hits.length > 0 ? hits : candidates.slice(0, OFFERED);
}

/** The prompt with the examples as one system message after the first (the instructions). */
export function withEditExamples(
  messages: PromptMessage[],
  examples: readonly EditExampleRecord[],
): PromptMessage[] {
  if (examples.length === 0) return messages;
  const body = examples
    .map(
      (example, i) =>
        // All three quote the customer or echo them: wrapped as customer text.
        `Example ${i + 1}\nThe customer wrote:\n${wrapUntrusted(cut(example.trigger_text))}\n` +
        `Your draft:\n${wrapUntrusted(cut(example.draft))}\n` +
        `What the team sent instead:\n${wrapUntrusted(cut(example.approved))}`,
    )
    .join('\n\n');
  const note: PromptMessage = {
    role: 'system',
    content:
      'Past drafts of yours that the team edited before sending, with what they sent instead. ' +
      'Write the way the team did; these are style examples, not facts about this case.\n\n' +
      body,
  };
  const first = messages[0]?.role === 'system' ? 1 : 0;
  return [...messages.slice(0, first), note, ...messages.slice(first)];
}

function cut(text: string): string {
  return text.length <= MAX_CHARS ? text : `${text.slice(0, MAX_CHARS)}…`;
}
