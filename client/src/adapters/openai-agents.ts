// `@nod/client/openai-agents`: the OpenAI Agents SDK's tool approvals (`needsApproval` on a tool) answered by a
// person through Nod. A run that reaches such a tool stops with `result.interruptions`; each becomes a Nod approval
// review showing the tool's name and arguments; the decisions go to `state.approve` / `state.reject` (the person's
// reason is the rejection text the model gets), and the run resumes from its state. `@openai/agents` is an
// optional peer dependency, imported only here.
import { type Agent, type NonStreamRunOptions, type RunResult, type RunToolApprovalItem, run, type Runner } from "@openai/agents";
import type { NodClient } from "../index.js";
import { askToolApproval, type ToolApprovalOptions, type ToolDecision } from "./tool-approval.js";

export { askToolApproval, toolApprovalMessage, toolCallText, toolDecision } from "./tool-approval.js";
export type { ToolApprovalOptions, ToolCallToApprove, ToolDecision } from "./tool-approval.js";

/** Tool approvals here are approve or reject: the SDK runs an approved call with the model's own arguments. */
export type AgentsApprovalOptions = Omit<ToolApprovalOptions, "edit"> & {
  /** The text the model gets for a rejected call; by default the person's reason, or the SDK's own text without one. */
  rejectionMessage?: (decision: ToolDecision & { approved: false }, item: RunToolApprovalItem) => string | undefined;
};

/** The part of a run result the adapter reads: its interruptions and its state. */
export interface InterruptedResult {
  interruptions?: RunToolApprovalItem[];
  state: { approve(item: RunToolApprovalItem): void; reject(item: RunToolApprovalItem, options?: { message?: string }): void };
}

function toolInput(item: RunToolApprovalItem): unknown {
  const args = item.arguments;
  if (args === undefined) return item.rawItem;
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

function callId(item: RunToolApprovalItem): string | undefined {
  const raw = item.rawItem as { callId?: string; id?: string };
  return raw.callId ?? raw.id;
}

/**
 * Puts each of the result's interruptions to a person through Nod (one review each, in turn) and records the
 * decisions on `result.state`: resume with `run(agent, result.state)`. Returns the decisions, in order.
 */
export async function resolveInterruptions(
  nod: NodClient,
  result: InterruptedResult,
  options: AgentsApprovalOptions = {},
): Promise<(ToolDecision & { item: RunToolApprovalItem })[]> {
  const decisions: (ToolDecision & { item: RunToolApprovalItem })[] = [];
  for (const item of result.interruptions ?? []) {
    const id = callId(item);
    const decision = await askToolApproval(
      nod,
      { toolName: item.name ?? item.rawItem.type, input: toolInput(item), ...(id ? { id } : {}) },
      { ...options, edit: false },
    );
    if (decision.approved) {
      result.state.approve(item);
    } else {
      const message = options.rejectionMessage ? options.rejectionMessage(decision, item) : decision.reason;
      result.state.reject(item, message ? { message } : {});
    }
    decisions.push({ ...decision, item });
  }
  return decisions;
}

/**
 * `run(agent, input)` with every tool approval answered by a person through Nod: runs, resolves the interruptions,
 * resumes from the state, until the run finishes without any. Returns the last result and the decisions.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's own bound for "any agent" (its run() has the same)
export async function runWithNod<TAgent extends Agent<any, any>, TContext = undefined>(
  agent: TAgent,
  input: Parameters<typeof run<TAgent, TContext>>[1],
  options: NonStreamRunOptions<TContext, TAgent> & { nod: NodClient; approval?: AgentsApprovalOptions; runner?: Runner; maxApprovalRounds?: number },
): Promise<RunResult<TContext, TAgent> & { decisions: (ToolDecision & { item: RunToolApprovalItem })[] }> {
  const { nod, approval, runner, maxApprovalRounds = 20, ...runOptions } = options;
  const go = (next: typeof input) =>
    (runner
      ? runner.run(agent, next, runOptions as NonStreamRunOptions<TContext, TAgent>)
      : run(agent, next, runOptions as NonStreamRunOptions<TContext, TAgent>)) as Promise<RunResult<TContext, TAgent>>;
  const decisions: (ToolDecision & { item: RunToolApprovalItem })[] = [];
  let result = await go(input);
  for (let round = 0; result.interruptions?.length && round < maxApprovalRounds; round++) {
    decisions.push(...(await resolveInterruptions(nod, result, approval)));
    result = await go(result.state);
  }
  return Object.assign(result, { decisions });
}
