// The tools of one agent run: what the model is offered, and what happens to
// each call it makes. A read-only tool runs at once and its answer goes back
// to the model; any other tool becomes a proposed action on the draft that
// runs only when a human approves it (src/approval/proposed-actions.ts), and
// the model is told so. Unknown tools, bad arguments, errors, timeouts and
// calls over the run's limit are answers to the model, never a failed run.
import type { AgentConfig, Bootstrap, ToolConfig } from '../../config/bootstrap-schema.ts';
import type { FetchLike } from '../../platform/guarded-fetch.ts';
import {
  newId,
  type AgentRecord,
  type AgentRunToolCall,
  type ProposedAction,
} from '../../store/index.ts';
import {
  callHttpTool,
  parseToolArguments,
  toolSpec,
  type ToolFunctionSpec,
} from '../../tools/http-tool.ts';
import type { ToolCallRequest, ToolTurn } from '../providers/types.ts';

const DEFAULT_MAX_TOOL_CALLS = 5;

export interface ToolSession {
  /** The function definitions to offer this round; empty once the limit is used up. */
  offer(): ToolFunctionSpec[];
  /** Handle the model's calls; the turns to append to the prompt. */
  answer(calls: ToolCallRequest[], text: string, signal: AbortSignal): Promise<ToolTurn[]>;
  readonly calls: AgentRunToolCall[];
  readonly proposed: ProposedAction[];
}

/** The bootstrap entry of an agent (tools and pricing live only there). */
export function agentConfigOf(bootstrap: Bootstrap, agent: AgentRecord): AgentConfig | null {
  if (agent.source !== 'bootstrap') return null;
  const account = bootstrap.accounts.find((a) => a.id === agent.account_id);
  return account?.agents.find((a) => a.id === agent.key) ?? null;
}

export function toolSession(config: AgentConfig | null, fetch: FetchLike): ToolSession {
  const tools = new Map<string, ToolConfig>((config?.tools ?? []).map((t) => [t.name, t]));
  const limit = config?.max_tool_calls ?? DEFAULT_MAX_TOOL_CALLS;
  const calls: AgentRunToolCall[] = [];
  const proposed: ProposedAction[] = [];

  async function one(call: ToolCallRequest, signal: AbortSignal): Promise<string> {
    const tool = tools.get(call.name);
    const record: AgentRunToolCall = {
      id: call.id,
      name: call.name,
      arguments: call.arguments,
      read_only: tool?.read_only ?? false,
      status: 'refused',
      result: null,
      error: null,
      duration_ms: null,
      at: new Date(),
    };
    calls.push(record);
    if (!tool) {
      record.error = `there is no tool named "${call.name}"`;
      return JSON.stringify({ error: record.error });
    }
    if (calls.length > limit) {
      record.error = `the run's limit of ${limit} tool call${limit === 1 ? '' : 's'} is used up`;
      return JSON.stringify({ error: `${record.error}: write the reply without more tools` });
    }
    if (!tool.read_only) {
      const args = parseToolArguments(tool, call.arguments);
      if (!args.ok) {
        record.status = 'failed';
        record.error = args.error;
        return JSON.stringify({ error: args.error });
      }
      record.status = 'proposed';
      const action: ProposedAction = {
        id: newId('pac'),
        tool_call_id: call.id,
        tool: tool.name,
        arguments: call.arguments,
        status: 'pending',
        result: null,
        error: null,
        decided_by: null,
        decided_at: null,
        completed_at: null,
      };
      proposed.push(action);
      return JSON.stringify({
        status: 'proposed',
        action_id: action.id,
        note: 'This action changes something, so it has NOT run: it is attached to your draft and runs only if a human approves it. Do not tell the customer it is done.',
      });
    }
    const outcome = await callHttpTool(tool, call.arguments, fetch, signal);
    record.duration_ms = outcome.duration_ms;
    if (outcome.ok) {
      record.status = 'succeeded';
      record.result = outcome.result;
      return outcome.result;
    }
    record.status = 'failed';
    record.error = outcome.error;
    return JSON.stringify({ error: outcome.error });
  }

  return {
    calls,
    proposed,
    offer() {
      if (tools.size === 0 || calls.length >= limit) return [];
      return [...tools.values()].map(toolSpec);
    },
    async answer(requested, text, signal) {
      const turns: ToolTurn[] = [
        { role: 'assistant', content: text === '' ? null : text, tool_calls: requested },
      ];
      // One after another: the limit counts in the model's order, and a
      // tool server sees the calls in the order the model meant them.
      for (const call of requested) {
        turns.push({ role: 'tool', tool_call_id: call.id, content: await one(call, signal) });
      }
      return turns;
    },
  };
}
