// Webhooks: where an event goes (three tiers), what it says (the payloads of docs/api.md), and one signed attempt.
import type { AgentRow } from "../services/agents";
import type { MessageDto } from "../../contract/dto";
import type { MessageRow } from "../services/messages";
import { refuseWebhookUrl, type WebhookPolicy } from "./ssrf";
import { signatureHeaders } from "./sign";
import { base64 } from "../lib/crypto";

export const WEBHOOK_EVENTS = ["review:responded", "review:expired", "message:created"] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookTarget {
  url: string;
  method: string;
  headers: Record<string, string>;
}

/** Seconds to wait before retry n (after attempt n failed); one entry per retry. */
export const RETRY_BACKOFF_SECONDS = [10, 60, 300, 1800, 7200, 21600];
export const MAX_ATTEMPTS = RETRY_BACKOFF_SECONDS.length + 1;
const TIMEOUT_MS = 10_000;

/** What of an agent decides where its webhooks go and what they carry. */
type AgentWebhook = Pick<AgentRow, "webhookUrl" | "webhookHeaders" | "webhookAuth">;

/** The agent's own webhook: its URL with the headers and basic auth set by setWebhook (read at each attempt). */
function agentTarget(agent: AgentWebhook): WebhookTarget | null {
  if (!agent.webhookUrl) return null;
  const headers: Record<string, string> = { ...agent.webhookHeaders };
  const auth = agent.webhookAuth;
  if (auth) headers.authorization = `Basic ${base64(new TextEncoder().encode(`${auth.username}:${auth.password}`))}`;
  return { url: agent.webhookUrl, method: "POST", headers };
}

/**
 * First match wins: the message's webhookUrl, the agent's, then the review's legacy callback.
 * A person's message reaches only the agent's own webhook. Only the agent's own webhook carries the
 * agent's headers and auth: they are the agent's credentials, not the message's receiver's.
 */
export function webhookTarget(event: WebhookEventName, message: Pick<MessageRow, "webhookUrl" | "reviewCallback">, agent: AgentWebhook): WebhookTarget | null {
  if (event === "message:created") return agentTarget(agent);
  if (message.webhookUrl) return { url: message.webhookUrl, method: "POST", headers: {} };
  if (agent.webhookUrl) return agentTarget(agent);
  const callback = message.reviewCallback;
  if (callback) return { url: callback.url, method: callback.method ?? "POST", headers: callback.headers ?? {} };
  return null;
}

export function webhookPayload(event: WebhookEventName, message: MessageDto, at: string) {
  switch (event) {
    case "review:responded":
      return {
        event,
        channelId: message.channelId,
        message_id: message.id,
        review_type: message.review?.type,
        response: message.review?.response,
        // What to change for the next iteration, and where this message sits in its chain (null outside one).
        feedback: message.review?.feedback ?? null,
        iteration: message.iteration,
        iterationGroupId: message.iterationGroupId,
        // Who decided and how (docs/api.md, "Review policy"): a person, a quorum, or the default at expiry (respondedBy and via null).
        respondedBy: message.review?.respondedBy ?? null,
        resolution: message.review?.resolution ?? null,
        via: message.review?.via ?? null,
        votes: message.review?.votes ?? [],
        responded_at: at,
        message,
      };
    case "review:expired":
      return { event, channelId: message.channelId, message_id: message.id, review_type: message.review?.type, expired_at: at };
    case "message:created":
      return { event, channelId: message.channelId, message };
  }
}

export interface Attempt {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The receiver answered 410 Gone: it wants no more. */
  gone: boolean;
}

/**
 * One delivery: 10 s timeout, redirects not followed, the URL re-checked right before. Signed (Standard
 * Webhooks) with `secret`; a person's Slack, Discord or ntfy channel has none and is sent unsigned.
 */
export async function sendWebhook(target: WebhookTarget, body: string, deliveryId: string, secret: string | null, policy: WebhookPolicy): Promise<Attempt> {
  const refused = refuseWebhookUrl(target.url, policy);
  if (refused) return { ok: false, statusCode: null, durationMs: 0, error: `refused: ${refused}`, gone: false };
  const started = Date.now();
  try {
    const res = await fetch(target.url, {
      method: target.method,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        ...target.headers,
        "content-type": "application/json",
        "user-agent": "Nod-Webhooks/1.0",
        ...(secret ? await signatureHeaders(secret, deliveryId, body) : {}),
      },
      body,
    });
    await res.body?.cancel();
    const ok = res.status >= 200 && res.status < 300;
    const error = ok ? null : res.status >= 300 && res.status < 400 ? "redirects are not followed" : `HTTP ${res.status}`;
    return { ok, statusCode: res.status, durationMs: Date.now() - started, error, gone: res.status === 410 };
  } catch (err) {
    const error = err instanceof Error && err.name === "TimeoutError" ? "timed out after 10 s" : String(err instanceof Error ? err.message : err);
    return { ok: false, statusCode: null, durationMs: Date.now() - started, error, gone: false };
  }
}
