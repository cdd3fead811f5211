// What an agent run adds to its prompt from the account's knowledge and the
// customer's language: called by src/agents/prepare-run.ts, kept here so the
// agents' code only passes the texts in and the result on.
import type { KnowledgeConfig } from '../config/bootstrap-schema.ts';
import type { Logger } from '../platform/logger.ts';
import { offerPassages, renderReference, type OfferedPassage } from './grounding.ts';
import type { KnowledgeIndex } from './knowledge-index.ts';
import { detectLanguage, type DetectedLanguage } from './language.ts';

export interface KnowledgeDeps {
  index: KnowledgeIndex;
  /** The account's knowledge settings (bootstrap defaults for accounts it does not list). */
  configOf(accountId: string): Pick<KnowledgeConfig, 'flag_unsourced' | 'max_passages'>;
  logger: Pick<Logger, 'warn'>;
}

export interface Grounding {
  /** The system message's reference section ('' when nothing was found). */
  reference: string;
  offered: OfferedPassage[];
  language: DetectedLanguage | null;
}

// Retrieval never takes more of the prompt than this: the conversation
// itself is what the reply answers.
const REFERENCE_SHARE = 0.35;

export async function groundRun(
  deps: KnowledgeDeps | undefined,
  input: {
    account_id: string;
    /** The customer's newest message. */
    latest: string;
    /** The subject and the customer's earlier messages. */
    thread: string;
    tokenBudget: number;
    estimate: (text: string) => number;
  },
): Promise<Grounding> {
  const language = detectLanguage(input.latest) ?? detectLanguage(input.thread);
  if (!deps) return { reference: '', offered: [], language };
  const config = deps.configOf(input.account_id);
  let offered: OfferedPassage[] = [];
  try {
    const hits = await deps.index.search(
      input.account_id,
      { text: input.latest, thread: input.thread },
      config.max_passages,
    );
    offered = offerPassages(hits, Math.floor(input.tokenBudget * REFERENCE_SHARE), input.estimate);
  } catch (error) {
    // A draft without references beats no draft: the run goes on ungrounded.
    deps.logger.warn({ err: error }, 'knowledge retrieval failed; drafting without it');
  }
  return { reference: renderReference(offered, config.flag_unsourced), offered, language };
}
