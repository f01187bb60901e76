// Races and faults: answer against expiry, delete against answer, a room restarted under parked
// waits, a D1 failure in the middle of a post, and secrets that must never show up again.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { roomOf } from "../../worker/room";
import { agentWithKey, approval, call, setupOwner, type Person } from "./helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;
const stub = (channelId: string) => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId));

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
});

describe("races", () => {
  it("an answer racing the expiry alarm: exactly one outcome, and every side agrees", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: `race ${i}`, review: { ...approval, expiresInSeconds: 1 } });
      const due = Date.parse(posted.json.review.expiresAt);
      await sleep(Math.max(0, due - Date.now() + [-90, -45, -20, 0][i % 4]!)); // land around the expiry, both sides of it
      const [answer] = await Promise.all([
        owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } }),
        runDurableObjectAlarm(stub(bot.agent.id)),
      ]);
      await runDurableObjectAlarm(stub(bot.agent.id)); // whatever is still due runs now
      const stored = (await bot.v1("GET", `/reviews/${posted.json.id}`)).json.review;
      const waited = (await bot.v1("GET", `/reviews/${posted.json.id}/wait?timeout=100`)).json;
      const expiredEvents = (await roomOf(env, bot.agent.id).recentEvents()).filter(
        (e) => e.name === "review:expired" && (e.data as { messageId: string }).messageId === posted.json.id,
      );
      if (answer.status === 200) {
        expect(stored.status).toBe("completed");
        expect(waited.status).toBe("completed");
        expect(expiredEvents).toHaveLength(0);
      } else {
        expect(answer.status).toBe(410);
        expect(stored.status).toBe("expired");
        expect(stored.response).toBeNull();
        expect(waited.status).toBe("expired");
        expect(expiredEvents).toHaveLength(1);
      }
      outcomes.push(stored.status);
    }
    console.log(`answer vs expiry: ${outcomes.filter((o) => o === "completed").length} answered, ${outcomes.filter((o) => o === "expired").length} expired`);
  });

  it("a delete racing an answer: the message ends up gone, a parked wait gets an answer or a 404, never a 5xx", async () => {
    for (let i = 0; i < 10; i++) {
      const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: `delete race ${i}`, review: approval });
      const wait = bot.v1("GET", `/reviews/${posted.json.id}/wait?timeout=5000`);
      await sleep(10);
      const [deleted, answered] = await Promise.all([
        bot.v1("DELETE", `/messages/${posted.json.id}`),
        owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "reject" } }),
      ]);
      expect(deleted.status).toBe(200);
      expect([200, 404]).toContain(answered.status);
      const waited = await wait;
      if (answered.status === 200) expect([200, 404]).toContain(waited.status);
      else expect(waited.status).toBe(404);
      if (waited.status === 200) expect(waited.json.status).toBe("completed");
      expect((await bot.v1("GET", `/messages/${posted.json.id}`)).status).toBe(404);
    }
  });
});

