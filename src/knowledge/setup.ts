// One knowledge index per process, over the store, with each account's
// settings from the bootstrap file (accounts it does not list get the defaults).
import type { Bootstrap, KnowledgeConfig } from '../config/bootstrap-schema.ts';
import type { Logger } from '../platform/logger.ts';
import type { Store } from '../store/index.ts';
import type { KnowledgeDeps } from './ground-run.ts';
import { createKnowledgeIndex } from './knowledge-index.ts';

const DEFAULTS: Pick<KnowledgeConfig, 'past_replies' | 'flag_unsourced' | 'max_passages'> = {
  past_replies: true,
  flag_unsourced: false,
  max_passages: 5,
};

export function knowledgeFor(context: {
  bootstrap: Bootstrap;
  store: Pick<Store, 'knowledge'>;
  logger: Pick<Logger, 'warn'>;
}): KnowledgeDeps {
  const configs = new Map(context.bootstrap.accounts.map((a) => [a.id, a.knowledge]));
  const configOf = (accountId: string) => configs.get(accountId) ?? DEFAULTS;
  return {
    index: createKnowledgeIndex(context.store, {
      pastReplies: (accountId) => configOf(accountId).past_replies,
    }),
    configOf,
    logger: context.logger,
  };
}
