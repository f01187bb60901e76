// Notification channels against the real `wrangler dev` (issue 17, part 3), with local receivers that
// check each channel's documented format: ntfy's JSON publishing with `http` actions, Slack's Block Kit
// with a button URL, Discord's embed with link buttons, and our signed webhook, verified with the Standard
// Webhooks reference library. Each receives a review with a working answer link, and answering through it
// completes the review (via "link"), which the agent's long-poll returns.
// The server runs on its own with PUBLIC_URL set (a channel needs absolute links), loopback receivers allowed.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionCookie, sleep } from "../common";
import { type DevServer, startDevServer } from "./dev-server";

interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: DevServer;
let cookie: string;
let receiver: Server;
let receiverUrl: string;
const hits: Hit[] = [];

beforeAll(async () => {
  server = await startDevServer("channels", { publicUrl: true });
  const setup = await fetch(`${server.url}/api/auth/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery", displayName: "Owner" }),
  });
  expect(setup.status).toBe(201);
  cookie = sessionCookie(setup);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  await server?.dispose();
});

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = { cookie }) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

/** The first request to `path` on the receiver whose body contains `marker`. */
async function hitFor(path: string, marker: string, ms = 15_000): Promise<Hit> {
  const until = Date.now() + ms;
  for (;;) {
    const hit = hits.find((h) => h.path === path && h.body.includes(marker));
    if (hit) return hit;
    if (Date.now() > until) throw new Error(`nothing with ${marker} reached ${path}: ${JSON.stringify(hits.map((h) => h.path))}`);
    await sleep(25);
  }
}

let agent: { channelId: string; apiKey: string };

/** Posts a review as the agent and starts its long-poll; the wait resolves with the answered message. */
async function ask(text: string, review: Record<string, unknown>) {
  const posted = await api("POST", "/api/v1/messages", { channelId: agent.channelId, text, review }, { "x-api-key": agent.apiKey });
  expect(posted.status, posted.text).toBe(201);
  const id = posted.json.id as string;
  const waited = api("GET", `/api/v1/reviews/${id}/wait?channel=${agent.channelId}&timeout=30000`, undefined, { "x-api-key": agent.apiKey });
  return { id, waited };
}

const approval = (priority: string) => ({
  type: "approval",
  priority,
  payload: {
    options: [
      { id: "approve", label: "Approve", style: "primary" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
    allowComment: true,
  },
});

describe("notification channels: each format reaches a local receiver and answers through its link", () => {
  let secret: string;

  beforeAll(async () => {
    const created = await api("POST", "/api/agents", { name: "Channel bot" });
    const key = await api("POST", "/api/api-keys", { label: "channel bot", agentIds: [created.json.id] });
    agent = { channelId: created.json.id, apiKey: key.json.key };
    for (const body of [
      { kind: "ntfy", url: `${receiverUrl}/ntfy/deploys`, token: "tk_e2etoken" },
      { kind: "slack", url: `${receiverUrl}/slack/services/T0/B0/xyz` },
      { kind: "discord", url: `${receiverUrl}/discord/api/webhooks/1/abc` },
      { kind: "webhook", url: `${receiverUrl}/signed` },
    ]) {
      const res = await api("POST", "/api/notifications/channels", body);
      expect(res.status, res.text).toBe(201);
      if (body.kind === "webhook") secret = res.json.secret;
    }
  });

  it("ntfy: a JSON publish to the server's root with http actions; one action's POST approves", async () => {
    const { id, waited } = await ask("Deploy v2.1 to production? (ntfy)", approval("high"));
    const hit = await hitFor("/ntfy/", "(ntfy)");
    expect(hit.method).toBe("POST");
    expect(hit.headers.authorization).toBe("Bearer tk_e2etoken");
    const body = JSON.parse(hit.body);
    expect(body).toMatchObject({ topic: "deploys", title: "Channel bot", message: "Deploy v2.1 to production? (ntfy)", priority: 4 });
    expect(body.actions.length).toBeLessThanOrEqual(3); // ntfy allows three
    const [approve, reject, view] = body.actions;
    for (const action of [approve, reject]) {
      expect(action).toEqual({
        action: "http",
        label: expect.any(String),
        url: expect.stringMatching(new RegExp(`^${server.url}/r/[A-Za-z0-9_-]{43}$`)),
        method: "POST",
        headers: { "content-type": "application/json" },
        body: expect.any(String),
        clear: true,
      });
    }
    expect([approve.label, reject.label]).toEqual(["Approve", "Reject"]);
    expect(view).toEqual({ action: "view", label: "Open", url: approve.url });
    expect(body.click).toBe(approve.url);

    // What ntfy's app does when "Approve" is tapped.
    const answered = await fetch(approve.url, { method: approve.method, headers: approve.headers, body: approve.body });
    expect(answered.status).toBe(200);
    const done = await waited;
    expect(done.json).toMatchObject({ status: "completed", message: { id } });
    expect(done.json.message.review).toMatchObject({ response: { selectedOption: "approve" }, via: "link", respondedBy: { displayName: "Owner" } });
  });

  it("Slack: Block Kit with the question and a button URL; its page answers", async () => {
    const { id, waited } = await ask("Rotate the <staging> keys? (slack)", approval("normal"));
    const hit = await hitFor("/slack/services/T0/B0/xyz", "(slack)");
    const body = JSON.parse(hit.body);
    expect(body.text).toContain("Rotate the <staging> keys? (slack)");
    expect(body.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "Channel bot" } });
    // Block Kit's mrkdwn escapes &, < and >: an agent's text is shown, never taken as a link or mention.
    expect(body.blocks[1]).toEqual({ type: "section", text: { type: "mrkdwn", text: "Rotate the &lt;staging&gt; keys? (slack)" } });
    const actions = body.blocks.find((b: { type: string }) => b.type === "actions");
    const button = actions.elements[0];
    expect(button).toMatchObject({ type: "button", text: { type: "plain_text", text: "Answer" }, style: "primary" });
    expect(button.url).toMatch(new RegExp(`^${server.url}/r/[A-Za-z0-9_-]{43}$`));
    expect(actions.elements[1]).toMatchObject({ type: "button", url: `${server.url}/chat/${agent.channelId}` });

    const page = await fetch(button.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Rotate the &lt;staging&gt; keys? (slack)");
    const answered = await fetch(button.url, { method: "POST", body: new URLSearchParams({ selectedOption: "reject", comment: "not today" }) });
    expect(answered.status).toBe(200);
    const done = await waited;
    expect(done.json.message.review).toMatchObject({ response: { selectedOption: "reject", comment: "not today" }, via: "link" });
    expect(id).toBe(done.json.message.id);
  });

  it("Discord: an embed with link buttons (with_components); the button's link answers", async () => {
    const { id, waited } = await ask("Scale the workers to 12? (discord)", {
      type: "text-input",
      priority: "urgent",
      payload: { placeholder: "Why?" },
    });
    const hit = await hitFor("/discord/api/webhooks/1/abc?with_components=true", "(discord)");
    const body = JSON.parse(hit.body);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    const [embed] = body.embeds;
    expect(embed).toMatchObject({ title: "Channel bot", description: "Scale the workers to 12? (discord)", color: 0xed4245 });
    expect(embed.fields).toEqual([{ name: "Priority", value: "urgent", inline: true }]);
    expect(new Date(embed.timestamp).toISOString()).toBe(embed.timestamp);
    const [row] = body.components;
    expect(row.type).toBe(1); // an action row
    const [answer] = row.components;
    expect(answer).toMatchObject({ type: 2, style: 5, label: "Answer" }); // a link button
    expect(embed.url).toBe(answer.url);

    const answered = await fetch(answer.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response: { text: "Traffic doubled" } }),
    });
    expect(answered.status).toBe(200);
    const done = await waited;
    expect(done.json.message).toMatchObject({ id, review: { response: { text: "Traffic doubled" }, via: "link" } });
  });

  it("the signed webhook: Standard Webhooks signature verified, review:requested with the answer link and actions", async () => {
    const { id, waited } = await ask("Merge the release branch? (signed)", approval("low"));
    const hit = await hitFor("/signed", id);
    // The reference library: throws unless webhook-id, webhook-timestamp and webhook-signature match the body.
    const payload = new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as any;
    expect(payload).toMatchObject({
      type: "review:requested",
      data: { priority: "low", occasion: "new", agent: { id: agent.channelId, name: "Channel bot" } },
    });
    expect(payload.data.message).toMatchObject({ id, text: "Merge the release branch? (signed)", review: { status: "pending" } });
    expect(payload.data.chatUrl).toBe(`${server.url}/chat/${agent.channelId}`);
    expect(payload.data.actions).toEqual([
      { label: "Approve", url: payload.data.answerUrl, body: { response: { selectedOption: "approve" } } },
      { label: "Reject", url: payload.data.answerUrl, body: { response: { selectedOption: "reject" } } },
    ]);
    expect(() => new Webhook(secret).verify(hit.body.replace("Merge", "Burn"), hit.headers as Record<string, string>)).toThrow();

    const action = payload.data.actions[0];
    const answered = await fetch(action.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(action.body) });
    expect(answered.status).toBe(200);
    expect((await waited).json.message.review).toMatchObject({ response: { selectedOption: "approve" }, via: "link" });
    // The link is spent: a second POST is refused.
    const again = await fetch(action.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(action.body) });
    expect(again.status).toBe(409);
  });

  it("each channel shows its deliveries as ok in Settings' list, tokens and secrets never listed", async () => {
    const list = await api("GET", "/api/notifications/channels");
    expect(list.json.answerLinks).toBe(true);
    expect(list.json.data.map((c: { kind: string; status: { state: string } }) => [c.kind, c.status.state])).toEqual([
      ["ntfy", "ok"],
      ["slack", "ok"],
      ["discord", "ok"],
      ["webhook", "ok"],
    ]);
    expect(list.text).not.toMatch(/tk_e2etoken|whsec_/);
  });
});