describe("faults", () => {
  afterEach(async () => {
    await env.DB.prepare("DROP TRIGGER IF EXISTS fail_attach").run();
  });

  it("a room restarted under parked waits: they get a clean 503 to retry, and the retry gets the answer", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "restart me", review: approval });
    const parked = bot.v1("GET", `/reviews/${posted.json.id}/wait?timeout=3000`);
    await sleep(50);
    // The room is reset as a deploy or an eviction would: its in-memory state and requests are gone.
    await runInDurableObject(stub(bot.agent.id), (_room, state) => state.abort("restart")).catch(() => undefined);
    const interrupted = await parked;
    expect(interrupted.status).toBe(503);
    expect(interrupted.headers.get("retry-after")).toBe("0");
    expect(interrupted.json).toMatchObject({ statusCode: 503 });
    const retry = bot.v1("GET", `/reviews/${posted.json.id}/wait?timeout=20000`);
    await sleep(50);
    expect((await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } })).status).toBe(200);
    expect((await retry).json).toMatchObject({ status: "completed", message: { review: { response: { selectedOption: "approve" } } } });
  });

  it("a D1 failure in the middle of a post leaves no half message and no gap in seq", async () => {
    const channel = (await owner.as("POST", "/api/agents", { name: "Fragile" })).json.id as string;
    const first = await bot.v1("POST", "/messages", { channelId: channel, text: "before" });
    const form = new FormData();
    form.set("file", new File(["bytes"], "a.txt", { type: "text/plain" }));
    form.set("channelId", channel);
    const stored = await call("POST", "/api/v1/files/store", { raw: form, headers: { "x-api-key": bot.apiKey } });
    expect(stored.status).toBe(201);
    // The message insert succeeds, then linking its attachment fails: the batch must roll back whole.
    await env.DB.prepare("CREATE TRIGGER fail_attach BEFORE UPDATE OF message_id ON attachments BEGIN SELECT RAISE(ABORT, 'injected failure'); END").run();
    const failed = await bot.v1("POST", "/messages", { channelId: channel, text: "half?", attachmentIds: [stored.json.id] });
    expect(failed.status).toBe(500);
    expect(failed.json).toEqual({ statusCode: 500, message: "Internal error", errors: [] });
    const rows = await env.DB.prepare("SELECT text FROM messages WHERE channel_id = ?").bind(channel).all();
    expect(rows.results.map((r) => r.text)).toEqual(["before"]);
    const file = await env.DB.prepare("SELECT message_id FROM attachments WHERE id = ?").bind(stored.json.id).first();
    expect(file?.message_id).toBeNull();
    await env.DB.prepare("DROP TRIGGER fail_attach").run();
    const after = await bot.v1("POST", "/messages", { channelId: channel, text: "after", attachmentIds: [stored.json.id] });
    expect(after.status).toBe(201);
    expect(after.json.seq).toBe(first.json.seq + 1);
  });
});

describe("secrets", () => {
  it("keys, webhook secrets, passwords and password answers never reach logs, errors or later reads", async () => {
    const logged: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
      vi
        .spyOn(console, level)
        .mockImplementation(
          (...args: unknown[]) => void logged.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(" ")),
        ),
    );
    try {
      const password = "correct horse battery"; // the owner's, from setupOwner
      await call("POST", "/api/auth/login", { body: { email: owner.email, password: `${password}x` } });
      await call("POST", "/api/auth/login", { body: { email: "nobody@example.com", password } });
      const created = await owner.as("POST", "/api/api-keys", { label: "secret test" });
      const key: string = created.json.key;
      const agent = (await owner.as("GET", `/api/agents/${bot.agent.id}`)).json;
      const secret: string = agent.webhookSecret;
      const form = { type: "form", payload: { fields: [{ name: "pin", type: "password", label: "PIN", min: 4 }] } };
      const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "PIN?", review: form });
      const badAnswer = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { pin: "12" } });
      expect(badAnswer.status).toBe(400);
      const answer = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { pin: "s3cr3t-pin" } });
      expect(answer.json.review.response.pin).not.toBe("s3cr3t-pin");
      const badKey = await call("GET", "/api/v1/agents", { headers: { "x-api-key": `${key}x` } });
      const everything = [
        JSON.stringify((await owner.as("GET", "/api/api-keys")).json),
        JSON.stringify((await owner.as("GET", `/api/messages?channel=${bot.agent.id}`)).json),
        JSON.stringify((await owner.as("GET", "/api/reviews?status=all")).json),
        JSON.stringify((await bot.v1("GET", "/agents")).json),
        JSON.stringify((await owner.as("GET", "/api/auth/me")).json),
        JSON.stringify((await owner.as("GET", "/api/users")).json),
        badAnswer.text,
        badKey.text,
        ...logged,
      ].join("\n");
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(key.slice(10)); // not even the part after the shown prefix
      expect(everything).not.toContain(secret); // the secret shows only in the owner's agent view
      expect(everything).not.toContain(password);
      expect(everything).not.toContain("s3cr3t-pin");
      expect(everything).not.toMatch(/"12"/);
      expect(everything).not.toContain("password_hash");
      expect(everything).not.toContain("pbkdf2");
      // The agent, and only the agent, gets the password answer.
      expect((await bot.v1("GET", `/reviews/${posted.json.id}/wait?timeout=100`)).json.message.review.response.pin).toBe("s3cr3t-pin");
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});
