// A review's life after it is posted, against the real server: it expires on time (the room's alarm,
// not a poll), and its outcome reaches the agent's webhook — signed per Standard Webhooks, to the
// right tier, retried with backoff after a failure, never after a 410, never through a redirect.
// Webhook receivers are plain node:http servers on 127.0.0.1 (the e2e server allows loopback).
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, inject, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";
import { sleep } from "../common";

// ---- webhook receivers ----------------------------------------------------------------------------

interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request's body had arrived. */
  at: number;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
}

interface Receiver {
  url: (path?: string) => string;
  hits: Hit[];
  /** Resolves once `n` requests have arrived; rejects after `ms`. */
  waitFor: (n: number, ms?: number) => Promise<Hit[]>;
}

const servers: Server[] = [];

afterAll(async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** A receiver that records every request and answers with `reply(hitNumber)` (1-based). */
async function receiver(reply: (n: number) => Reply = () => ({ status: 200 })): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const { status, headers } = reply(hits.length);
      res.writeHead(status, { "content-type": "text/plain", ...headers });
      res.end(status < 300 ? "ok" : "no");
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    hits,
    waitFor: async (n, ms = 10_000) => {
      const until = Date.now() + ms;
      while (hits.length < n) {
        if (Date.now() > until)
          throw new Error(
            `expected ${n} webhook request(s) within ${ms} ms, got ${hits.length}: ${JSON.stringify(hits.map((h) => [h.method, h.path, h.body.slice(0, 200)]))}`,
          );
        await sleep(20);
      }
      return hits;
    },
  };
}

// ---- API helpers ----------------------------------------------------------------------------------

