// The template provider: a canned reply streamed through the same draft path
// as a model, so the quick start and tests get deterministic drafts.
import { templateTokens } from '../rules/template.ts';
import type { DraftProvider, ProviderEvent } from './types.ts';

export function templateProvider(renderedText: string): DraftProvider {
  return {
    model: 'template',
    async *stream(_messages, signal): AsyncIterable<ProviderEvent> {
      const tokens = templateTokens(renderedText);
      for (const text of tokens) {
        if (signal.aborted) return;
        yield { type: 'text', text };
      }
      yield {
        type: 'usage',
        usage: { prompt_tokens: 0, completion_tokens: tokens.length, total_tokens: tokens.length },
      };
    },
  };
}
