// The agent API (/api/v1) route by route: API keys, agents, the heartbeat, messages, reviews and
// the long-poll, plugins, and the error shape. Answers to reviews go through the user API, as people
// give them.
import { beforeAll, describe, expect, it } from "vitest";
import { addMember, agentWithKey, approval, call, setupOwner, type Person } from "./helpers";
import { AGENT_KEYS, browser, expectError, ISO, keyClient, MESSAGE_KEYS, URL_SAFE, type Bot } from "./api-helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Main bot");
});

/** A fresh agent of the owner (created through the agent API with the unscoped key). */
async function newChannel(name = "Channel") {
  const res = await bot.v1("POST", "/agents", { name });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

async function post(channelId: string, body: Record<string, unknown>, headers?: Record<string, string>) {
  return bot.v1("POST", "/messages", { channelId, ...body }, headers);
}

async function postReview(channelId: string, review: Record<string, unknown> = approval, text = "Deploy?") {
  const res = await post(channelId, { text, review });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

describe("API keys", () => {
  it("a new key starts with hp_ and is shown once: the list never shows it", async () => {
    const created = await owner.as("POST", "/api/api-keys", { label: "CI" });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^hp_[A-Za-z0-9_-]{20,}$/);
    expect(created.json).toMatchObject({ id: expect.any(String), label: "CI", keyPrefix: expect.any(String) });
    expect(created.json.key.startsWith(created.json.keyPrefix)).toBe(true);
    expect(created.json.keyPrefix.length).toBeLessThan(created.json.key.length);

    const list = await owner.as("GET", "/api/api-keys");
    expect(list.status).toBe(200);
    const row = list.json.data.find((k: { id: string }) => k.id === created.json.id);
    expect(row).toMatchObject({ id: created.json.id, label: "CI", keyPrefix: created.json.keyPrefix });
    for (const k of list.json.data) expect(k).not.toHaveProperty("key");
    expect(list.text).not.toContain(created.json.key);
  });

  it("both x-api-key and Authorization: Bearer authenticate", async () => {
    const direct = await call("GET", "/api/v1/agents", { headers: { "x-api-key": bot.apiKey } });
    const bearer = await call("GET", "/api/v1/agents", { headers: { authorization: `Bearer ${bot.apiKey}` } });
    for (const res of [direct, bearer]) {
      expect(res.status).toBe(200);
      expect(res.json.map((a: { id: string }) => a.id)).toContain(bot.agent.id);
    }
  });

  it("a missing key is 401, a bad key is 401", async () => {
    expectError(await call("GET", "/api/v1/agents"), 401);
    expectError(await call("POST", "/api/v1/messages", { body: { channelId: bot.agent.id, text: "hi" } }), 401);
    expectError(await call("GET", "/api/v1/agents", { headers: { "x-api-key": "hp_not-a-real-key-at-all" } }), 401);
    expectError(await call("GET", "/api/v1/agents", { headers: { "x-api-key": bot.apiKey.slice(0, -1) } }), 401);
    expectError(await call("GET", "/api/v1/agents", { headers: { authorization: "Bearer hp_nope" } }), 401);
    expectError(await call("GET", "/api/v1/agents", { headers: { authorization: `Basic ${btoa("a:b")}` } }), 401);
    // A session cookie is not an API key.
    expectError(await call("GET", "/api/v1/agents", { headers: { cookie: owner.cookie } }), 401);
  });

  it("a revoked key is refused at once", async () => {
    const created = await owner.as("POST", "/api/api-keys", { label: "temp" });
    const v1 = keyClient(created.json.key);
    expect((await v1("GET", "/agents")).status).toBe(200);
    const revoked = await owner.as("DELETE", `/api/api-keys/${created.json.id}`);
    expect(revoked.status).toBe(200);
    expectError(await v1("GET", "/agents"), 401);
    expectError(await v1("POST", "/messages", { channelId: bot.agent.id, text: "still here?" }), 401);
    const list = await owner.as("GET", "/api/api-keys");
    expect(list.json.data.map((k: { id: string }) => k.id)).not.toContain(created.json.id);
    expectError(await owner.as("DELETE", `/api/api-keys/${created.json.id}`), 404);
  });

  it("rotating a key: the old one is refused, the new one works", async () => {
    const created = await owner.as("POST", "/api/api-keys", { label: "rotating" });
    const rotated = await owner.as("POST", `/api/api-keys/${created.json.id}/rotate`);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json).toMatchObject({ id: created.json.id, label: "rotating" });
    expect(rotated.json.key).toMatch(/^hp_/);
    expect(rotated.json.key).not.toBe(created.json.key);
    expect(rotated.json.key.startsWith(rotated.json.keyPrefix)).toBe(true);
    expectError(await keyClient(created.json.key)("GET", "/agents"), 401);
    expect((await keyClient(rotated.json.key)("GET", "/agents")).status).toBe(200);
    const list = await owner.as("GET", "/api/api-keys");
    expect(list.json.data.find((k: { id: string }) => k.id === created.json.id).keyPrefix).toBe(rotated.json.keyPrefix);
    expectError(await owner.as("POST", "/api/api-keys/no-such-key/rotate"), 404);
  });

  it("creating a key validates its body", async () => {
    expectError(await owner.as("POST", "/api/api-keys", {}), 400, ["label"]);
    expectError(await owner.as("POST", "/api/api-keys", { label: "   " }), 400, ["label"]);
    expectError(await owner.as("POST", "/api/api-keys", { label: "x", agentIds: [] }), 400, ["agentIds"]);
    expectError(await owner.as("POST", "/api/api-keys", { label: "x", agentIds: "all" }), 400, ["agentIds"]);
  });

  it("API key management needs a session", async () => {
    expectError(await call("GET", "/api/api-keys"), 401);
    expectError(await call("POST", "/api/api-keys", { body: { label: "x" } }), 401);
    expectError(await call("GET", "/api/api-keys", { headers: { "x-api-key": bot.apiKey } }), 401);
  });

  describe("a key scoped to one agent", () => {
    let a: string;
    let b: string;
    let scoped: ReturnType<typeof keyClient>;

    beforeAll(async () => {
      a = await newChannel("Scoped A");
      b = await newChannel("Scoped B");
      const created = await owner.as("POST", "/api/api-keys", { label: "only A", agentIds: [a] });
      expect(created.status).toBe(201);
      expect(created.json.agentIds).toEqual([a]);
      scoped = keyClient(created.json.key);
    });

    it("sees only its agent in GET /agents", async () => {
      const list = await scoped("GET", "/agents");
      expect(list.status).toBe(200);
      expect(list.json.map((x: { id: string }) => x.id)).toEqual([a]);
    });

    it("gets 404 for every request on another agent's channel", async () => {
      const inB = await post(b, { text: "B's message", review: approval });
      expect(inB.status).toBe(201);
      expectError(await scoped("GET", `/messages?channel=${b}`), 404);
      expectError(await scoped("POST", "/messages", { channelId: b, text: "sneaky" }), 404);
      expectError(await scoped("GET", `/messages/${inB.json.id}`), 404);
      expectError(await scoped("GET", `/reviews/${inB.json.id}`), 404);
      expectError(await scoped("GET", `/reviews/${inB.json.id}/wait?timeout=50`), 404);
      expectError(await scoped("POST", `/messages/${inB.json.id}/ack`), 404);
      expectError(await scoped("DELETE", `/messages/${inB.json.id}`), 404);
      expectError(await scoped("GET", `/reviews/pending?channel=${b}`), 404);
      expectError(await scoped("PATCH", `/agents/${b}`, { name: "hijacked" }), 404);
      expectError(await scoped("DELETE", `/agents/${b}`), 404);
      expectError(await scoped("POST", "/status/ping", { agentId: b, status: "error" }), 404);
      // B is untouched.
      const still = await bot.v1("GET", `/messages/${inB.json.id}`);
      expect(still.status).toBe(200);
      expect(still.json.deliveryStatus).toBe("sent");
      expect((await bot.v1("GET", "/agents")).json.find((x: { id: string }) => x.id === b)).toMatchObject({ name: "Scoped B", status: "offline" });
    });

    it("may omit channelId: its one agent is the channel", async () => {
      const res = await scoped("POST", "/messages", { text: "to my only agent" });
      expect(res.status, res.text).toBe(201);
      expect(res.json.channelId).toBe(a);
      const pending = await scoped("GET", "/reviews/pending");
      expect(pending.status).toBe(200);
      for (const m of pending.json) expect(m.channelId).toBe(a);
    });

    it("cannot create agents (403)", async () => {
      expectError(await scoped("POST", "/agents", { name: "new" }), 403);
      const list = await bot.v1("GET", "/agents");
      expect(list.json.map((x: { name: string }) => x.name)).not.toContain("new");
    });

    it("cannot be created for an unknown agent (400)", async () => {
      const res = await owner.as("POST", "/api/api-keys", { label: "bad scope", agentIds: [a, "no-such-agent"] });
      expectError(res, 400, ["agentIds.1"]);
      const list = await owner.as("GET", "/api/api-keys");
      expect(list.json.data.map((k: { label: string }) => k.label)).not.toContain("bad scope");
    });
  });
});

