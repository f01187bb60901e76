// Hardening II: each test guards a hole a review or a probe found (issue 12), named after the problem.
// Production's D1 limits are enforced for every query here by the test entry (test/d1-limits).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../contract/limits";
import { roomOf } from "../../worker/room";
import { agentWithKey, approval, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, form, raw, textFile, type Bot } from "./api-helpers";
import { connectSocket } from "./socket-helpers";
import { sleep, sessionCookie } from "../common";

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Hardening bot");
});

const stub = (channelId: string) => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId));
const upload = (path: string, fd: FormData | ReadableStream, headers: Record<string, string> = {}) =>
  call("POST", `/api/v1${path}`, { raw: fd as BodyInit, headers: { "x-api-key": bot.apiKey, ...headers } });
const count = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>("n")) ?? 0;

/** Stored, unattached files, written straight to D1 and R2 as /files/store leaves them (the posts are under test here, not the stores). */
async function storedFiles(channelId: string, names: string[]): Promise<string[]> {
  const now = new Date().toISOString();
  const rows = names.map((name, i) => ({ id: `file-${channelId.slice(-6)}-${name}-${i}`, name }));
  await Promise.all(rows.map((r) => env.FILES.put(`${owner.id}/${channelId}/${r.id}`, r.name)));
  await env.DB.batch(
    rows.map((r) =>
      env.DB.prepare(
        "INSERT INTO attachments (id, user_id, channel_id, message_id, position, r2_key, filename, mime_type, size, created_at) VALUES (?, ?, ?, NULL, 0, ?, ?, 'text/plain', ?, ?)",
      ).bind(r.id, owner.id, channelId, `${owner.id}/${channelId}/${r.id}`, `${r.name}.txt`, r.name.length, now),
    ),
  );
  return rows.map((r) => r.id);
}

