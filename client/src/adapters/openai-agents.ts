// `@nod/client/openai-agents`: the OpenAI Agents SDK's tool approvals (`needsApproval` on a tool) answered by a
// person through Nod. A run that reaches such a tool stops with `result.interruptions`; each becomes a Nod review
// showing the tool's name and arguments (a form to change them, as in every adapter); the decisions go to
// `state.approve` / `state.reject` (the person's reason is the rejection text the model gets), and the run resumes
// from its state. `@openai/agents` is an optional peer dependency, imported only here.
import { type Agent, type NonStreamRunOptions, type RunResult, type RunToolApprovalItem, run, type Runner } from "@openai/agents";
import type { NodClient } from "../index.js";
import { askToolApproval, type ToolApprovalOptions, type ToolDecision } from "./tool-approval.js";

export { askToolApproval, toolApprovalMessage, toolCallText, toolDecision } from "./tool-approval.js";
export type { ToolApprovalOptions, ToolCallToApprove, ToolDecision } from "./tool-approval.js";

/**
 * The SDK has no call to change an approved call's arguments: an edited function call gets its new arguments written
 * on the approval item's raw call, which the run's state shares (checked before resuming: a version of the SDK where
 * it does not throws rather than run the model's arguments). `edit: false` asks Approve / Reject only.
 */
export type AgentsApprovalOptions = ToolApprovalOptions & {
  /** The text the model gets for a rejected call; by default the person's reason, or the SDK's own text without one. */
  rejectionMessage?: (decision: ToolDecision & { approved: false }, item: RunToolApprovalItem) => string | undefined;
};

/** The part of a run result the adapter reads: its interruptions and its state. */
export interface InterruptedResult {
  interruptions?: RunToolApprovalItem[];
  state: { approve(item: RunToolApprovalItem): void; reject(item: RunToolApprovalItem, options?: { message?: string }): void };
}

/** The call the resumed run will execute for this call id, as the state holds it. */
function pendingCall(result: InterruptedResult, callId: string): { arguments?: string } | undefined {
  const processed = (result.state as { _lastProcessedResponse?: { functions?: { toolCall: { callId?: string; arguments?: string } }[] } })
    ._lastProcessedResponse;
  return processed?.functions?.find((f) => f.toolCall.callId === callId)?.toolCall;
}

/** Writes the person's input on a function call about to run, and checks the run's state took it. */
function editCall(result: InterruptedResult, item: RunToolApprovalItem, input: unknown) {
  const raw = item.rawItem as { type: string; callId?: string; arguments?: string };
  const args = JSON.stringify(input);
  if (raw.type === "function_call" && raw.callId) {
    raw.arguments = args;
    if (pendingCall(result, raw.callId)?.arguments === args) return;
  }
  throw new Error(
    `@nod/client/openai-agents: the person changed the input of ${item.name ?? raw.type}, but this call cannot carry a changed input (this version of @openai/agents, or not a function call); pass approval: {edit: false}`,
  );
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
      { ...options, edit: options.edit !== false && item.rawItem.type === "function_call" },
    );
    if (decision.approved) {
      if (decision.edited) editCall(result, item, decision.input);
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