describe("agents (v1)", () => {
  it("GET /agents lists the agents in the Agent shape, without the webhook secret", async () => {
    const res = await bot.v1("GET", "/agents");
    expect(res.status).toBe(200);
    const agent = res.json.find((a: { id: string }) => a.id === bot.agent.id);
    expect(Object.keys(agent).sort()).toEqual([...AGENT_KEYS].sort());
    expect(agent).toMatchObject({ id: bot.agent.id, name: "Main bot", description: null, webhookUrl: null });
    expect(agent.createdAt).toMatch(ISO);
  });

  it("POST /agents creates an agent (201)", async () => {
    const body = { name: "Nightly", description: "Runs at night", avatarUrl: "https://example.com/a.png", webhookUrl: "https://example.com/hook" };
    const res = await bot.v1("POST", "/agents", body);
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject(body);
    expect(res.json.id).toMatch(URL_SAFE);
    expect(res.json.createdAt).toMatch(ISO);
    expect(res.json).not.toHaveProperty("webhookSecret");
    const list = await bot.v1("GET", "/agents");
    expect(list.json.find((a: { id: string }) => a.id === res.json.id)).toMatchObject(body);
    // The owner's view has the secret.
    const mine = await owner.as("GET", `/api/agents/${res.json.id}`);
    expect(mine.json.webhookSecret).toMatch(/^whsec_/);
  });

  it("POST /agents validates its body", async () => {
    expectError(await bot.v1("POST", "/agents", {}), 400, ["name"]);
    expectError(await bot.v1("POST", "/agents", { name: "" }), 400, ["name"]);
    expectError(await bot.v1("POST", "/agents", { name: "x", webhookUrl: "ftp://example.com/hook" }), 400, ["webhookUrl"]);
    expectError(await bot.v1("POST", "/agents", { name: "x", avatarUrl: "javascript:alert(1)" }), 400, ["avatarUrl"]);
    expectError(await bot.v1("POST", "/agents", { name: "x", colour: "red" }), 400);
  });

  it("PATCH /agents/:id changes an agent", async () => {
    const id = await newChannel("Before");
    const res = await bot.v1("PATCH", `/agents/${id}`, { name: "After", description: "changed" });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ id, name: "After", description: "changed" });
    const list = await bot.v1("GET", "/agents");
    expect(list.json.find((a: { id: string }) => a.id === id)).toMatchObject({ name: "After", description: "changed" });
    const cleared = await bot.v1("PATCH", `/agents/${id}`, { description: null });
    expect(cleared.json).toMatchObject({ name: "After", description: null });
    expectError(await bot.v1("PATCH", `/agents/${id}`, {}), 400);
    expectError(await bot.v1("PATCH", `/agents/${id}`, { name: "" }), 400, ["name"]);
    expectError(await bot.v1("PATCH", "/agents/no-such-agent", { name: "x" }), 404);
  });

  it("DELETE /agents/:id removes the agent and its messages", async () => {
    const id = await newChannel("Doomed");
    const plain = await post(id, { text: "bye" });
    const review = await postReview(id);
    const waiting = bot.v1("GET", `/reviews/${review.id}/wait?channel=${id}&timeout=10000`);
    await sleep(100);
    const res = await bot.v1("DELETE", `/agents/${id}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ id, deleted: true });
    expectError(await waiting, 404);
    expect((await bot.v1("GET", "/agents")).json.map((a: { id: string }) => a.id)).not.toContain(id);
    expectError(await bot.v1("GET", `/messages?channel=${id}`), 404);
    expectError(await bot.v1("GET", `/messages/${plain.json.id}`), 404);
    expectError(await bot.v1("GET", `/reviews/${review.id}`), 404);
    expectError(await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "approve" } }), 404);
    const inbox = await owner.as("GET", "/api/reviews?status=all");
    expect(inbox.json.data.map((m: { id: string }) => m.id)).not.toContain(review.id);
    expectError(await owner.as("GET", `/api/agents/${id}`), 404);
    expectError(await bot.v1("DELETE", `/agents/${id}`), 404);
  });
});

describe("status ping", () => {
  it("sets the status; statusSince moves only when the status changes; history is written", async () => {
    const id = await newChannel("Pinger");
    const first = await bot.v1("POST", "/status/ping", { agentId: id, status: "active", message: "Processing 42 tasks" });
    expect(first.status, first.text).toBe(200);
    expect(Object.keys(first.json).sort()).toEqual([...AGENT_KEYS].sort());
    expect(first.json).toMatchObject({ id, status: "active", statusMessage: "Processing 42 tasks" });
    expect(first.json.statusSince).toMatch(ISO);
    expect(first.json.lastActiveAt).toMatch(ISO);

    await sleep(20);
    const same = await bot.v1("POST", "/status/ping", { agentId: id, status: "active", message: "Processing 41 tasks" });
    expect(same.json).toMatchObject({ status: "active", statusMessage: "Processing 41 tasks", statusSince: first.json.statusSince });

    await sleep(20);
    const busy = await bot.v1("POST", "/status/ping", { agentId: id, status: "busy" });
    expect(busy.json.status).toBe("busy");
    expect(busy.json.statusSince > first.json.statusSince).toBe(true);

    const listed = (await bot.v1("GET", "/agents")).json.find((a: { id: string }) => a.id === id);
    expect(listed).toMatchObject({ status: "busy", statusSince: busy.json.statusSince });

    const history = await owner.as("GET", `/api/agents/${id}/status-history`);
    expect(history.status).toBe(200);
    expect(history.json.data.map((h: { status: string }) => h.status)).toEqual(["busy", "active", "active"]);
    expect(history.json.data[1]).toMatchObject({ status: "active", message: "Processing 41 tasks" });
    for (const h of history.json.data) expect(h.createdAt).toMatch(ISO);
    const one = await owner.as("GET", `/api/agents/${id}/status-history?limit=1`);
    expect(one.json.data.map((h: { status: string }) => h.status)).toEqual(["busy"]);
  });

  it("validates the ping", async () => {
    expectError(await bot.v1("POST", "/status/ping", { agentId: bot.agent.id, status: "sleeping" }), 400, ["status"]);
    expectError(await bot.v1("POST", "/status/ping", { agentId: bot.agent.id }), 400, ["status"]);
    expectError(await bot.v1("POST", "/status/ping", { agentId: "no-such-agent", status: "active" }), 404);
  });
});

describe("messages", () => {
  it("POST /messages: 201 with the whole message; seq grows by one", async () => {
    const id = await newChannel("Poster");
    const first = await post(id, { text: "## Build Complete", status: "success", metadata: { buildId: "build-123", duration: 2.3 } });
    expect(first.status, first.text).toBe(201);
    expect(Object.keys(first.json).sort()).toEqual([...MESSAGE_KEYS].sort());
    expect(first.json).toMatchObject({
      channelId: id,
      seq: 1,
      senderType: "agent",
      senderId: id,
      text: "## Build Complete",
      status: "success",
      review: null,
      metadata: { buildId: "build-123", duration: 2.3 },
      deliveryStatus: "sent",
      attachments: [],
    });
    expect(first.json.id).toMatch(URL_SAFE);
    expect(first.json.createdAt).toMatch(ISO);
    const second = await post(id, { status: "warning" });
    expect(second.status).toBe(201);
    expect(second.json.seq).toBe(2);
    expect(second.json.text).toBeNull();
    const third = await post(id, { text: "with review", review: approval });
    expect(third.json.seq).toBe(3);
    expect(third.json.review).toMatchObject({ type: "approval", payload: approval.payload, status: "pending", response: null });
  });

  it("POST /messages validates its body", async () => {
    expectError(await post(bot.agent.id, {}), 400);
    expectError(await post(bot.agent.id, { text: "x", status: "fatal" }), 400, ["status"]);
    expectError(await post(bot.agent.id, { text: 42 }), 400, ["text"]);
    expectError(await post(bot.agent.id, { text: "x", webhookUrl: "not a url" }), 400, ["webhookUrl"]);
    expectError(await post("no-such-agent", { text: "x" }), 404);
  });

  it("channelId may be omitted when the user has exactly one agent, else 400 naming channelId", async () => {
    const solo = browser(await addMember(owner));
    const soloBot = await agentWithKey(solo, "Solo");
    const res = await soloBot.v1("POST", "/messages", { text: "no channel given" });
    expect(res.status, res.text).toBe(201);
    expect(res.json.channelId).toBe(soloBot.agent.id);
    const listed = await soloBot.v1("GET", "/messages");
    expect(listed.status).toBe(200);
    expect(listed.json.data.map((m: { id: string }) => m.id)).toEqual([res.json.id]);

    expect((await solo.as("POST", "/api/agents", { name: "Second" })).status).toBe(201);
    const ambiguous = await soloBot.v1("POST", "/messages", { text: "which one?" });
    expectError(ambiguous, 400, ["channelId"]);
    expect(ambiguous.json.message).toContain("channelId");
    expectError(await soloBot.v1("GET", "/messages"), 400, ["channelId"]);
  });

  it("Idempotency-Key and clientId: a retry returns the first message and creates nothing", async () => {
    const id = await newChannel("Idempotent");
    const first = await post(id, { text: "once" }, { "Idempotency-Key": "job-1" });
    expect(first.status).toBe(201);
    const retry = await post(id, { text: "once" }, { "Idempotency-Key": "job-1" });
    expect(retry.status).toBeLessThan(300);
    expect(retry.json).toEqual(first.json);

    const byClient = await post(id, { text: "client", clientId: "c-1" });
    expect(byClient.status).toBe(201);
    expect(byClient.json.seq).toBe(first.json.seq + 1);
    const clientRetry = await post(id, { text: "client", clientId: "c-1" });
    expect(clientRetry.json.id).toBe(byClient.json.id);
    expect(clientRetry.json.seq).toBe(byClient.json.seq);

    const next = await post(id, { text: "fresh" });
    expect(next.json.seq).toBe(byClient.json.seq + 1);
    const list = await bot.v1("GET", `/messages?channel=${id}`);
    expect(list.json.data.map((m: { text: string }) => m.text)).toEqual(["fresh", "client", "once"]);

    expectError(await post(id, { text: "x" }, { "Idempotency-Key": "k".repeat(201) }), 400, ["Idempotency-Key"]);
    // The same key in another channel is another message.
    const elsewhere = await post(bot.agent.id, { text: "once" }, { "Idempotency-Key": "job-1" });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.json.id).not.toBe(first.json.id);
  });

  describe("listing", () => {
    let id: string;
    const texts = ["alpha one", "beta two", "gamma three", "delta four", "epsilon five"];

    beforeAll(async () => {
      id = await newChannel("Lister");
      for (const text of texts) expect((await post(id, { text })).status).toBe(201);
    });

    it("newest first, paged with limit and cursor", async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      const pages: number[][] = [];
      do {
        const res = await bot.v1("GET", `/messages?channel=${id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        expect(res.status, res.text).toBe(200);
        pages.push(res.json.data.map((m: { seq: number }) => m.seq));
        seen.push(...res.json.data.map((m: { seq: number }) => m.seq));
        cursor = res.json.nextCursor;
      } while (cursor && pages.length < 10);
      expect(pages).toEqual([[5, 4], [3, 2], [1]]);
      const all = await bot.v1("GET", `/messages?channel=${id}`);
      expect(all.json.data.map((m: { text: string }) => m.text)).toEqual([...texts].reverse());
      expect(all.json.nextCursor).toBeNull();
    });

    it("the default page is 50, the largest 100", async () => {
      const many = await newChannel("Many");
      for (let i = 1; i <= 51; i++) expect((await post(many, { text: `n${i}` })).status).toBe(201);
      const page = await bot.v1("GET", `/messages?channel=${many}`);
      expect(page.json.data).toHaveLength(50);
      expect(page.json.data[0].seq).toBe(51);
      expect(page.json.nextCursor).not.toBeNull();
      const rest = await bot.v1("GET", `/messages?channel=${many}&cursor=${encodeURIComponent(page.json.nextCursor)}`);
      expect(rest.json.data.map((m: { seq: number }) => m.seq)).toEqual([1]);
      expect((await bot.v1("GET", `/messages?channel=${many}&limit=100`)).json.data).toHaveLength(51);
    });

    it("after=<seq>: oldest first, only seq > after", async () => {
      const res = await bot.v1("GET", `/messages?channel=${id}&after=2`);
      expect(res.status).toBe(200);
      expect(res.json.data.map((m: { seq: number }) => m.seq)).toEqual([3, 4, 5]);
      expect((await bot.v1("GET", `/messages?channel=${id}&after=5`)).json.data).toEqual([]);
      expect((await bot.v1("GET", `/messages?channel=${id}&after=0&limit=2`)).json.data.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
    });

    it("search finds messages by text", async () => {
      const res = await bot.v1("GET", `/messages?channel=${id}&search=gamma`);
      expect(res.json.data.map((m: { text: string }) => m.text)).toEqual(["gamma three"]);
      expect((await bot.v1("GET", `/messages?channel=${id}&search=nothing-like-this`)).json.data).toEqual([]);
      // LIKE wildcards are plain characters.
      expect((await bot.v1("GET", `/messages?channel=${id}&search=${encodeURIComponent("%")}`)).json.data).toEqual([]);
    });

    it("rejects bad list parameters with 400", async () => {
      expectError(await bot.v1("GET", `/messages?channel=${id}&limit=101`), 400, ["query.limit"]);
      expectError(await bot.v1("GET", `/messages?channel=${id}&limit=0`), 400, ["query.limit"]);
      expectError(await bot.v1("GET", `/messages?channel=${id}&after=-1`), 400, ["query.after"]);
      expectError(await bot.v1("GET", `/messages?channel=${id}&cursor=not-a-cursor`), 400);
      expectError(await bot.v1("GET", "/messages?channel=no-such-agent"), 404);
    });
  });

  it("GET /messages/:id returns the message; 404 when unknown or in another channel", async () => {
    const id = await newChannel("Getter");
    const other = await newChannel("Other");
    const posted = await post(id, { text: "find me", metadata: { k: "v" } });
    const res = await bot.v1("GET", `/messages/${posted.json.id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual(posted.json);
    expect((await bot.v1("GET", `/messages/${posted.json.id}?channel=${id}`)).status).toBe(200);
    expectError(await bot.v1("GET", `/messages/${posted.json.id}?channel=${other}`), 404);
    expectError(await bot.v1("GET", "/messages/no-such-message"), 404);
  });

  it("POST /messages/:id/ack: acknowledged, deliveryStatus becomes agent_received", async () => {
    const posted = await post(bot.agent.id, { text: "ack me" });
    const res = await bot.v1("POST", `/messages/${posted.json.id}/ack?channel=${bot.agent.id}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ acknowledged: true });
    expect((await bot.v1("GET", `/messages/${posted.json.id}`)).json.deliveryStatus).toBe("agent_received");
    // Acking twice is harmless.
    expect((await bot.v1("POST", `/messages/${posted.json.id}/ack`)).json).toEqual({ acknowledged: true });
    expectError(await bot.v1("POST", "/messages/no-such-message/ack"), 404);
  });

  it("DELETE /messages/:id retracts the message (then 404)", async () => {
    const posted = await post(bot.agent.id, { text: "oops" });
    const res = await bot.v1("DELETE", `/messages/${posted.json.id}`);
    expect(res.status, res.text).toBe(200);
    expectError(await bot.v1("GET", `/messages/${posted.json.id}`), 404);
    expectError(await bot.v1("DELETE", `/messages/${posted.json.id}`), 404);
    const list = await bot.v1("GET", `/messages?channel=${bot.agent.id}`);
    expect(list.json.data.map((m: { id: string }) => m.id)).not.toContain(posted.json.id);
  });

  it("DELETE of a pending review: a parked wait on it answers 404, the review cannot be answered", async () => {
    const review = await postReview(bot.agent.id);
    const started = Date.now();
    const waiting = bot.v1("GET", `/reviews/${review.id}/wait?channel=${bot.agent.id}&timeout=10000`);
    await sleep(100);
    expect((await bot.v1("DELETE", `/messages/${review.id}`)).status).toBe(200);
    expectError(await waiting, 404);
    expect(Date.now() - started).toBeLessThan(5000);
    expectError(await bot.v1("GET", `/reviews/${review.id}/wait?timeout=50`), 404);
    expectError(await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "approve" } }), 404);
    const pending = await bot.v1("GET", "/reviews/pending");
    expect(pending.json.map((m: { id: string }) => m.id)).not.toContain(review.id);
  });
});

