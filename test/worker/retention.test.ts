// The hourly clean-up (worker/maintenance), run through the Worker's real scheduled handler against real
// D1, R2 and Durable Objects: what is past its time goes (with its R2 bytes and its room timers), what is
// not stays, and a backlog larger than one batch is gone after one run.
import { abortAllDurableObjects, createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, form, textFile, type Bot } from "./api-helpers";
import worker from "../d1-limits/entry";
import { runMaintenance } from "../../worker/maintenance";
import { strictD1 } from "../d1-limits/strict-d1";
import { sleep } from "../common";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
/** The env of a direct runMaintenance call, behind production's D1 limits like the Worker's own. */
const strictEnv = { ...env, DB: strictD1(env.DB) };

let owner: Person;

beforeAll(async () => {
  owner = browser(await setupOwner());
});

/**
 * Runs the Worker's scheduled handler as the Cron Trigger does: the default export of the tests' main
 * module (the real Worker behind production's D1 limits), with a real ScheduledController.
 */
async function runCleanup(scheduledTime = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(scheduledTime), cron: "0 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const rows = async <T = Record<string, unknown>>(query: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(query)
      .bind(...binds)
      .all<T>()
  ).results;
const count = async (query: string, ...binds: unknown[]) =>
  (await env.DB.prepare(query)
    .bind(...binds)
    .first<{ n: number }>())!.n;
const r2Key = async (fileId: string) => (await env.DB.prepare("SELECT r2_key FROM attachments WHERE id = ?").bind(fileId).first<{ r2_key: string }>())?.r2_key;
const inR2 = async (key: string) => (await env.FILES.head(key)) !== null;

const room = (channelId: string) => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId));
const timerKeys = (channelId: string) =>
  runInDurableObject(room(channelId), (_room, state) =>
    state.storage.sql
      .exec<{ key: string }>("SELECT key FROM timers ORDER BY key")
      .toArray()
      .map((t) => t.key),
  );

async function storeFile(bot: Bot, text: string): Promise<string> {
  const res = await call("POST", "/api/v1/files/store", { raw: form({ file: textFile(text), channelId: bot.agent.id }), headers: { "x-api-key": bot.apiKey } });
  expect(res.status, res.text).toBe(201);
  return res.json.id;
}

async function post(bot: Bot, body: Record<string, unknown>): Promise<{ id: string; seq: number }> {
  const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, ...body });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/** Backdates messages (a message's age is its created_at). */
async function age(messageIds: string[], createdAt: string) {
  await env.DB.prepare("UPDATE messages SET created_at = ? WHERE id IN (SELECT value FROM json_each(?))").bind(createdAt, JSON.stringify(messageIds)).run();
}

describe("retentionDays on agents", () => {
  it("is set and cleared through both APIs and shown in the agent DTO; out of range is a 400 naming it", async () => {
    const created = await owner.as("POST", "/api/agents", { name: "Keeper", retentionDays: 30 });
    expect(created.status, created.text).toBe(201);
    expect(created.json.retentionDays).toBe(30);
    const bot = await agentWithKey(owner, "Retention API bot");
    expect(bot.agent.retentionDays).toBeNull();

    const patched = await bot.v1("PATCH", `/agents/${bot.agent.id}`, { retentionDays: 7 });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.retentionDays).toBe(7);
    const listed = await bot.v1("GET", "/agents");
    expect(listed.json.find((a: { id: string }) => a.id === bot.agent.id).retentionDays).toBe(7);
    expect((await owner.as("GET", `/api/agents/${bot.agent.id}`)).json.retentionDays).toBe(7);

    const cleared = await owner.as("PATCH", `/api/agents/${bot.agent.id}`, { retentionDays: null });
    expect(cleared.json.retentionDays).toBeNull();
    expect(await count("SELECT count(*) AS n FROM agents WHERE id = ? AND retention_days IS NULL", bot.agent.id)).toBe(1);

    for (const bad of [0, 3651, 1.5, "7", -1]) {
      expectError(await owner.as("PATCH", `/api/agents/${bot.agent.id}`, { retentionDays: bad }), 400, ["retentionDays"]);
      expectError(await bot.v1("POST", "/agents", { name: "Bad", retentionDays: bad }), 400, ["retentionDays"]);
    }
    const v1Created = await bot.v1("POST", "/agents", { name: "Edge", retentionDays: 3650 });
    expect(v1Created.json.retentionDays).toBe(3650);
  });
});