async function asAgent(apiKey: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${nodUrl()}${path}`, {
    method,
    headers: { "x-api-key": apiKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** A bodyless POST as the person, from the web app: a browser sends its Origin with every POST (the
 *  user API's CSRF guard refuses a cookie POST without a JSON body or a same-origin Origin). */
async function personPost(path: string) {
  const res = await fetch(`${nodUrl()}${path}`, { method: "POST", headers: { cookie: inject("ownerCookie"), origin: nodUrl() } });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const approval = {
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Approve" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
  },
};

/** The agent posts a message (201 asserted) and gets it back. */
async function post(apiKey: string, channelId: string, body: Record<string, unknown>) {
  const res = await asAgent(apiKey, "POST", "/api/v1/messages", { channelId, ...body });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; review: { expiresAt: string; status: string }; deliveryStatus: string };
}

/** An agent whose webhook is `webhookUrl` (set by the person in its settings), with its secret. */
async function agentWithWebhook(name: string, webhookUrl: string | null) {
  const agent = await newAgent(name);
  if (webhookUrl !== null) {
    const patched = await asOwner("PATCH", `/api/agents/${agent.channelId}`, { webhookUrl });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    expect(patched.json.webhookUrl).toBe(webhookUrl);
  }
  const settings = await asOwner("GET", `/api/agents/${agent.channelId}`);
  expect(settings.status).toBe(200);
  expect(settings.json.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  return { ...agent, secret: settings.json.webhookSecret as string };
}

async function answer(messageId: string, response: unknown = { selectedOption: "approve" }) {
  const res = await asOwner("POST", `/api/messages/${messageId}/respond`, { response });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json;
}

/** The message's deliveryStatus, as the agent reads it (GET /api/v1/reviews/:id; /messages/:id for one without a review). */
async function deliveryStatus(apiKey: string, channelId: string, messageId: string, kind: "reviews" | "messages" = "reviews"): Promise<string> {
  const res = await asAgent(apiKey, "GET", `/api/v1/${kind}/${messageId}?channel=${channelId}`);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.deliveryStatus;
}

/** Polls (from the test, every 200 ms) until deliveryStatus is `want`; returns when it was first seen. */
async function untilStatus(apiKey: string, channelId: string, messageId: string, want: string, ms: number, kind: "reviews" | "messages" = "reviews") {
  const until = Date.now() + ms;
  const seen: string[] = [];
  for (;;) {
    const status = await deliveryStatus(apiKey, channelId, messageId, kind);
    if (seen.at(-1) !== status) seen.push(status);
    if (status === want) return Date.now();
    if (Date.now() > until) throw new Error(`deliveryStatus did not become ${want} within ${ms} ms; it went ${seen.join(" -> ")}`);
    await sleep(200);
  }
}

/** Standard Webhooks: v1,base64(HMAC-SHA256(base64decode(secret minus whsec_), "id.timestamp.body")). */
function expectSigned(hit: Hit, secret: string) {
  const id = hit.headers["webhook-id"];
  const timestamp = hit.headers["webhook-timestamp"];
  const signature = hit.headers["webhook-signature"];
  expect(typeof id === "string" && id.length > 0, `webhook-id header: ${id}`).toBe(true);
  expect(timestamp, "webhook-timestamp is unix seconds").toMatch(/^\d+$/);
  expect(Math.abs(Number(timestamp) - hit.at / 1000), "webhook-timestamp is now").toBeLessThan(30);
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${hit.body}`).digest("base64")}`;
  // The header may carry several space-separated signatures; ours must be one of them.
  expect(String(signature).split(" "), `webhook-signature for id=${id} ts=${timestamp}`).toContain(expected);
  expect(hit.headers["content-type"]).toMatch(/^application\/json/);
}

// ---- tests ----------------------------------------------------------------------------------------

describe("review expiry", () => {
  it("a parked wait returns 'expired' on time, and a late answer gets 410", { timeout: 30_000 }, async () => {
    const { channelId, apiKey } = await newAgent("Expiry bot");
    const msg = await post(apiKey, channelId, { text: "Expires in 2 s", review: { ...approval, expiresInSeconds: 2 } });
    expect(msg.review.status).toBe("pending");
    const expiresAt = Date.parse(msg.review.expiresAt);
    expect(expiresAt - Date.now(), "expiresAt should be about 2 s ahead").toBeGreaterThan(1000);

    const res = await fetch(`${nodUrl()}/api/v1/reviews/${msg.id}/wait?channel=${channelId}&timeout=30000`, { headers: { "x-api-key": apiKey } });
    const returnedAt = Date.now(); // headers in: the server has decided
    const waited = await res.json();
    expect(res.status, JSON.stringify(waited)).toBe(200);
    expect(waited.status).toBe("expired");
    expect(waited.message.id).toBe(msg.id);
    expect(waited.message.review.status).toBe("expired");

    const lateness = returnedAt - expiresAt;
    console.log(`review expiry: the parked wait returned ${lateness} ms after review.expiresAt`);
    expect(lateness, "the wait returned before the review expired").toBeGreaterThanOrEqual(-50);
    expect(lateness, "the wait returned too long after the review expired").toBeLessThan(1000);

    const late = await asOwner("POST", `/api/messages/${msg.id}/respond`, { response: { selectedOption: "approve" } });
    expect(late.status, JSON.stringify(late.json)).toBe(410);
    const after = await asAgent(apiKey, "GET", `/api/v1/reviews/${msg.id}?channel=${channelId}`);
    expect(after.json.review.status).toBe("expired");
    expect(after.json.review.response).toBeNull();
  });
});

describe("webhooks", () => {
  it("an answer reaches the agent's webhook once, signed per Standard Webhooks, and the message is webhook_delivered", { timeout: 30_000 }, async () => {
    const hook = await receiver();
    const { channelId, apiKey, secret } = await agentWithWebhook("Webhook bot", hook.url("/hook"));
    const msg = await post(apiKey, channelId, { text: "Deploy?", review: approval });
    expect(msg.deliveryStatus).toBe("sent");
    expect(hook.hits, "nothing is sent before the review is settled").toHaveLength(0);

    const answeredAt = Date.now();
    await answer(msg.id, { selectedOption: "approve" });
    const [hit] = await hook.waitFor(1);
    console.log(`webhook: answer -> receiver ${hit!.at - answeredAt} ms`);
    expect(hit!.method).toBe("POST");
    expect(hit!.path).toBe("/hook");
    const body = JSON.parse(hit!.body);
    expect(body).toMatchObject({
      event: "review:responded",
      channelId,
      message_id: msg.id,
      review_type: "approval",
      response: { selectedOption: "approve" },
    });
    expect(Date.parse(body.responded_at), `responded_at: ${body.responded_at}`).toBeGreaterThanOrEqual(answeredAt - 1000);
    expect(body.message).toMatchObject({
      id: msg.id,
      channelId,
      text: "Deploy?",
      review: { type: "approval", status: "completed", response: { selectedOption: "approve" } },
    });
    expectSigned(hit!, secret);

    await untilStatus(apiKey, channelId, msg.id, "webhook_delivered", 5000);
    await sleep(500);
    expect(hook.hits, "one delivery, not several").toHaveLength(1);
  });

  it("a signature made with another secret does not verify (the check above can fail)", { timeout: 30_000 }, async () => {
    const hook = await receiver();
    const { channelId, apiKey, secret } = await agentWithWebhook("Secret bot", hook.url());
    // The person rotates the secret: deliveries from then on are signed with the new one only.
    const rotated = await personPost(`/api/agents/${channelId}/rotate-webhook-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.webhookSecret).not.toBe(secret);
    const msg = await post(apiKey, channelId, { text: "Rotate?", review: approval });
    await answer(msg.id);
    const [hit] = await hook.waitFor(1);
    expectSigned(hit!, rotated.json.webhookSecret);
    expect(() => expectSigned(hit!, secret)).toThrow();
  });

  it("the message's webhookUrl wins over the agent's; the agent's over the review's callback", { timeout: 30_000 }, async () => {
    const agentHook = await receiver();
    const messageHook = await receiver();
    const callbackHook = await receiver();
    const { channelId, apiKey, secret } = await agentWithWebhook("Tier bot", agentHook.url("/agent"));

    // Tier 1: the message's own webhookUrl.
    const first = await post(apiKey, channelId, {
      text: "Tier 1",
      webhookUrl: messageHook.url("/message"),
      review: { ...approval, callback: { url: callbackHook.url("/callback") } },
    });
    await answer(first.id);
    const [m] = await messageHook.waitFor(1);
    expect(m!.path).toBe("/message");
    expect(JSON.parse(m!.body)).toMatchObject({ event: "review:responded", message_id: first.id });
    expectSigned(m!, secret);

    // Tier 2: the agent's webhookUrl beats the review's callback.
    const second = await post(apiKey, channelId, { text: "Tier 2", review: { ...approval, callback: { url: callbackHook.url("/callback") } } });
    await answer(second.id);
    const [a] = await agentHook.waitFor(1);
    expect(a!.path).toBe("/agent");
    expect(JSON.parse(a!.body)).toMatchObject({ event: "review:responded", message_id: second.id });

    // Tier 3: with no webhookUrl on the message or the agent, the review's legacy callback.
    const cleared = await asOwner("PATCH", `/api/agents/${channelId}`, { webhookUrl: null });
    expect(cleared.status, JSON.stringify(cleared.json)).toBe(200);
    expect(cleared.json.webhookUrl).toBeNull();
    const third = await post(apiKey, channelId, {
      text: "Tier 3",
      review: { ...approval, callback: { url: callbackHook.url("/callback"), method: "PUT", headers: { "x-token": "abc" } } },
    });
    await answer(third.id, { selectedOption: "reject" });
    const [c] = await callbackHook.waitFor(1);
    expect(c!.method).toBe("PUT");
    expect(c!.path).toBe("/callback");
    expect(c!.headers["x-token"]).toBe("abc");
    expect(JSON.parse(c!.body)).toMatchObject({ event: "review:responded", message_id: third.id, response: { selectedOption: "reject" } });
    expectSigned(c!, secret);
    await untilStatus(apiKey, channelId, third.id, "webhook_delivered", 5000);

    await sleep(500);
    expect(
      messageHook.hits.map((h) => JSON.parse(h.body).message_id),
      "the message hook got only its message",
    ).toEqual([first.id]);
    expect(
      agentHook.hits.map((h) => JSON.parse(h.body).message_id),
      "the agent hook got only the tier-2 message",
    ).toEqual([second.id]);
    expect(
      callbackHook.hits.map((h) => JSON.parse(h.body).message_id),
      "the callback got only the tier-3 message",
    ).toEqual([third.id]);
  });

  it("an expired review sends review:expired to the agent's webhook", { timeout: 30_000 }, async () => {
    const hook = await receiver();
    const { channelId, apiKey, secret } = await agentWithWebhook("Expiry webhook bot", hook.url());
    const msg = await post(apiKey, channelId, { text: "Expires in 1 s", review: { ...approval, expiresInSeconds: 1 } });
    const expiresAt = Date.parse(msg.review.expiresAt);

    // Nobody waits and nobody answers: only the server's own timer can send this.
    const [hit] = await hook.waitFor(1, 10_000);
    console.log(`expiry webhook: arrived ${hit!.at - expiresAt} ms after review.expiresAt`);
    expect(hit!.at - expiresAt, "the expiry webhook came before the review expired").toBeGreaterThanOrEqual(-50);
    expect(hit!.method).toBe("POST");
    const body = JSON.parse(hit!.body);
    expect(body).toMatchObject({ event: "review:expired", channelId, message_id: msg.id, review_type: "approval" });
    expect(Date.parse(body.expired_at), `expired_at: ${body.expired_at}`).toBeGreaterThanOrEqual(expiresAt - 1000);
    expectSigned(hit!, secret);

    const after = await asAgent(apiKey, "GET", `/api/v1/reviews/${msg.id}?channel=${channelId}`);
    expect(after.json.review.status).toBe("expired");
    await untilStatus(apiKey, channelId, msg.id, "webhook_delivered", 5000);
  });

  it("a person's message to the agent sends message:created to the agent's webhook", { timeout: 30_000 }, async () => {
    const hook = await receiver();
    const { channelId, apiKey, secret } = await agentWithWebhook("Chat bot", hook.url());
    const sent = await asOwner("POST", "/api/messages", { channelId, text: "Hello from the person" });
    expect(sent.status, JSON.stringify(sent.json)).toBe(201);

    const [hit] = await hook.waitFor(1);
    expect(hit!.method).toBe("POST");
    const body = JSON.parse(hit!.body);
    expect(body).toMatchObject({
      event: "message:created",
      channelId,
      message: { id: sent.json.id, channelId, senderType: "user", text: "Hello from the person" },
    });
    expectSigned(hit!, secret);
    await untilStatus(apiKey, channelId, sent.json.id, "webhook_delivered", 5000, "messages");

    // The agent's own messages are not echoed back to it.
    await post(apiKey, channelId, { text: "Agent says hi" });
    await sleep(500);
    expect(hook.hits).toHaveLength(1);
  });

  it("a failed delivery is retried with backoff until delivered; a 410 stops retries; retry-webhook sends at once", { timeout: 45_000 }, async () => {
    // Two agents at once, so the 10 s backoff is waited out only once.
    const flaky = await receiver((n) => ({ status: n === 1 ? 500 : 200 }));
    const gone = await receiver((n) => ({ status: n === 1 ? 410 : 200 }));
    const a = await agentWithWebhook("Flaky receiver bot", flaky.url());
    const b = await agentWithWebhook("Gone receiver bot", gone.url());
    const msgA = await post(a.apiKey, a.channelId, { text: "Retry me", review: approval });
    const msgB = await post(b.apiKey, b.channelId, { text: "Don't retry me", review: approval });

    await answer(msgA.id);
    await answer(msgB.id);

    // The first attempts fail, and the messages say so.
    const [firstA] = await flaky.waitFor(1);
    await untilStatus(a.apiKey, a.channelId, msgA.id, "webhook_failed", 3000);
    const [firstB] = await gone.waitFor(1);
    await untilStatus(b.apiKey, b.channelId, msgB.id, "webhook_failed", 3000);

    // The 500 is retried by the server on its own, with backoff, and then delivered.
    const deliveredAt = await untilStatus(a.apiKey, a.channelId, msgA.id, "webhook_delivered", 16_000);
    const retryA = flaky.hits[1]!;
    expect(retryA, "a retry arrived").toBeDefined();
    const gap = retryA.at - firstA!.at;
    console.log(`webhook retry: first attempt -> retry ${gap} ms; first attempt -> webhook_delivered seen ${deliveredAt - firstA!.at} ms`);
    expect(gap, "the retry should come after a backoff, not at once").toBeGreaterThan(2000);
    expect(gap).toBeLessThan(15_000);
    // A retry is the same delivery: same webhook-id (receivers dedupe on it), same body, freshly signed.
    expect(retryA.headers["webhook-id"]).toBe(firstA!.headers["webhook-id"]);
    expect(retryA.body).toBe(firstA!.body);
    expectSigned(retryA, a.secret);

    // The 410 receiver is left alone: still one request a good while after the 500 one was retried.
    const sinceB = Date.now() - firstB!.at;
    if (sinceB < 11_500) await sleep(11_500 - sinceB);
    expect(gone.hits, "a 410 answer must stop the retries").toHaveLength(1);
    expect(await deliveryStatus(b.apiKey, b.channelId, msgB.id)).toBe("webhook_failed");

    // The person asks for it again: one new request, at once.
    const asked = Date.now();
    const retried = await personPost(`/api/messages/${msgB.id}/retry-webhook`);
    expect(retried.status, JSON.stringify(retried.json)).toBe(200);
    const hits = await gone.waitFor(2, 2000);
    expect(hits[1]!.at - asked, "retry-webhook should send at once").toBeLessThan(2000);
    expect(JSON.parse(hits[1]!.body)).toMatchObject({ event: "review:responded", message_id: msgB.id });
    expectSigned(hits[1]!, b.secret);
    await untilStatus(b.apiKey, b.channelId, msgB.id, "webhook_delivered", 3000);
    await sleep(500);
    expect(gone.hits, "retry-webhook sends exactly one request").toHaveLength(2);
    expect(flaky.hits, "a delivered webhook is not sent again").toHaveLength(2);
  });

  it("redirects are not followed", { timeout: 30_000 }, async () => {
    const target = await receiver();
    for (const code of [302, 307]) {
      const redirector = await receiver(() => ({ status: code, headers: { location: target.url(`/landing-${code}`) } }));
      const { channelId, apiKey } = await agentWithWebhook(`Redirect ${code} bot`, redirector.url());
      const msg = await post(apiKey, channelId, { text: `Redirect ${code}`, review: approval });
      await answer(msg.id);
      await redirector.waitFor(1);
      await untilStatus(apiKey, channelId, msg.id, "webhook_failed", 3000);
      await sleep(500);
      expect(redirector.hits, `${code}: one attempt so far`).toHaveLength(1);
      expect(target.hits, `${code}: the redirect target must get nothing`).toHaveLength(0);
    }
  });
});