describe("reviews", () => {
  it("GET /reviews/pending lists pending reviews only, as a bare array", async () => {
    const id = await newChannel("Pending");
    const r1 = await postReview(id, approval, "first");
    const r2 = await postReview(id, { type: "text-input", payload: { placeholder: "why?" } }, "second");
    await post(id, { text: "no review here" });
    const res = await bot.v1("GET", `/reviews/pending?channel=${id}`);
    expect(res.status).toBe(200);
    expect(res.json.map((m: { id: string }) => m.id)).toEqual([r2.id, r1.id]);
    for (const m of res.json) expect(m.review.status).toBe("pending");

    expect((await owner.as("POST", `/api/messages/${r1.id}/respond`, { response: { selectedOption: "reject" } })).status).toBe(200);
    const after = await bot.v1("GET", `/reviews/pending?channel=${id}`);
    expect(after.json.map((m: { id: string }) => m.id)).toEqual([r2.id]);
    // Without channel: across the key's agents.
    const all = await bot.v1("GET", "/reviews/pending");
    expect(all.json.map((m: { id: string }) => m.id)).toContain(r2.id);
    expect(all.json.map((m: { id: string }) => m.id)).not.toContain(r1.id);
    expectError(await bot.v1("GET", "/reviews/pending?channel=no-such-agent"), 404);
  });

  it("GET /reviews/:id: the message with its review; 404 without a review", async () => {
    const review = await postReview(bot.agent.id);
    const res = await bot.v1("GET", `/reviews/${review.id}?channel=${bot.agent.id}`);
    expect(res.status).toBe(200);
    expect(res.json.id).toBe(review.id);
    expect(res.json.review).toEqual({
      type: "approval",
      payload: approval.payload,
      status: "pending",
      response: null,
      expiresAt: expect.stringMatching(ISO),
      completedAt: null,
      completed_at: null,
      feedback: null,
      // No review policy: every member may answer, no quorum, nothing settled yet.
      assignees: null,
      quorum: null,
      onExpire: null,
      remind: null,
      escalate: null,
      priority: null,
      votes: [],
      respondedBy: null,
      resolution: null,
      via: null,
    });
    // Default expiry: 24 h.
    const inMs = Date.parse(res.json.review.expiresAt) - Date.parse(res.json.createdAt);
    expect(Math.abs(inMs - 86_400_000)).toBeLessThan(60_000);

    const plain = await post(bot.agent.id, { text: "nothing to review" });
    expectError(await bot.v1("GET", `/reviews/${plain.json.id}`), 404);
    expectError(await bot.v1("GET", `/reviews/${plain.json.id}/wait?timeout=50`), 404);
    expectError(await bot.v1("GET", "/reviews/no-such-message"), 404);
  });

  it("wait: timeout when nobody answers", async () => {
    const review = await postReview(bot.agent.id);
    const started = Date.now();
    const res = await bot.v1("GET", `/reviews/${review.id}/wait?channel=${bot.agent.id}&timeout=50`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: "timeout" });
    expect(Date.now() - started).toBeLessThan(5000);
    expectError(await bot.v1("GET", `/reviews/${review.id}/wait?timeout=-1`), 400, ["query.timeout"]);
    expectError(await bot.v1("GET", `/reviews/${review.id}/wait?timeout=soon`), 400, ["query.timeout"]);
  });

  it("wait returns the moment the review is answered, with the answer", async () => {
    const review = await postReview(bot.agent.id);
    const started = Date.now();
    const waiting = bot.v1("GET", `/reviews/${review.id}/wait?channel=${bot.agent.id}&timeout=15000`);
    await sleep(100);
    const answered = await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "approve", comment: "ship it" } });
    expect(answered.status).toBe(200);
    const res = await waiting;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.json.status).toBe("completed");
    expect(res.json.message.id).toBe(review.id);
    expect(res.json.message.review).toMatchObject({ status: "completed", response: { selectedOption: "approve", comment: "ship it" } });
    expect(res.json.message.review.completedAt).toMatch(ISO);
    expect(res.json.message.review.completed_at).toBe(res.json.message.review.completedAt);
    // Asked again later: completed at once.
    const again = await bot.v1("GET", `/reviews/${review.id}/wait?timeout=10000`);
    expect(again.json).toEqual(res.json);
    const stored = await bot.v1("GET", `/reviews/${review.id}`);
    expect(stored.json.review.status).toBe("completed");
  });

  it("expiry: a parked wait says expired when the review expires; answering it is 410", async () => {
    const review = await postReview(bot.agent.id, { ...approval, expiresInSeconds: 1 });
    expect(Date.parse(review.review.expiresAt) - Date.parse(review.createdAt)).toBeLessThanOrEqual(1500);
    const started = Date.now();
    const res = await bot.v1("GET", `/reviews/${review.id}/wait?channel=${bot.agent.id}&timeout=10000`);
    const took = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("expired");
    expect(res.json.message.id).toBe(review.id);
    expect(res.json.message.review.status).toBe("expired");
    expect(took).toBeLessThan(5000);

    expectError(await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "approve" } }), 410);
    expect((await bot.v1("GET", `/reviews/${review.id}/wait?timeout=50`)).json.status).toBe("expired");
    expect((await bot.v1("GET", `/reviews/${review.id}`)).json.review).toMatchObject({ status: "expired", response: null });
    const pending = await bot.v1("GET", "/reviews/pending");
    expect(pending.json.map((m: { id: string }) => m.id)).not.toContain(review.id);
  });

  it("a review past its expiresAt is expired everywhere, even when nobody waited on it", async () => {
    const id = await newChannel("Lapsing");
    const review = await postReview(id, { ...approval, expiresAt: new Date(Date.now() + 400).toISOString() });
    await sleep(800);
    const got = await bot.v1("GET", `/reviews/${review.id}`);
    expect(got.json.review.status).toBe("expired");
    const pending = await bot.v1("GET", `/reviews/pending?channel=${id}`);
    expect(pending.json.map((m: { id: string }) => m.id)).not.toContain(review.id);
    const expired = await owner.as("GET", `/api/reviews?status=expired&channel=${id}`);
    expect(expired.json.data.map((m: { id: string }) => m.id)).toEqual([review.id]);
    expectError(await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "approve" } }), 410);
  });

  it("expiry rules: past expiresAt is 400, later than 36 h is capped, expiresInSeconds wins", async () => {
    const past = await post(bot.agent.id, { text: "late", review: { ...approval, expiresAt: new Date(Date.now() - 60_000).toISOString() } });
    expectError(past, 400, ["review.expiresAt"]);

    const far = await postReview(bot.agent.id, { ...approval, expiresAt: new Date(Date.now() + 72 * 3600_000).toISOString() });
    const farIn = Date.parse(far.review.expiresAt) - Date.parse(far.createdAt);
    expect(Math.abs(farIn - 36 * 3600_000)).toBeLessThan(60_000);

    const both = await postReview(bot.agent.id, { ...approval, expiresInSeconds: 60, expiresAt: new Date(Date.now() + 10 * 3600_000).toISOString() });
    const bothIn = Date.parse(both.review.expiresAt) - Date.parse(both.createdAt);
    expect(Math.abs(bothIn - 60_000)).toBeLessThan(5_000);

    expectError(await post(bot.agent.id, { text: "x", review: { ...approval, expiresInSeconds: 0 } }), 400, ["review.expiresInSeconds"]);
    expectError(await post(bot.agent.id, { text: "x", review: { ...approval, expiresAt: "tomorrow" } }), 400, ["review.expiresAt"]);
  });

  it("every review type can be posted and shows its payload", async () => {
    const reviews = [
      approval,
      {
        type: "selection",
        payload: {
          mode: "multi",
          items: [
            { id: "a", label: "A", description: "first" },
            { id: "b", label: "B" },
          ],
        },
      },
      {
        type: "form",
        payload: { fields: [{ name: "env", type: "select", label: "Env", required: true, options: [{ value: "prod", label: "Prod" }] }], submitLabel: "Go" },
      },
      { type: "text-input", payload: { placeholder: "Describe", markdown: true, minLength: 1, maxLength: 100 } },
      { type: "freeform", payload: { plugin: "diff", anything: [1, 2] } },
    ];
    for (const review of reviews) {
      const posted = await postReview(bot.agent.id, review);
      expect(posted.review).toMatchObject({ type: review.type, payload: review.payload, status: "pending" });
    }
  });
});

