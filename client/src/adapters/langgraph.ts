// `@nod/client/langgraph`: LangGraph's `interrupt()` answered by a person through Nod. Each interrupt's payload
// becomes a Nod review, and the graph resumes with `new Command({ resume })` once the person answers: by
// long-polling (`invokeWithNod`), or from Nod's webhook (`askInterrupts` posts the reviews and returns;
// `resumeFromWebhook` resumes the thread when the answer arrives). `@langchain/langgraph` is an optional peer
// dependency, imported only here.
import { Command, INTERRUPT, type Interrupt, isInterrupted, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { type Message, type NodClient, ReviewExpiredError, type SendMessage } from "../index.js";
import { jsonBlock, type ToolApprovalOptions, type ToolCallToApprove, type ToolDecision, toolApprovalMessage, toolDecision } from "./tool-approval.js";

export { askToolApproval, toolApprovalMessage, toolCallText, toolDecision } from "./tool-approval.js";
export type { ToolApprovalOptions, ToolCallToApprove, ToolDecision } from "./tool-approval.js";

/**
 * What a graph resumes with after a tool-call or approval interrupt: `{approved: true, input, edited, reason?}`
 * (`input` with the person's changes) or `{approved: false, reason?, expired}`.
 */
export type InterruptDecision = { approved: true; input: unknown; edited: boolean; reason?: string } | { approved: false; reason?: string; expired: boolean };

/** An interrupt payload put as a Nod message: the message to post and how its answered message becomes the resume value. */
export interface InterruptReview {
  request: SendMessage;
  resume(message: Message): unknown;
  /** The resume value when the review expires unanswered (a `ReviewExpiredError` is thrown when left out). */
  expired?: (message: Message) => unknown;
}

export interface InterruptOptions extends Omit<ToolApprovalOptions, "text" | "onDecision" | "signal" | "onExpired"> {
  /** Turns an interrupt's payload into a review; by default `interruptReview`. */
  toReview?: (payload: unknown, options: InterruptOptions) => InterruptReview;
  signal?: AbortSignal;
}

const plain = (d: ToolDecision): InterruptDecision =>
  d.approved
    ? { approved: true, input: d.input, edited: d.edited, ...(d.reason ? { reason: d.reason } : {}) }
    : { approved: false, ...(d.reason ? { reason: d.reason } : {}), expired: d.expired };

const expiredDecision = (): InterruptDecision => ({ approved: false, reason: "No one answered before the review expired.", expired: true });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The default mapping of an interrupt's payload:
 * - `{review, text?, …}` (a Nod message with a review) is posted as it is; the graph resumes with the answer
 *   (`{selectedOption}`, the form's values, `{text}`, …);
 * - `{toolName, input}` (or `{name, args}`) is a tool call: the tool approval review (a form to change the input's
 *   values, Approve / Reject); the graph resumes with an `InterruptDecision`;
 * - anything else (a string, an object) is shown (an object as JSON) in an Approve / Reject review with a comment;
 *   the graph resumes with an `InterruptDecision` (`input` is the payload).
 */
export function interruptReview(payload: unknown, options: InterruptOptions = {}): InterruptReview {
  if (isRecord(payload) && isRecord(payload.review)) {
    // The payload's own channel and expiry win over the options'.
    const review = { ...(options.expiresInSeconds ? { expiresInSeconds: options.expiresInSeconds } : {}), ...payload.review };
    const request = { ...(options.channelId ? { channelId: options.channelId } : {}), ...payload, review } as SendMessage;
    return { request, resume: (message) => message.review?.response };
  }
  const toolName = isRecord(payload) ? (payload.toolName ?? payload.name) : undefined;
  const call: ToolCallToApprove =
    typeof toolName === "string" && isRecord(payload)
      ? { toolName, input: "input" in payload ? payload.input : payload.args }
      : { toolName: "", input: payload };
  const generic = typeof toolName !== "string" || !isRecord(payload);
  const approvalOptions: ToolApprovalOptions = {
    ...options,
    ...(generic
      ? {
          edit: false,
          text: () =>
            typeof payload === "string"
              ? payload
              : `The agent asks before going on:\n\n${jsonBlock(payload)}\n\n**Approve** to go on; **Reject** stops it (a comment tells the agent why).`,
        }
      : {}),
  };
  return {
    request: toolApprovalMessage(call, approvalOptions),
    resume: (message) => plain(toolDecision(call, message, approvalOptions)),
    expired: expiredDecision,
  };
}

async function askOne(nod: NodClient, review: InterruptReview, clientId: string, metadata: Record<string, unknown>, options: InterruptOptions) {
  const signal = options.signal ? { signal: options.signal } : {};
  const { request } = review;
  return nod.send({ ...request, clientId: request.clientId ?? clientId, metadata: { ...(request.metadata as object), ...metadata } }, signal);
}

/** The interrupts a graph stopped at: those of an invoke's result, or of `graph.getState(config)`'s tasks. */
export function interruptsOf(result: unknown): Interrupt[] {
  if (isInterrupted(result)) return result[INTERRUPT];
  const tasks = isRecord(result) && Array.isArray(result.tasks) ? (result.tasks as { interrupts?: Interrupt[] }[]) : [];
  return tasks.flatMap((t) => t.interrupts ?? []);
}

/** The part of a compiled graph the adapter uses (any `StateGraph(...).compile({checkpointer})`). */
export interface ResumableGraph<Result = unknown> {
  invoke(input: unknown, config?: LangGraphRunnableConfig): Promise<Result>;
  getState(config: LangGraphRunnableConfig): Promise<unknown>;
}

const threadOf = (config: LangGraphRunnableConfig | undefined): string | undefined => config?.configurable?.thread_id as string | undefined;

/**
 * Asks about one interrupt through Nod and waits for the answer (long-polling, however long it takes); returns
 * the value to resume with.
 */
export async function askInterrupt(nod: NodClient, interrupt: Interrupt, options: InterruptOptions & { threadId?: string } = {}): Promise<unknown> {
  const review = (options.toReview ?? interruptReview)(interrupt.value, options);
  const key = `langgraph:${options.threadId ?? ""}:${interrupt.id ?? crypto.randomUUID()}`.slice(0, 200);
  const sent = await askOne(nod, review, key, {}, options);
  try {
    const { message } = await nod.wait(sent.id, { channelId: sent.channelId, ...(options.signal ? { signal: options.signal } : {}) });
    return review.resume(message);
  } catch (err) {
    if (err instanceof ReviewExpiredError && review.expired) return review.expired(err.expired);
    throw err;
  }
}

/** The resume value for the interrupts: a map by interrupt id (a bare value for one interrupt without an id). */
function resumeFor(interrupts: Interrupt[], values: unknown[]) {
  if (interrupts.length === 1 && !interrupts[0]!.id) return values[0];
  return Object.fromEntries(interrupts.map((i, n) => [i.id, values[n]]));
}

/**
 * The long-poll path: `graph.invoke(input, config)`; while the graph stops at interrupts, asks a person about each
 * through Nod (in turn), waits, and resumes with `new Command({ resume })`. Returns the graph's final result. The
 * graph needs a checkpointer and `config.configurable.thread_id`, as any interrupt does.
 */
export async function invokeWithNod<Result>(
  graph: ResumableGraph<Result>,
  input: unknown,
  config: LangGraphRunnableConfig,
  options: InterruptOptions & { nod: NodClient; maxRounds?: number },
): Promise<Result> {
  const { nod, maxRounds = 50, ...rest } = options;
  const threadId = threadOf(config);
  let result = await graph.invoke(input, config);
  for (let round = 0; round < maxRounds; round++) {
    const interrupts = interruptsOf(result);
    if (interrupts.length === 0) break;
    const values: unknown[] = [];
    for (const interrupt of interrupts) values.push(await askInterrupt(nod, interrupt, { ...rest, ...(threadId ? { threadId } : {}) }));
    result = await graph.invoke(new Command({ resume: resumeFor(interrupts, values) }), config);
  }
  return result;
}

/** Where a review posted by `askInterrupts` came from: in its message's `metadata.langgraph`. */
export interface InterruptRef {
  threadId: string;
  interruptId: string;
}

/**
 * The webhook path, first half: posts a review for each interrupt of `result` (an invoke's result, or the graph's
 * state) without waiting, each delivering its answer to `webhookUrl` (the message's own webhook; or leave it out
 * to use the agent's). Asking twice about the same interrupt posts nothing new. Returns the posted messages.
 */
export async function askInterrupts(
  nod: NodClient,
  result: unknown,
  config: LangGraphRunnableConfig,
  options: InterruptOptions & { webhookUrl?: string } = {},
): Promise<Message[]> {
  const threadId = threadOf(config);
  if (!threadId) throw new TypeError("askInterrupts needs config.configurable.thread_id, to find the thread again when the answer arrives");
  const { webhookUrl, ...rest } = options;
  const posted: Message[] = [];
  for (const interrupt of interruptsOf(result)) {
    if (!interrupt.id) throw new TypeError("an interrupt without an id cannot be resumed from a webhook");
    const review = (rest.toReview ?? interruptReview)(interrupt.value, rest);
    const ref: InterruptRef = { threadId, interruptId: interrupt.id };
    const withHook = webhookUrl ? { ...review, request: { ...review.request, webhookUrl } } : review;
    posted.push(await askOne(nod, withHook, `langgraph:${threadId}:${interrupt.id}`.slice(0, 200), { langgraph: ref }, rest));
  }
  return posted;
}

/** A Nod webhook delivery's body (docs/api.md, "Webhooks"), as far as the adapter reads it. */
export interface NodWebhookBody {
  event: string;
  channelId?: string;
  message_id?: string;
  message?: Message;
}

/**
 * The webhook path, second half: given the body of Nod's `review:responded` (or `review:expired`) delivery for a
 * review posted by `askInterrupts`, resumes its thread with the answer and, if the graph stops at interrupts again,
 * asks about those the same way. Returns the graph's result, or `undefined` for a delivery that is not about an
 * interrupt (another event, another review, an interrupt already resumed). Verify the delivery's signature first.
 */
export async function resumeFromWebhook<Result>(
  graph: ResumableGraph<Result>,
  body: NodWebhookBody,
  options: InterruptOptions & { nod: NodClient; webhookUrl?: string; config?: LangGraphRunnableConfig },
): Promise<Result | undefined> {
  const { nod, config: extra, ...rest } = options;
  if (body.event !== "review:responded" && body.event !== "review:expired") return undefined;
  // An expiry's delivery does not carry the message: it is read back for its metadata.
  const message =
    body.message ??
    (body.message_id
      ? await nod.request<Message>("GET", `/api/v1/messages/${encodeURIComponent(body.message_id)}`, { query: { channel: body.channelId } })
      : undefined);
  const ref = (message?.metadata as { langgraph?: InterruptRef } | null | undefined)?.langgraph;
  if (!message || !ref?.threadId || !ref.interruptId) return undefined;
  const config: LangGraphRunnableConfig = { ...extra, configurable: { ...extra?.configurable, thread_id: ref.threadId } };
  const interrupt = interruptsOf(await graph.getState(config)).find((i) => i.id === ref.interruptId);
  if (!interrupt) return undefined;
  const review = (rest.toReview ?? interruptReview)(interrupt.value, rest);
  let value: unknown;
  if (body.event === "review:expired" || message.review?.status === "expired") {
    if (!review.expired) throw new ReviewExpiredError(message);
    value = review.expired(message);
  } else {
    value = review.resume(message);
  }
  const result = await graph.invoke(new Command({ resume: { [interrupt.id!]: value } }), config);
  if (interruptsOf(result).length) await askInterrupts(nod, result, config, rest);
  return result;
}