describe("the hourly clean-up", () => {
  it("removes expired sessions, Socket.IO tickets and ended login counters, and keeps live ones", async () => {
    const now = Date.now();
    const session = (hash: string, expiresAt: number) =>
      env.DB.prepare("INSERT INTO sessions (token_hash, user_id, expires_at, created_at) VALUES (?, ?, ?, ?)").bind(
        hash,
        owner.id,
        iso(expiresAt),
        iso(now - DAY),
      );
    const ticket = (hash: string, sessionHash: string, expiresAt: number) =>
      env.DB.prepare("INSERT INTO ws_tickets (token_hash, session_hash, user_id, expires_at) VALUES (?, ?, ?, ?)").bind(
        hash,
        sessionHash,
        owner.id,
        iso(expiresAt),
      );
    const counter = (key: string, windowStart: number) =>
      env.DB.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 3)").bind(key, windowStart);
    await env.DB.batch([
      session("session-expired", now - 1000),
      session("session-live", now + DAY),
      ticket("ticket-expired", "session-live", now - 1000),
      ticket("ticket-live", "session-live", now + 60_000),
      ticket("ticket-of-expired-session", "session-expired", now + 60_000),
      counter("login:account:ended@example.com", now - 16 * 60_000),
      counter("login:account:current@example.com", now - 60_000),
    ]);

    await runCleanup(now);

    const sessionHashes = (await rows<{ token_hash: string }>("SELECT token_hash FROM sessions")).map((r) => r.token_hash);
    expect(sessionHashes).toContain("session-live");
    expect(sessionHashes).not.toContain("session-expired");
    expect((await rows<{ token_hash: string }>("SELECT token_hash FROM ws_tickets ORDER BY token_hash")).map((r) => r.token_hash)).toEqual(["ticket-live"]);
    expect((await rows<{ key: string }>("SELECT key FROM rate_limits")).map((r) => r.key)).toEqual(["login:account:current@example.com"]);
    // The owner's real session (set up at the start of the file) is still signed in.
    expect((await owner.as("GET", "/api/auth/me")).status).toBe(200);
  });

  it("removes files never attached after 24 h with their R2 bytes, and keeps fresh and attached ones", async () => {
    const bot = await agentWithKey(owner, "Orphan bot");
    const [orphan, fresh, attached] = [await storeFile(bot, "orphan"), await storeFile(bot, "fresh"), await storeFile(bot, "attached")];
    await post(bot, { text: "with a file", attachmentIds: [attached] });
    const keys = { orphan: (await r2Key(orphan))!, fresh: (await r2Key(fresh))!, attached: (await r2Key(attached))! };
    const longAgo = iso(Date.now() - 25 * HOUR);
    await env.DB.prepare("UPDATE attachments SET created_at = ? WHERE id IN (?, ?)").bind(longAgo, orphan, attached).run();
    await env.DB.prepare("UPDATE attachments SET created_at = ? WHERE id = ?")
      .bind(iso(Date.now() - 23 * HOUR), fresh)
      .run();
    expect(await inR2(keys.orphan)).toBe(true);

    await runCleanup();

    expect(await r2Key(orphan)).toBeUndefined();
    expect(await inR2(keys.orphan)).toBe(false);
    expect(await r2Key(fresh)).toBe(keys.fresh);
    expect(await inR2(keys.fresh)).toBe(true);
    expect(await r2Key(attached)).toBe(keys.attached);
    expect(await inR2(keys.attached)).toBe(true);
    const download = await exports.default.fetch(new Request(`${BASE}/api/v1/files/${attached}/download`, { headers: { "x-api-key": bot.apiKey } }));
    expect(await download.text()).toBe("attached");
  });

  it("removes webhook-delivery and status-history rows older than HISTORY_RETENTION_DAYS (90) and keeps newer ones", async () => {
    expect(env.HISTORY_RETENTION_DAYS).toBe("90");
    const bot = await agentWithKey(owner, "History bot");
    const message = await post(bot, { text: "delivered" });
    const now = Date.now();
    const delivery = (id: string, createdAt: number) =>
      env.DB.prepare(
        "INSERT INTO webhook_deliveries (id, message_id, channel_id, event, url, attempt, status_code, duration_ms, created_at) VALUES (?, ?, ?, 'message:created', 'https://example.com/hook', 1, 200, 5, ?)",
      ).bind(id, message.id, bot.agent.id, iso(createdAt));
    const status = (id: string, createdAt: number) =>
      env.DB.prepare("INSERT INTO agent_status_history (id, agent_id, status, created_at) VALUES (?, ?, 'active', ?)").bind(id, bot.agent.id, iso(createdAt));
    await env.DB.batch([
      delivery("delivery-91d", now - 91 * DAY),
      delivery("delivery-89d", now - 89 * DAY),
      status("status-91d", now - 91 * DAY),
      status("status-89d", now - 89 * DAY),
    ]);
    expect((await bot.v1("POST", "/status/ping", { agentId: bot.agent.id, status: "busy" })).status).toBe(200);

    await runCleanup(now);

    expect((await rows<{ id: string }>("SELECT id FROM webhook_deliveries WHERE channel_id = ?", bot.agent.id)).map((r) => r.id)).toEqual(["delivery-89d"]);
    const history = (await rows<{ id: string }>("SELECT id FROM agent_status_history WHERE agent_id = ? ORDER BY created_at", bot.agent.id)).map((r) => r.id);
    expect(history).toHaveLength(2); // the 89-day-old row and the ping's
    expect(history[0]).toBe("status-89d");
  });

  it("removes an agent's messages older than its retentionDays with their files' bytes, deliveries and room timers; newer ones stay, seq-ordered", async () => {
    const bot = await agentWithKey(owner, "Forgetful bot");
    expect((await bot.v1("PATCH", `/agents/${bot.agent.id}`, { retentionDays: 7 })).json.retentionDays).toBe(7);
    const keeper = await agentWithKey(owner, "Hoarding bot"); // no retention
    const channel = bot.agent.id;

    const oldFile = await storeFile(bot, "old file");
    const oldWithFile = await post(bot, { text: "old, with a file", attachmentIds: [oldFile] });
    const oldReview = await post(bot, { text: "old review", review: approval });
    const oldWithWebhook = await post(bot, { text: "old, webhook pending" });
    const newReview = await post(bot, { text: "new review", review: approval });
    const newFile = await storeFile(bot, "new file");
    const newWithFile = await post(bot, { text: "new, with a file", attachmentIds: [newFile] });
    const kept = [await post(keeper, { text: "keeper 1" }), await post(keeper, { text: "keeper 2", review: approval })];

    // A webhook retry still pending for an old message (as Deliveries records it), and its delivery log.
    await runInDurableObject(room(channel), (_room, state) => {
      state.storage.sql.exec(
        "INSERT INTO timers (key, kind, channel_id, due_at, data) VALUES (?, 'webhook', ?, ?, ?)",
        `webhook:${oldWithWebhook.id}:message:created`,
        channel,
        Date.now() + HOUR,
        JSON.stringify({ messageId: oldWithWebhook.id, event: "message:created", body: "{}", attempt: 2 }),
      );
    });
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, message_id, channel_id, event, url, attempt, duration_ms, created_at) VALUES ('d-old', ?, ?, 'message:created', 'https://example.com/hook', 1, 5, ?)",
    )
      .bind(oldWithWebhook.id, channel, iso(Date.now()))
      .run();
    const eightDaysAgo = iso(Date.now() - 8 * DAY);
    await age([oldWithFile.id, oldReview.id, oldWithWebhook.id], eightDaysAgo);
    await age(
      kept.map((m) => m.id),
      iso(Date.now() - 400 * DAY),
    );
    const oldKey = (await r2Key(oldFile))!;
    const newKey = (await r2Key(newFile))!;
    expect(await timerKeys(channel)).toEqual([`expire:${newReview.id}`, `expire:${oldReview.id}`, `webhook:${oldWithWebhook.id}:message:created`].sort());

    // A long-poll parked on the old review ends when its message goes, instead of waiting out its timeout.
    const parked = bot.v1("GET", `/reviews/${oldReview.id}/wait?channel=${channel}&timeout=20000`);
    await sleep(100);
    const started = Date.now();
    await runCleanup();

    const left = await rows<{ id: string; seq: number }>("SELECT id, seq FROM messages WHERE channel_id = ? ORDER BY seq", channel);
    expect(left.map((m) => m.id)).toEqual([newReview.id, newWithFile.id]);
    const listed = await bot.v1("GET", `/messages?channel=${channel}&after=0`);
    expect(listed.json.data.map((m: { id: string }) => m.id)).toEqual([newReview.id, newWithFile.id]);
    expect(listed.json.data.map((m: { seq: number }) => m.seq)).toEqual([4, 5]);

    expect(await r2Key(oldFile)).toBeUndefined();
    expect(await inR2(oldKey)).toBe(false);
    expect(await inR2(newKey)).toBe(true);
    expect(await count("SELECT count(*) AS n FROM webhook_deliveries WHERE message_id = ?", oldWithWebhook.id)).toBe(0);
    expect(await timerKeys(channel)).toEqual([`expire:${newReview.id}`]);
    const wait = await parked;
    expect(wait.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(10_000);

    // The channel's seq goes on from where it was.
    expect((await post(bot, { text: "after the clean-up" })).seq).toBe(6);
    // An agent without retention keeps everything, however old.
    expect((await rows<{ id: string }>("SELECT id FROM messages WHERE channel_id = ? ORDER BY seq", keeper.agent.id)).map((m) => m.id)).toEqual(
      kept.map((m) => m.id),
    );
    expect(await timerKeys(keeper.agent.id)).toEqual([`expire:${kept[1]!.id}`]);
  });

  it("keeps a channel's newest message however old, so its seq never starts over", async () => {
    const bot = await agentWithKey(owner, "Quiet bot");
    await bot.v1("PATCH", `/agents/${bot.agent.id}`, { retentionDays: 1 });
    const posted = [await post(bot, { text: "one" }), await post(bot, { text: "two" }), await post(bot, { text: "three" })];
    await age(
      posted.map((m) => m.id),
      iso(Date.now() - 30 * DAY),
    );

    await runCleanup();

    expect((await rows<{ id: string }>("SELECT id FROM messages WHERE channel_id = ?", bot.agent.id)).map((m) => m.id)).toEqual([posted[2]!.id]);
    // A room that restarted reads the seq back from D1: still 3, so the next message is 4.
    await abortAllDurableObjects();
    expect((await post(bot, { text: "four" })).seq).toBe(4);
  });

  it("purges a backlog larger than one batch (1,200 old messages with files, 1,200 history rows) in one run", async () => {
    const bot = await agentWithKey(owner, "Chatty bot");
    await bot.v1("PATCH", `/agents/${bot.agent.id}`, { retentionDays: 30 });
    const channel = bot.agent.id;
    const old = iso(Date.now() - 60 * DAY);
    const veryOld = iso(Date.now() - 200 * DAY);
    // 1,200 messages of 60 days ago (seq 1..1200), every tenth with a file in R2; then one new message.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
       INSERT INTO messages (id, channel_id, user_id, seq, sender_type, sender_id, text, delivery_status, created_at)
       SELECT 'bulk-' || i, ?1, ?2, i, 'agent', ?1, 'old ' || i, 'sent', ?3 FROM n`,
    )
      .bind(channel, owner.id, old)
      .run();
    const fileIds = Array.from({ length: 120 }, (_, i) => `bulk-file-${i * 10 + 1}`);
    await env.DB.prepare(
      `INSERT INTO attachments (id, user_id, channel_id, message_id, position, r2_key, filename, mime_type, size, created_at)
       SELECT value, ?1, ?2, 'bulk-' || substr(value, 11), 0, 'bulk/' || value, 'f.txt', 'text/plain', 1, ?3 FROM json_each(?4)`,
    )
      .bind(owner.id, channel, old, JSON.stringify(fileIds))
      .run();
    await Promise.all(fileIds.map((id) => env.FILES.put(`bulk/${id}`, "x")));
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
       INSERT INTO agent_status_history (id, agent_id, status, created_at) SELECT 'bulk-status-' || i, ?1, 'active', ?2 FROM n`,
    )
      .bind(channel, veryOld)
      .run();
    const latest = await post(bot, { text: "new" });
    expect(latest.seq).toBe(1201);

    const started = Date.now();
    await runCleanup();
    const took = Date.now() - started;
    console.log(`clean-up of 1,200 old messages (120 files) and 1,200 history rows took ${took} ms`);

    expect((await rows<{ id: string }>("SELECT id FROM messages WHERE channel_id = ?", channel)).map((m) => m.id)).toEqual([latest.id]);
    expect(await count("SELECT count(*) AS n FROM attachments WHERE channel_id = ?", channel)).toBe(0);
    expect((await env.FILES.list({ prefix: "bulk/" })).objects).toHaveLength(0);
    expect(await count("SELECT count(*) AS n FROM agent_status_history WHERE agent_id = ?", channel)).toBe(0);
  });

  it("a run that is out of time stops between batches and the next runs finish the backlog", async () => {
    const bot = await agentWithKey(owner, "Busy bot");
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
       INSERT INTO agent_status_history (id, agent_id, status, created_at) SELECT 'late-status-' || i, ?1, 'active', ?2 FROM n`,
    )
      .bind(bot.agent.id, iso(Date.now() - 100 * DAY))
      .run();
    const left = () => count("SELECT count(*) AS n FROM agent_status_history WHERE agent_id = ?", bot.agent.id);

    // No time at all: each purge still does one batch of 500, then leaves the rest.
    const first = await runMaintenance(strictEnv, Date.now(), 0);
    expect(first).toMatchObject({ complete: false, failed: [], removed: { statusHistory: 500 } });
    expect(await left()).toBe(700);
    expect((await runMaintenance(strictEnv, Date.now(), 0)).removed.statusHistory).toBe(500);
    const last = await runMaintenance(strictEnv, Date.now(), 0);
    expect(last.removed.statusHistory).toBe(200);
    expect(await left()).toBe(0);
  });
});