describe("D1's 100 bound parameters per query", () => {
  it("20 concurrent posts with 20 attachments each: all 201, each with its own files, seq gap-free", async () => {
    const channel = (await owner.as("POST", "/api/agents", { name: "Many files" })).json.id as string;
    const fileIds = await Promise.all(
      Array.from({ length: 20 }, (_, p) =>
        storedFiles(
          channel,
          Array.from({ length: 20 }, (_, f) => `p${p}f${f}`),
        ),
      ),
    );
    const posts = await Promise.all(fileIds.map((ids, p) => bot.v1("POST", "/messages", { channelId: channel, text: `post ${p}`, attachmentIds: ids })));
    expect(posts.map((r) => r.status)).toEqual(Array(20).fill(201));
    for (const [p, res] of posts.entries()) expect(res.json.attachments.map((a: { id: string }) => a.id)).toEqual(fileIds[p]);
    expect(posts.map((r) => r.json.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each file is linked at its place in its own message.
    const stored = await bot.v1("GET", `/messages/${posts[7]!.json.id}`);
    expect(stored.json.attachments.map((a: { filename: string }) => a.filename)).toEqual(Array.from({ length: 20 }, (_, f) => `p7f${f}.txt`));
  }, 60_000);

  it("100 concurrent posts with distinct Idempotency-Keys: all 201, and a retry of each replays it", async () => {
    const channel = (await owner.as("POST", "/api/agents", { name: "Keyed" })).json.id as string;
    const send = (i: number) => bot.v1("POST", "/messages", { channelId: channel, text: `keyed ${i}` }, { "idempotency-key": `key-${i}` });
    const first = await Promise.all(Array.from({ length: 100 }, (_, i) => send(i)));
    expect(first.map((r) => r.status)).toEqual(Array(100).fill(201));
    const again = await Promise.all(Array.from({ length: 100 }, (_, i) => send(i)));
    expect(again.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(again.map((r) => r.json.id)).toEqual(first.map((r) => r.json.id));
    expect(await count("SELECT count(*) AS n FROM messages WHERE channel_id = ?", channel)).toBe(100);
  }, 60_000);

  it("an upload of up to 20 files is one message; 25 files is a 400 naming the limit, and nothing is stored", async () => {
    const channel = (await owner.as("POST", "/api/agents", { name: "Uploads" })).json.id as string;
    const files = (n: number) => Array.from({ length: n }, (_, i) => textFile(`file ${i}`, `f${i}.txt`));
    const twenty = await upload("/files/upload", form({ file: files(20), channelId: channel }));
    expect(twenty.status, twenty.text).toBe(201);
    expect(twenty.json.message.attachments).toHaveLength(20);
    const before = await count("SELECT count(*) AS n FROM attachments WHERE channel_id = ?", channel);
    const objects = (await env.FILES.list()).objects.length;
    const tooMany = await upload("/files/upload", form({ file: files(25), channelId: channel }));
    expectError(tooMany, 400, ["file"]);
    expect(tooMany.json.message).toContain(`at most ${LIMITS.attachmentsPerMessage} files`);
    expect(await count("SELECT count(*) AS n FROM attachments WHERE channel_id = ?", channel)).toBe(before);
    expect((await env.FILES.list()).objects.length).toBe(objects);
    expect(await count("SELECT count(*) AS n FROM messages WHERE channel_id = ?", channel)).toBe(1);
  });

  it("a user with 1,000 agents gets a working inbox, pending list and an API key scoped to 100 agents", async () => {
    const { crowd, ids } = await crowdOfAgents();
    const key = await crowd.as("POST", "/api/api-keys", { label: "hundred", agentIds: ids.slice(900) });
    expect(key.status, key.text).toBe(201);
    const v1 = (path: string, body?: unknown) => call(body ? "POST" : "GET", `/api/v1${path}`, { body, headers: { "x-api-key": key.json.key } });
    const asked = await v1("/messages", { channelId: ids[999], text: "last agent asks", review: approval });
    expect(asked.status, asked.text).toBe(201);
    const inbox = await crowd.as("GET", "/api/reviews?status=pending");
    expect(inbox.status, inbox.text).toBe(200);
    expect(inbox.json.data.map((m: { id: string }) => m.id)).toEqual([asked.json.id]);
    const pending = await v1("/reviews/pending");
    expect(pending.status, pending.text).toBe(200);
    expect(pending.json.map((m: { id: string }) => m.id)).toEqual([asked.json.id]);
    const agents = await crowd.as("GET", "/api/agents");
    expect(agents.status, agents.text).toBe(200);
    expect(agents.json.data).toHaveLength(1000);
  }, 60_000);

  // Subscriptions once lived in the socket's attachment, which holds 16 KiB: about 650 channel ids. The
  // write failed past that, silently, and the channels subscribed after it never got an event.
  it("a person with 1,000 agents follows all of them on one socket, in one subscribe:channels, and gets every channel's events", async () => {
    const { crowd, ids } = await crowdOfAgents();
    const ticket = (await crowd.as("POST", "/api/auth/ws-ticket", {})).json.ticket as string;
    const s = await connectSocket();
    expect(await s.sioConnect({ token: ticket })).toMatch(/^40\/ws,/);
    const subscribe = async (n: number, channels: string[]) => {
      s.ws.send(`42/ws,${n}${JSON.stringify(["subscribe:channels", channels])}`);
      return JSON.parse((await s.next((f) => f.startsWith(`43/ws,${n}[`), 20_000)).slice(`43/ws,${n}`.length))[0];
    };
    expect(await subscribe(1, [...ids, "one-too-many"])).toMatchObject({ ok: false, error: expect.stringContaining("1000") });
    expect(await subscribe(2, ids)).toEqual({ ok: true, channelIds: ids, refused: [] });
    // Another person's agent is refused like an unknown one, and its events never come.
    expect(await subscribe(3, [bot.agent.id, "no-such-agent"])).toEqual({ ok: true, channelIds: [], refused: [bot.agent.id, "no-such-agent"] });
    for (const i of [0, 650, 999]) expect((await crowd.as("POST", "/api/messages", { channelId: ids[i], text: `to agent ${i}` })).status).toBe(201);
    await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "not for the crowd" });
    for (const i of [0, 650, 999]) await s.next((f) => f.includes('"message:created"') && f.includes(`"to agent ${i}"`), 5000);
    expect(s.frames.some((f) => f.includes("not for the crowd"))).toBe(false);
    s.ws.close();
  }, 60_000);
});

let crowdAgents: string[] | undefined;
/** The second account with 1,000 agents (inserted straight into D1, once per file): each test can run alone. */
async function crowdOfAgents(): Promise<{ crowd: Person; ids: string[] }> {
  const crowd = await secondAccount();
  if (!crowdAgents) {
    const ids = Array.from({ length: 1000 }, (_, i) => `crowd-agent-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < ids.length; i += 100) {
      await env.DB.batch(
        ids
          .slice(i, i + 100)
          .map((id) =>
            env.DB.prepare("INSERT INTO agents (id, user_id, name, webhook_secret, status, created_at) VALUES (?, ?, ?, 'whsec_x', 'offline', ?)").bind(
              id,
              crowd.id,
              id,
              new Date().toISOString(),
            ),
          ),
      );
    }
    crowdAgents = ids;
  }
  return { crowd, ids: crowdAgents };
}

let crowd: Person | undefined;
/** A second account (an owner the first owner creates), made once. */
async function secondAccount(): Promise<Person> {
  if (crowd) return crowd;
  const email = "crowd@example.com";
  const password = "crowd password 1";
  const created = await owner.as("POST", "/api/users", { email, password, displayName: "Crowd", role: "owner" });
  expect(created.status, created.text).toBe(201);
  const login = await call("POST", "/api/auth/login", { body: { email, password } });
  const cookie = sessionCookie(login);
  crowd = browser({ id: created.json.id, cookie, email, as: (m, p, b, h = {}) => call(m, p, { body: b, headers: { cookie, ...h } }) });
  return crowd;
}

describe("D1's other limits", () => {
  it("a search of any accepted length (up to 200 characters, with % _ and \\) works on a channel with rows", async () => {
    const channel = (await owner.as("POST", "/api/agents", { name: "Search" })).json.id as string;
    const long = `${"100%_sure\\".repeat(19)}end`; // 193 characters, every LIKE wildcard and the escape
    await bot.v1("POST", "/messages", { channelId: channel, text: `before ${long} after` });
    await bot.v1("POST", "/messages", { channelId: channel, text: "100 sure, no wildcards here" });
    for (const search of [long, long.slice(0, 49), "X".repeat(200), "100%", "_SURE\\"]) {
      const res = await bot.v1("GET", `/messages?channel=${channel}&search=${encodeURIComponent(search)}`);
      expect(res.status, `${search}: ${res.text}`).toBe(200);
      const expected = search.startsWith("X") ? [] : [`before ${long} after`];
      expect(
        res.json.data.map((m: { text: string }) => m.text),
        search,
      ).toEqual(expected);
    }
    const inbox = await owner.as("GET", `/api/reviews?status=all&search=${encodeURIComponent("y".repeat(200))}`);
    expect(inbox.status).toBe(200);
  });
});

describe("body size limits, before the body is read", () => {
  it("a chunked upload over the limit is a 413 and stores nothing, even split over two files", async () => {
    const channel = (await owner.as("POST", "/api/agents", { name: "Chunked" })).json.id as string;
    const limit = Number(env.MAX_UPLOAD_BYTES);
    const half = Math.ceil(limit / 2) + 1024;
    const fd = form({ file: [new File([new Uint8Array(half)], "a.bin"), new File([new Uint8Array(half)], "b.bin")], channelId: channel });
    const encoded = new Response(fd);
    const objects = (await env.FILES.list()).objects.length;
    // A stream body has no Content-Length: the size is only known by counting.
    const res = await upload("/files/upload", encoded.body!, { "content-type": encoded.headers.get("content-type")! });
    expectError(res, 413);
    expect(await count("SELECT count(*) AS n FROM attachments WHERE channel_id = ?", channel)).toBe(0);
    expect((await env.FILES.list()).objects.length).toBe(objects);
  });

  it("every JSON body has a cap, the unauthenticated login and setup included: 413 over it", async () => {
    const big = JSON.stringify({ email: "owner@example.com", password: "x".repeat(LIMITS.jsonBodyBytes) });
    for (const path of ["/api/auth/login", "/api/auth/setup"]) {
      const res = await raw("POST", path, { "content-type": "application/json" }, big);
      expect(res.status, path).toBe(413);
      expect(await res.json()).toMatchObject({ statusCode: 413 });
    }
    const stream = new Response(JSON.stringify({ channelId: bot.agent.id, text: "y".repeat(LIMITS.jsonBodyBytes) })).body!;
    const chunked = await raw("POST", "/api/v1/messages", { "content-type": "application/json", "x-api-key": bot.apiKey }, stream);
    expect(chunked.status).toBe(413);
  });

  it("an Engine.IO polling POST over the cap is refused before it is read", async () => {
    const res = await raw("POST", "/socket.io/?EIO=4&transport=polling&sid=0-unknown", { "content-type": "text/plain" }, "4".repeat(1_000_001));
    expect(res.status).toBe(413);
  });

  it("review callback headers and answers are bounded", async () => {
    const headers = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, "v"]));
    const callback = (h: Record<string, string>) => ({ ...approval, callback: { url: "https://hooks.example.com/cb", headers: h } });
    expectError(await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "x", review: callback(headers) }), 400, ["review.callback.headers"]);
    expectError(await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "x", review: callback({ "x-big": "v".repeat(1001) }) }), 400);
    expectError(await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "x", review: callback({ "bad header": "v" }) }), 400);
    const freeform = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "anything", review: { type: "freeform", payload: {} } });
    const tooBig = await owner.as("POST", `/api/messages/${freeform.json.id}/respond`, { response: { blob: "z".repeat(LIMITS.responseBytes) } });
    expectError(tooBig, 400, ["response"]);
    expect((await bot.v1("GET", `/reviews/${freeform.json.id}`)).json.review.status).toBe("pending");
  });

  it("one oversized message is refused alone: the rest of its commit group is stored", async () => {
    const room = roomOf(env, bot.agent.id);
    const base = { channelId: bot.agent.id, userId: owner.id, senderType: "agent" as const, senderId: bot.agent.id, attachmentIds: [] };
    const results = await Promise.all([
      room.post({ ...base, text: "small 1" }),
      room.post({ ...base, text: "x".repeat(LIMITS.messageRowBytes) }),
      room.post({ ...base, text: "small 2" }),
    ]);
    expect(results.map((r) => (r.ok ? 201 : r.status))).toEqual([201, 413, 201]);
  });
});

describe("login limiting", () => {
  it("60 concurrent wrong passwords cost at most 10 password checks: 10 × 401, the rest 429", async () => {
    const headers = { "cf-connecting-ip": "203.0.113.60" };
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call("POST", "/api/auth/login", { body: { email: owner.email, password: `guess ${i}` }, headers })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
  });

  it("failures from other addresses never block the right password from the owner's address", async () => {
    for (let i = 0; i < 12; i++) {
      await call("POST", "/api/auth/login", { body: { email: owner.email, password: `attacker ${i}` }, headers: { "cf-connecting-ip": "198.51.100.7" } });
    }
    const attacker = await call("POST", "/api/auth/login", {
      body: { email: owner.email, password: "correct horse battery" },
      headers: { "cf-connecting-ip": "198.51.100.7" },
    });
    expect(attacker.status).toBe(429);
    const mine = await call("POST", "/api/auth/login", {
      body: { email: owner.email, password: "correct horse battery" },
      headers: { "cf-connecting-ip": "192.0.2.1" },
    });
    expect(mine.status, mine.text).toBe(200);
  });

  it("one address spraying many accounts is stopped after 50 attempts, and other addresses still sign in", async () => {
    const spray = { "cf-connecting-ip": "198.51.100.50" };
    const statuses: number[] = [];
    for (let i = 0; i < 52; i++) {
      statuses.push((await call("POST", "/api/auth/login", { body: { email: `nobody${i}@example.com`, password: "guess" }, headers: spray })).status);
    }
    expect(statuses.slice(0, 50).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(50)).toEqual([429, 429]);
    // Blocked from that address even with the right password, for an account it never tried.
    const sprayed = await call("POST", "/api/auth/login", { body: { email: owner.email, password: "correct horse battery" }, headers: spray });
    expect(sprayed.status).toBe(429);
    expect(Number(sprayed.headers.get("retry-after"))).toBeGreaterThan(0);
    const elsewhere = await call("POST", "/api/auth/login", {
      body: { email: owner.email, password: "correct horse battery" },
      headers: { "cf-connecting-ip": "192.0.2.2" },
    });
    expect(elsewhere.status, elsewhere.text).toBe(200);
  });
});

/** Runs `fn` inside the room with its D1 handle's `batch` replaced, then restores it. */
async function withBatch(channelId: string, replace: (real: (...args: unknown[]) => Promise<unknown>) => (...args: unknown[]) => Promise<unknown>) {
  await runInDurableObject(stub(channelId), (room) => {
    const d = (room as unknown as { db: { batch: (...args: unknown[]) => Promise<unknown> } }).db;
    const real = d.batch.bind(d);
    d.batch = replace(async (...args) => {
      d.batch = real; // once
      return real(...args);
    });
  });
}
const commitThenDie =
  (real: (...args: unknown[]) => Promise<unknown>) =>
  async (...args: unknown[]) => {
    await real(...args);
    throw new Error("the instance died right after the commit");
  };
const dueNow = (channelId: string) => runInDurableObject(stub(channelId), (_room, state) => void state.storage.sql.exec("UPDATE timers SET due_at = 1"));
const deliveriesOf = (messageId: string, event: string) =>
  count("SELECT count(*) AS n FROM webhook_deliveries WHERE message_id = ? AND event = ?", messageId, event);

describe("no side effect lost after a committed write", () => {
  let hooked: string;
  beforeAll(async () => {
    // A public receiver: unreachable from the test runtime, so each attempt is logged as failed — which proves it ran.
    hooked = (await owner.as("POST", "/api/agents", { name: "Hooked", webhookUrl: "https://hooks.example.com/nod" })).json.id;
    // The room reads the key and the channel's owner once (its first batch); the hooks below catch the commit.
    expect((await bot.v1("POST", "/messages", { channelId: hooked, text: "the room knows the key now" })).status).toBe(201);
  });

  it("an answer whose attachment read fails commits nothing: the retry succeeds and the parked wait gets it", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "answer me", review: approval });
    const wait = bot.v1("GET", `/reviews/${posted.json.id}/wait?timeout=10000`);
    await sleep(50);
    await env.DB.prepare("ALTER TABLE attachments RENAME TO attachments_away").run();
    let failed: Awaited<ReturnType<Person["as"]>>;
    try {
      failed = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } });
    } finally {
      await env.DB.prepare("ALTER TABLE attachments_away RENAME TO attachments").run();
    }
    expect(failed.status).toBe(500);
    const retried = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } });
    expect(retried.status, retried.text).toBe(200);
    expect((await wait).json).toMatchObject({ status: "completed", message: { review: { response: { selectedOption: "approve" } } } });
  });

  it("a person's message is delivered to the webhook even when the room dies right after storing it", async () => {
    await withBatch(hooked, commitThenDie);
    const send = () => owner.as("POST", "/api/messages", { channelId: hooked, text: "for the agent" }, { "idempotency-key": "person-1" });
    expect((await send()).status).toBe(500);
    const retry = await send(); // the client retries idempotently: the first message, not a second one
    expect(retry.status).toBe(200);
    await dueNow(hooked);
    await runDurableObjectAlarm(stub(hooked));
    expect(await deliveriesOf(retry.json.id, "message:created")).toBe(1);
  });

  it("a review's expiry survives a room that dies right after storing the review", async () => {
    await withBatch(hooked, commitThenDie);
    const lost = await call("POST", "/api/v1/messages", {
      body: { channelId: hooked, text: "expire me", review: { ...approval, expiresInSeconds: 1 } },
      headers: { "x-api-key": bot.apiKey, "idempotency-key": "expiring-1" },
    });
    expect(lost.status).toBe(500);
    const id = (await env.DB.prepare("SELECT id FROM messages WHERE idempotency_key = 'expiring-1'").first<string>("id"))!;
    await sleep(1100);
    await runDurableObjectAlarm(stub(hooked));
    expect(await env.DB.prepare("SELECT review_status AS s FROM messages WHERE id = ?").bind(id).first("s")).toBe("expired");
    await dueNow(hooked);
    await runDurableObjectAlarm(stub(hooked));
    expect(await deliveriesOf(id, "review:expired")).toBeGreaterThanOrEqual(1);
  });

  it("the expiry webhook is not lost when its first attempt fails", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: hooked, text: "expire, then tell", review: { ...approval, expiresInSeconds: 1 } });
    await sleep(1100);
    await env.DB.prepare("ALTER TABLE agents RENAME TO agents_away").run();
    try {
      await runDurableObjectAlarm(stub(hooked)); // settles the expiry; the webhook's first attempt cannot read the agent
      await sleep(50);
    } finally {
      await env.DB.prepare("ALTER TABLE agents_away RENAME TO agents").run();
    }
    expect(await env.DB.prepare("SELECT review_status AS s FROM messages WHERE id = ?").bind(posted.json.id).first("s")).toBe("expired");
    await dueNow(hooked);
    await runDurableObjectAlarm(stub(hooked));
    expect(await deliveriesOf(posted.json.id, "review:expired")).toBeGreaterThanOrEqual(1);
  });

  it("a review past its expiry never shows as pending, even before the alarm has run", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "no alarm yet", review: { ...approval, expiresInSeconds: 1 } });
    await sleep(1100);
    const pending = await owner.as("GET", "/api/reviews?status=pending");
    expect(pending.json.data.map((m: { id: string }) => m.id)).not.toContain(posted.json.id);
    const expired = await owner.as("GET", "/api/reviews?status=expired");
    expect(expired.json.data.find((m: { id: string }) => m.id === posted.json.id)?.review.status).toBe("expired");
    expect((await bot.v1("GET", "/reviews/pending")).json.map((m: { id: string }) => m.id)).not.toContain(posted.json.id);
  });
});

describe("wait and answer agree", () => {
  it("an answer read before the expiry and committed after it, while a wait reads, reaches the agent as completed", async () => {
    for (let i = 0; i < 3; i++) {
      const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: `close call ${i}`, review: { ...approval, expiresInSeconds: 3 } });
      const due = Date.parse(posted.json.review.expiresAt);
      // The answer's write is held at a gate (the room runs in this isolate), so it commits after the expiry time.
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      await withBatch(bot.agent.id, (real) => async (...args) => {
        await gate;
        return real(...args);
      });
      await sleep(Math.max(0, due - Date.now() - 1500)); // well before the expiry, even on a loaded machine
      const answer = owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } });
      await sleep(Math.max(0, due - Date.now()) + 50);
      const wait = bot.v1("GET", `/reviews/${posted.json.id}/wait?timeout=5000`); // reads "pending, due" meanwhile
      await sleep(500);
      openGate();
      expect((await answer).status).toBe(200);
      expect((await wait).json).toMatchObject({ status: "completed", message: { review: { status: "completed" } } });
      expect(await env.DB.prepare("SELECT review_status AS s FROM messages WHERE id = ?").bind(posted.json.id).first("s")).toBe("completed");
    }
  });
});

describe("seq never goes back", () => {
  it("a deleted newest message's seq is not handed out again, even by a restarted room", async () => {
    const channel = (await owner.as("POST", "/api/agents", { name: "Seq" })).json.id as string;
    const post = (text: string) => bot.v1("POST", "/messages", { channelId: channel, text });
    await post("one");
    const newest = await post("two");
    expect(newest.json.seq).toBe(2);
    expect((await bot.v1("DELETE", `/messages/${newest.json.id}`)).status).toBe(200);
    await runInDurableObject(stub(channel), (_room, state) => state.abort("restart")).catch(() => undefined);
    expect((await post("three")).json.seq).toBe(3);
  });
});

describe("smaller holes", () => {
  const keys = { p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", auth: "tBHItJI5svbpez7KI4CCXg" };

  it("a push subscription's endpoint cannot be moved to another user by subscribing with it", async () => {
    const other = await secondAccount();
    const endpoint = "https://push.example.com/send/victim-device";
    expect((await owner.as("POST", "/api/push/subscribe", { endpoint, keys })).status).toBe(201);
    const stolen = await other.as("POST", "/api/push/subscribe", { endpoint, keys });
    expectError(stolen, 409);
    expect(await env.DB.prepare("SELECT user_id AS u FROM push_subscriptions WHERE endpoint = ?").bind(endpoint).first("u")).toBe(owner.id);
    expect((await owner.as("POST", "/api/push/subscribe", { endpoint, keys })).status).toBe(201); // one's own again: fine
  });

  it("a push endpoint must be https: http is a 400", async () => {
    expectError(await owner.as("POST", "/api/push/subscribe", { endpoint: "http://push.example.com/x", keys }), 400, ["endpoint"]);
  });

  it("database errors never log their bound parameters", async () => {
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    const secretText = "sekrit-message-text-4711";
    try {
      await env.DB.prepare("CREATE TRIGGER fail_insert BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected'); END").run();
      const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: secretText });
      expect(res.status).toBe(500);
    } finally {
      await env.DB.prepare("DROP TRIGGER IF EXISTS fail_insert").run();
      console.error = original;
    }
    expect(logged.join("\n")).toContain("injected");
    expect(logged.join("\n")).not.toContain(secretText);
  });

  // The test above fails a batch, whose error drizzle does not wrap; these fail a single query (a
  // DrizzleQueryError, whose message lists the parameters) in the Worker, and a room's write.
  it("database errors never log their bound parameters: a single query's error, in the Worker or a room", async () => {
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    const secret = "sekrit-4712";
    const channel = (await owner.as("POST", "/api/agents", { name: "Logged" })).json.id as string;
    const streamId = "log-stream";
    expect((await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "draft", streamId, streamState: "streaming" })).status).toBe(201);
    try {
      await env.DB.prepare("CREATE TRIGGER fail_agents BEFORE UPDATE ON agents BEGIN SELECT RAISE(ABORT, 'injected-agents'); END").run();
      await env.DB.prepare("CREATE TRIGGER fail_messages BEFORE UPDATE ON messages BEGIN SELECT RAISE(ABORT, 'injected-messages'); END").run();
      expect((await owner.as("PATCH", `/api/agents/${channel}`, { description: `${secret}-agent` })).status).toBe(500);
      expect((await bot.v1("PATCH", `/messages/streams/${streamId}`, { channelId: bot.agent.id, text: `${secret}-stream` })).status).toBe(500);
    } finally {
      await env.DB.prepare("DROP TRIGGER IF EXISTS fail_agents").run();
      await env.DB.prepare("DROP TRIGGER IF EXISTS fail_messages").run();
      console.error = original;
    }
    const log = logged.join("\n");
    expect(log).toContain("injected-agents");
    expect(log).toContain("injected-messages");
    expect(log).not.toContain(secret);
  });
});
