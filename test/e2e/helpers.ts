// Helpers for tests against the real server: a person (the owner's cookie) and fresh agents with keys.
import { inject } from "vitest";
import { sleep } from "../common";

export const nodUrl = () => inject("nodUrl");

export async function asOwner(method: string, path: string, body?: unknown) {
  const res = await fetch(`${nodUrl()}${path}`, {
    method,
    headers: { cookie: inject("ownerCookie"), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** A new agent of the owner and an API key scoped to it. */
export async function newAgent(name: string) {
  const agent = await asOwner("POST", "/api/agents", { name });
  const key = await asOwner("POST", "/api/api-keys", { label: name, agentIds: [agent.json.id] });
  if (agent.status !== 201 || key.status !== 201) throw new Error(`agent setup failed: ${JSON.stringify([agent, key])}`);
  return { channelId: agent.json.id as string, apiKey: key.json.key as string };
}

/** Plays the person: waits for the pending review whose text matches, then answers it. */
export async function answerWhenAsked(channelId: string, text: RegExp, response: unknown, deadlineMs = 30_000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const inbox = await asOwner("GET", `/api/reviews?status=pending&channel=${channelId}`);
    const msg = inbox.json.data.find((m: { text: string | null }) => text.test(m.text ?? ""));
    if (msg) return asOwner("POST", `/api/messages/${msg.id}/respond`, { response });
    await sleep(50);
  }
  throw new Error(`no pending review matching ${text} within ${deadlineMs} ms`);
}
