// `@nod/client/ai-sdk`: the Vercel AI SDK's tool approvals (`needsApproval` on a tool, AI SDK 6) answered by a
// person through Nod. A generation that reaches such a tool stops with `tool-approval-request` parts; each becomes
// a Nod review showing the tool's name and input, the person approves (after changing the input if they like) or
// rejects, and the generation goes on with the `tool-approval-response`s, the approved calls run with the person's
// input. The `ai` package is an optional peer dependency, imported only here.
import { generateText, type ModelMessage, type ToolApprovalResponse, type ToolSet } from "ai";
import type { NodClient } from "../index.js";
import { askToolApproval, type ToolApprovalOptions, type ToolDecision } from "./tool-approval.js";

export { askToolApproval, toolApprovalMessage, toolCallText, toolDecision } from "./tool-approval.js";
export type { ToolApprovalOptions, ToolCallToApprove, ToolDecision } from "./tool-approval.js";

/** The part of a `generateText` or `streamText` result the adapter reads (streamText's are promises). */
export interface ApprovalRequestingResult {
  content: readonly { type: string }[] | PromiseLike<readonly { type: string }[]>;
  response: { messages: readonly ModelMessage[] } | PromiseLike<{ messages: readonly ModelMessage[] }>;
}

interface ApprovalRequestPart {
  type: "tool-approval-request";
  approvalId: string;
  toolCall: { toolCallId: string; toolName: string; input: unknown };
}

export interface ResolvedApprovals {
  /** The messages to generate from next: the result's response messages (with the edited inputs) and a tool message of approval responses. */
  messages: ModelMessage[];
  /** One per approval request, in order, with its approval id. */
  decisions: (ToolDecision & { approvalId: string; toolName: string })[];
}

const isApprovalRequest = (part: { type: string }): part is ApprovalRequestPart => part.type === "tool-approval-request";

/** The tool approval requests a result stopped at (none: the generation is done). */
export function approvalRequests(result: { content: readonly { type: string }[] }): ApprovalRequestPart[] {
  return result.content.filter(isApprovalRequest);
}

/**
 * Asks a person through Nod about each tool approval request of `result` (one review each, in turn; a `streamText`
 * result is awaited first) and returns the messages to continue with:
 * `generateText({..., messages: [...history, ...resolved.messages]})` (or `streamText`). An approved
 * call whose input the person changed runs with the changed input (its tool-call part carries it, and the SDK
 * checks it against the tool's input schema again); a rejected one reaches the model as `execution-denied` with the
 * person's reason. Not for `experimental_toolApprovalSecret`: a signed approval cannot carry a changed input (pass
 * `edit: false`).
 */
export async function resolveToolApprovals(nod: NodClient, result: ApprovalRequestingResult, options: ToolApprovalOptions = {}): Promise<ResolvedApprovals> {
  const [content, response] = await Promise.all([result.content, result.response]);
  const requests = approvalRequests({ content });
  const decisions: ResolvedApprovals["decisions"] = [];
  for (const request of requests) {
    const { toolName, input } = request.toolCall;
    const decision = await askToolApproval(nod, { toolName, input, id: request.approvalId }, options);
    decisions.push({ ...decision, approvalId: request.approvalId, toolName });
  }
  const editedInputs = new Map<string, unknown>();
  const editedApprovals = new Set<string>();
  for (const request of requests) {
    const decision = decisions.find((d) => d.approvalId === request.approvalId);
    if (decision?.approved && decision.edited) {
      editedInputs.set(request.toolCall.toolCallId, decision.input);
      editedApprovals.add(request.approvalId);
    }
  }
  const messages = response.messages.map((message) => {
    if (message.role !== "assistant" || typeof message.content === "string" || editedInputs.size === 0) return message;
    const content = message.content.map((part) => {
      if (part.type === "tool-call" && editedInputs.has(part.toolCallId)) return { ...part, input: editedInputs.get(part.toolCallId) };
      // The raw input the schema saw, kept when a schema transforms its input: the edited input replaces it.
      if (part.type === "tool-approval-request" && editedApprovals.has(part.approvalId) && "inputSchemaInput" in part) {
        const { inputSchemaInput: _, ...rest } = part as typeof part & { inputSchemaInput?: unknown };
        return rest;
      }
      return part;
    });
    return { ...message, content } as ModelMessage;
  });
  const responses: ToolApprovalResponse[] = decisions.map((d) => ({
    type: "tool-approval-response",
    approvalId: d.approvalId,
    approved: d.approved,
    ...(d.reason ? { reason: d.reason } : {}),
  }));
  if (responses.length) messages.push({ role: "tool", content: responses });
  return { messages, decisions };
}

type GenerateTextOptions<TOOLS extends ToolSet> = Parameters<typeof generateText<TOOLS>>[0];

/**
 * `generateText` with every tool approval answered by a person through Nod: generates, asks about the calls the
 * result stops at, generates again with the decisions, until a result asks for none. Returns that last result,
 * with `messages` (the whole conversation, to continue from) and `decisions` (every one made, in order).
 */
export async function generateTextWithNod<TOOLS extends ToolSet>(
  nod: NodClient,
  options: GenerateTextOptions<TOOLS> & { nod?: ToolApprovalOptions; maxApprovalRounds?: number },
) {
  const {
    nod: nodOptions = {},
    maxApprovalRounds = 20,
    prompt,
    messages: given,
    ...rest
  } = options as GenerateTextOptions<TOOLS> & {
    nod?: ToolApprovalOptions;
    maxApprovalRounds?: number;
    prompt?: string | ModelMessage[];
    messages?: ModelMessage[];
  };
  let messages: ModelMessage[] = given ? [...given] : typeof prompt === "string" ? [{ role: "user", content: prompt }] : [...(prompt ?? [])];
  const decisions: ResolvedApprovals["decisions"] = [];
  for (let round = 0; ; round++) {
    const result = await generateText<TOOLS>({ ...(rest as GenerateTextOptions<TOOLS>), messages } as GenerateTextOptions<TOOLS>);
    if (approvalRequests(result).length === 0 || round === maxApprovalRounds) {
      return Object.assign(result, { messages: [...messages, ...result.response.messages], decisions });
    }
    const resolved = await resolveToolApprovals(nod, result, nodOptions);
    decisions.push(...resolved.decisions);
    messages = [...messages, ...resolved.messages];
  }
}
