// An agent's webhook with its own headers and basic auth (POST /api/v1/agents/setWebhook), against the
// real server: every delivery to the agent's webhook carries them next to the Standard Webhooks
// signature; a message's own webhookUrl and a review callback do not get them; they are read at each
// attempt (a retry after they are removed sends none); after deleteWebhook nothing is sent at all.
// Receivers are plain node:http servers on 127.0.0.1 (the e2e server allows loopback webhooks).
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";
import { sleep } from "../common";

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Server[] = [];

afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A receiver that records every request; `status(n)` answers the n-th (1-based). */
async function receiver(status: (n: number) => number = () => 200) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status(hits.length), { "content-type": "text/plain" }).end("ok");
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    hits,
    /** The n-th request (1-based), once it has arrived. */
    async nth(n: number, ms = 15_000): Promise<Hit> {
      const until = Date.now() + ms;
      while (hits.length < n) {
        if (Date.now() > until) throw new Error(`expected ${n} webhook request(s) within ${ms} ms, got ${hits.length}`);
        await sleep(20);
      }
      return hits[n - 1]!;
    },
  };
}

async function asAgent(apiKey: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${nodUrl()}${path}`, {
    method,
    headers: { "x-api-key": apiKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

const approval = { type: "approval", payload: { options: [{ id: "approve", label: "Approve" }] } };

async function ask(apiKey: string, channelId: string, extra: Record<string, unknown> = {}) {
  const res = await asAgent(apiKey, "POST", "/api/v1/messages", { channelId, text: "Deploy?", review: approval, ...extra });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

async function answer(messageId: string) {
  const res = await asOwner("POST", `/api/messages/${messageId}/respond`, { response: { selectedOption: "approve" } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
}

async function personWrites(channelId: string, text: string) {
  const res = await asOwner("POST", "/api/messages", { channelId, text });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id as string;
}

/** The Standard Webhooks signature is there and right, whatever else the delivery carries. */
function expectSigned(hit: Hit, secret: string) {
  const id = hit.headers["webhook-id"];
  const timestamp = hit.headers["webhook-timestamp"];
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${hit.body}`).digest("base64")}`;
  expect(String(hit.headers["webhook-signature"]).split(" ")).toContain(expected);
}

const basicAuth = (hit: Hit) => {
  const value = hit.headers.authorization;
  if (!value) return undefined;
  expect(value).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
  return Buffer.from(value.slice("Basic ".length), "base64").toString("utf8");
};

const PASSWORD = "s3cret:with:colons é";

describe("an agent's webhook headers and basic auth", () => {
  it("reach the agent's webhook on every delivery, never a message's own webhook or a review callback, and nothing after deleteWebhook", {
    timeout: 60_000,
  }, async () => {
    const hook = await receiver();
    const own = await receiver();
    const callback = await receiver();
    const { channelId, apiKey } = await newAgent("Webhook auth bot");
    const secret = (await asOwner("GET", `/api/agents/${channelId}`)).json.webhookSecret as string;

    const set = await asAgent(apiKey, "POST", "/api/v1/agents/setWebhook", {
      channelId,
      url: hook.url(),
      headers: { "X-Api-Token": "tok-e2e", "X-Tenant": "acme" },
      auth: { username: "nod-bot", password: PASSWORD },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.text).not.toContain("s3cret");
    const expectCredentials = (hit: Hit, username = "nod-bot") => {
      expect(hit.headers["x-api-token"]).toBe("tok-e2e");
      expect(hit.headers["x-tenant"]).toBe("acme");
      expect(basicAuth(hit)).toBe(`${username}:${PASSWORD}`);
      expectSigned(hit, secret);
    };

    // An answer to a review.
    const review = await ask(apiKey, channelId);
    await answer(review);
    const answered = await hook.nth(1);
    expect(JSON.parse(answered.body)).toMatchObject({ event: "review:responded", message_id: review });
    expectCredentials(answered);

    // A person's message.
    const written = await personWrites(channelId, "Hello with auth");
    const created = await hook.nth(2);
    expect(JSON.parse(created.body)).toMatchObject({ event: "message:created", message: { id: written } });
    expectCredentials(created);

    // A review that expires.
    const expiring = await ask(apiKey, channelId, { review: { ...approval, expiresInSeconds: 1 } });
    const expired = await hook.nth(3);
    expect(JSON.parse(expired.body)).toMatchObject({ event: "review:expired", message_id: expiring });
    expectCredentials(expired);

    // The owner renames the user in the settings without retyping the password: the password stays.
    const renamed = await asOwner("PATCH", `/api/agents/${channelId}`, { webhookAuth: { username: "renamed" } });
    expect(renamed.status, JSON.stringify(renamed.json)).toBe(200);
    await personWrites(channelId, "After the rename");
    expectCredentials(await hook.nth(4), "renamed");

    // A message's own webhookUrl gets the signature only.
    const withOwnHook = await ask(apiKey, channelId, { webhookUrl: own.url("/own") });
    await answer(withOwnHook);
    const ownHit = await own.nth(1);
    expect(JSON.parse(ownHit.body)).toMatchObject({ event: "review:responded", message_id: withOwnHook });
    expectSigned(ownHit, secret);
    expect(ownHit.headers["x-api-token"]).toBeUndefined();
    expect(ownHit.headers["x-tenant"]).toBeUndefined();
    expect(ownHit.headers.authorization).toBeUndefined();

    // deleteWebhook: the agent's webhook hears nothing more; a review callback (now the target) gets
    // its own headers, not the agent's.
    const deleted = await asAgent(apiKey, "POST", "/api/v1/agents/deleteWebhook", { channelId });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json).toMatchObject({ webhookUrl: null, webhookHeaders: null, webhookAuth: null });
    const withCallback = await ask(apiKey, channelId, {
      review: { ...approval, callback: { url: callback.url("/cb"), headers: { "X-Callback": "yes" } } },
    });
    await answer(withCallback);
    await personWrites(channelId, "Nobody listens now");
    const cbHit = await callback.nth(1);
    expect(cbHit.headers["x-callback"]).toBe("yes");
    expect(cbHit.headers["x-api-token"]).toBeUndefined();
    expect(cbHit.headers.authorization).toBeUndefined();
    await sleep(1500);
    expect(hook.hits).toHaveLength(4);
    expect(callback.hits).toHaveLength(1);
    for (const hit of [...hook.hits, ...own.hits, ...callback.hits]) expect(hit.body).not.toContain("s3cret");
  });

  it("are read at each attempt: a retry after the owner removed them carries none", { timeout: 60_000 }, async () => {
    const flaky = await receiver((n) => (n === 1 ? 500 : 200));
    const { channelId, apiKey } = await newAgent("Retry auth bot");
    const set = await asAgent(apiKey, "POST", "/api/v1/agents/setWebhook", {
      channelId,
      url: flaky.url(),
      headers: { "X-Api-Token": "tok-retry" },
      auth: { username: "retry", password: "pw" },
    });
    expect(set.status, set.text).toBe(200);

    const review = await ask(apiKey, channelId);
    await answer(review);
    const first = await flaky.nth(1);
    expect(first.headers["x-api-token"]).toBe("tok-retry");
    expect(basicAuth(first)).toBe("retry:pw");

    // The owner removes headers and auth (the URL stays) before the retry, 10 s after the failure.
    const removed = await asOwner("PATCH", `/api/agents/${channelId}`, { webhookHeaders: null, webhookAuth: null });
    expect(removed.status, JSON.stringify(removed.json)).toBe(200);
    const retry = await flaky.nth(2, 25_000);
    expect(retry.body).toBe(first.body);
    expect(retry.headers["x-api-token"]).toBeUndefined();
    expect(retry.headers.authorization).toBeUndefined();
  });
});
