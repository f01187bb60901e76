// What the MCP tools answer: a tool result built from an agent-API response, and the short shapes of a
// message, a review and a wait that the tools hand back (a whole MessageDto is mostly noise to a model).
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { MessageDto, WaitDto } from "../../contract/dto";
import type { CallApi } from "./server";

export type Json = Record<string, unknown>;

export function ok(value: Json): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: value };
}

/** An API error as the tool's error, with every field problem the API listed; `rename` maps an API path to the
 *  tool's own argument name (send_review_message's `reviewPayload` is the API's `review.payload`). */
export function failed(status: number, body: unknown, rename: (path: string) => string = (p) => p): CallToolResult {
  const b = (body ?? {}) as { message?: string; errors?: { path: string; message: string }[] };
  const lines = [`Nod refused the request (${status}): ${b.message ?? JSON.stringify(body)}`];
  for (const e of b.errors ?? []) lines.push(`- ${rename(e.path)}: ${e.message}`);
  return { isError: true, content: [{ type: "text", text: lines.join("\n") }] };
}

/** One agent-API call as a tool result: `shape` picks what the tool answers. */
export async function api<T>(
  call: CallApi,
  method: string,
  path: string,
  init: Parameters<CallApi>[2],
  shape: (body: T) => Json,
  rename?: (path: string) => string,
) {
  const res = await call(method, path, init);
  return res.status >= 400 ? failed(res.status, res.body, rename) : ok(shape(res.body as T));
}

export function query(params: Record<string, string | number | null | undefined>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const summary = (m: MessageDto) => ({
  messageId: m.id,
  channelId: m.channelId,
  seq: m.seq,
  text: m.text,
  createdAt: m.createdAt,
  ...(m.attachments.length ? { attachments: m.attachments } : {}),
  ...(m.iterationGroupId !== null ? { iteration: m.iteration, iterationGroupId: m.iterationGroupId } : {}),
});

export const reviewSummary = (m: MessageDto) => ({
  ...summary(m),
  reviewType: m.review?.type,
  reviewStatus: m.review?.status,
  payload: m.review?.payload,
  expiresAt: m.review?.expiresAt,
});

/** A wait's outcome: the answer, the expiry, or "no answer yet" with what to call next. */
export function waitOutcome(result: WaitDto, messageId: string): Json {
  const { status } = result;
  const m: MessageDto | undefined = "message" in result ? result.message : undefined;
  if (status === "completed")
    return {
      status,
      messageId,
      reviewType: m?.review?.type,
      response: m?.review?.response,
      feedback: m?.review?.feedback ?? null,
      completedAt: m?.review?.completedAt,
    };
  if (status === "expired") return { status, messageId, reviewType: m?.review?.type, expiresAt: m?.review?.expiresAt };
  return {
    status,
    messageId,
    next: "No answer yet: call wait_for_review again with the same messageId (get_message shows the review's state).",
  };
}
