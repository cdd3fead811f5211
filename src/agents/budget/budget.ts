// What runs cost and whether the next one may start. Prices are the agent's
// (per 1,000 input and output tokens, bootstrap `pricing`); budgets are hard
// caps per calendar month (UTC) for the account or the agent, and per
// conversation. A run is refused before it starts when the money already
// spent plus this run's estimate (its prompt, and max_output_tokens when the
// agent sets one) would pass a cap: a cap is never exceeded by a started run's
// known part, and a refused run costs nothing.
import type { AccountConfig, AgentConfig } from '../../config/bootstrap-schema.ts';
import type { AgentRunCost, AgentRunUsage, Store } from '../../store/index.ts';

type Pricing = NonNullable<AgentConfig['pricing']>;

export function costOf(pricing: Pricing, usage: AgentRunUsage): AgentRunCost {
  const input = (usage.prompt_tokens * pricing.input_per_1k) / 1000;
  const output = (usage.completion_tokens * pricing.output_per_1k) / 1000;
  return { input: round(input), output: round(output), total: round(input + output) };
}

export function estimatedCost(
  pricing: Pricing,
  promptTokens: number,
  maxOutputTokens: number | null,
): number {
  return costOf(pricing, {
    prompt_tokens: promptTokens,
    completion_tokens: maxOutputTokens ?? 0,
    total_tokens: promptTokens + (maxOutputTokens ?? 0),
  }).total;
}

export interface BudgetRefusal {
  /** Which cap: monthly_account | monthly_agent | per_conversation. */
  budget: 'monthly_account' | 'monthly_agent' | 'per_conversation';
  limit: number;
  spent: number;
  estimate: number;
  message: string;
}

/** The first cap this run would pass, or null when it may start. */
export async function budgetRefusal(
  store: Pick<Store, 'agentRuns'>,
  account: AccountConfig | null,
  agent: { _id: string; account_id: string; config: AgentConfig | null },
  conversationId: string,
  estimate: number,
  now = new Date(),
): Promise<BudgetRefusal | null> {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const caps: Array<{
    budget: BudgetRefusal['budget'];
    limit: number | undefined;
    spent: () => Promise<number>;
    what: string;
  }> = [
    {
      budget: 'per_conversation',
      limit: account?.budgets.per_conversation,
      what: 'per-conversation budget',
      spent: () =>
        store.agentRuns.spent({ account_id: agent.account_id, conversation_id: conversationId }),
    },
    {
      budget: 'monthly_agent',
      limit: agent.config?.budget?.monthly,
      what: "agent's monthly budget",
      spent: () =>
        store.agentRuns.spent({
          account_id: agent.account_id,
          agent_id: agent._id,
          since: monthStart,
        }),
    },
    {
      budget: 'monthly_account',
      limit: account?.budgets.monthly,
      what: "account's monthly budget",
      spent: () => store.agentRuns.spent({ account_id: agent.account_id, since: monthStart }),
    },
  ];
  for (const cap of caps) {
    if (cap.limit === undefined) continue;
    const spent = round(await cap.spent());
    if (spent >= cap.limit || spent + estimate > cap.limit) {
      return {
        budget: cap.budget,
        limit: cap.limit,
        spent,
        estimate,
        message: `the ${cap.what} of ${cap.limit} is reached: ${spent} spent, and this run would cost about ${estimate} more`,
      };
    }
  }
  return null;
}

// Micro-units: sums of many small costs stay readable.
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