describe("plugins", () => {
  it("GET /plugins lists manifests, GET /plugins/:name returns one, 404 for unknown", async () => {
    const list = await bot.v1("GET", "/plugins");
    expect(list.status).toBe(200);
    expect(list.json.length).toBeGreaterThan(0);
    for (const p of list.json) {
      expect(p).toMatchObject({ name: expect.any(String), displayName: expect.any(String), version: expect.any(String), description: expect.any(String) });
      const one = await bot.v1("GET", `/plugins/${encodeURIComponent(p.name)}`);
      expect(one.status).toBe(200);
      expect(one.json).toEqual(p);
    }
    expectError(await bot.v1("GET", "/plugins/no-such-plugin"), 404);
    expectError(await call("GET", "/api/v1/plugins"), 401);
  });
});

describe("errors (v1)", () => {
  it("invalid JSON is 400, a non-JSON content type is 415, an unknown route is 404", async () => {
    const broken = await call("POST", "/api/v1/messages", { raw: "{not json", headers: { "x-api-key": bot.apiKey, "content-type": "application/json" } });
    expectError(broken, 400);
    const plain = await call("POST", "/api/v1/messages", { raw: "text=hi", headers: { "x-api-key": bot.apiKey, "content-type": "text/plain" } });
    expectError(plain, 415);
    const form = await call("POST", "/api/v1/agents", {
      raw: "name=x",
      headers: { "x-api-key": bot.apiKey, "content-type": "application/x-www-form-urlencoded" },
    });
    expectError(form, 415);
    expectError(await bot.v1("GET", "/no-such-route"), 404);
    expectError(await bot.v1("POST", "/messages/x/y/z", { text: "x" }), 404);
    // Nothing was stored by the broken posts.
    const list = await bot.v1("GET", `/messages?channel=${bot.agent.id}&search=${encodeURIComponent("text=hi")}`);
    expect(list.json.data).toEqual([]);
  });

  it("a body that is valid JSON but not an object is 400, never 500", async () => {
    for (const raw of ["[]", "null", "42", '"text"']) {
      const res = await call("POST", "/api/v1/messages", { raw, headers: { "x-api-key": bot.apiKey, "content-type": "application/json" } });
      expectError(res, 400);
    }
  });
});
