// A person's notification channels inside workerd (issue 17, parts 3 and 4): the routes (write-only
// secrets, another person's channel is 404), bad input (SSRF, plain http, unknown priorities, invalid
// time zones: each a 400 that stores nothing), "Send test" and the channel's status, the retries of a
// failed send (the room's timer), and who is told what: per-agent levels and quiet hours with a fixed clock.
// Channel receivers on *.notify.test are caught at fetch (200); hosts under example.com answer 503
// (vitest.config.ts). The formats themselves are checked by real receivers in test/e2e/notification-channels.test.ts.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { inQuietHours, heldBack } from "../../worker/notify/rules";
import type { MessageDto } from "../../contract/dto";
import { sleep } from "../common";
import { browser, expectError, type Bot } from "./api-helpers";
import { addMember, agentWithKey, approval, setupOwner, type Person } from "./helpers";

const RECEIVER = /\.notify\.test$/;

interface Caught {
  url: string;
  headers: Headers;
  body: any;
}
const caught: Caught[] = [];
const originalFetch = globalThis.fetch;

let owner: Person;
let ann: Person;
let bot: Bot;

beforeAll(async () => {
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!RECEIVER.test(new URL(request.url).hostname)) return originalFetch(input, init);
    caught.push({ url: request.url, headers: request.headers, body: await request.json() });
    return new Response("ok");
  });
  owner = browser(await setupOwner());
  ann = browser(await addMember(owner));
  bot = await agentWithKey(owner, "Channel bot");
  expect((await owner.as("POST", `/api/agents/${bot.agent.id}/members`, { userId: ann.id })).status).toBe(201);
});
afterAll(() => {
  vi.restoreAllMocks();
});

async function addChannel(person: Person, body: Record<string, unknown>) {
  const res = await person.as("POST", "/api/notifications/channels", body);
  expect(res.status, res.text).toBe(201);
  return res.json;
}

const listChannels = async (person: Person) => (await person.as("GET", "/api/notifications/channels")).json.data as any[];

/** What the receivers on `host` got so far, once `n` have arrived (or the timeout). */
async function receivedOn(host: string, n = 1, timeoutMs = 3000): Promise<Caught[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = caught.filter((c) => new URL(c.url).hostname === host);
    if (got.length >= n || Date.now() >= end) return got;
    await sleep(20);
  }
}

describe("channels: the routes", () => {
  it("keeps an ntfy token and a webhook's secret write-only, and lists each channel's status", async () => {
    const ntfy = await addChannel(owner, { kind: "ntfy", url: "https://ntfy.notify.test/deploys", token: "tk_secret123" });
    expect(ntfy).toMatchObject({ kind: "ntfy", name: "ntfy.notify.test", hasToken: true, enabled: true, status: { state: "untested", failures: 0 } });
    expect(JSON.stringify(ntfy)).not.toContain("tk_secret123");
    const hook = await addChannel(owner, { kind: "webhook", name: "My receiver", url: "https://hook.notify.test/in" });
    expect(hook.secret).toMatch(/^whsec_/);
    const listed = await listChannels(owner);
    expect(listed.map((c) => c.id)).toEqual(expect.arrayContaining([ntfy.id, hook.id]));
    expect(JSON.stringify(listed)).not.toMatch(/tk_secret123|whsec_/);

    const renamed = await owner.as("PATCH", `/api/notifications/channels/${ntfy.id}`, { name: "Phone", token: null });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json).toMatchObject({ name: "Phone", hasToken: false });
    await owner.as("DELETE", `/api/notifications/channels/${ntfy.id}`);
    await owner.as("DELETE", `/api/notifications/channels/${hook.id}`);
    expect(await listChannels(owner)).toEqual([]);
  });

  it("answers 404 for another person's channel, and changes nothing", async () => {
    const mine = await addChannel(owner, { kind: "slack", url: "https://hooks.notify.test/services/T/B/x" });
    for (const [method, path, body] of [
      ["PATCH", `/api/notifications/channels/${mine.id}`, { enabled: false }],
      ["DELETE", `/api/notifications/channels/${mine.id}`, undefined],
      ["POST", `/api/notifications/channels/${mine.id}/test`, undefined],
    ] as const) {
      const res = await ann.as(method, path, body);
      expectError(res, 404);
    }
    expect((await listChannels(owner)).find((c) => c.id === mine.id)).toMatchObject({ enabled: true, status: { state: "untested" } });
    expect(await listChannels(ann)).toEqual([]);
    await owner.as("DELETE", `/api/notifications/channels/${mine.id}`);
  });
});

describe("channels: bad input gets a 400 and stores nothing", () => {
  const refused: [string, Record<string, unknown>, string[]][] = [
    ["the cloud metadata address", { kind: "webhook", url: "https://169.254.169.254/latest" }, ["url"]],
    ["a private address", { kind: "slack", url: "https://10.1.2.3/hook" }, ["url"]],
    ["loopback (outside development)", { kind: "discord", url: "https://127.0.0.1/api/webhooks/1/x" }, ["url"]],
    ["an internal name", { kind: "webhook", url: "https://metadata.google.internal/x" }, ["url"]],
    ["a plain-http ntfy topic", { kind: "ntfy", url: "http://ntfy.notify.test/alerts" }, ["url"]],
    ["a plain-http webhook", { kind: "webhook", url: "http://hook.notify.test/in" }, ["url"]],
    ["an ntfy URL without a topic", { kind: "ntfy", url: "https://ntfy.notify.test/" }, ["url"]],
    ["a token on a Slack channel", { kind: "slack", url: "https://hooks.notify.test/x", token: "abc" }, ["token"]],
    ["an unknown kind and a non-URL", { kind: "pager", url: "not a url" }, ["kind", "url"]],
  ];
  for (const [what, body, paths] of refused) {
    it(`refuses ${what}`, async () => {
      expectError(await owner.as("POST", "/api/notifications/channels", body), 400, paths);
      expect(await listChannels(owner)).toEqual([]);
    });
  }

  it("refuses moving a channel to a refused URL, and keeps the old one", async () => {
    const channel = await addChannel(owner, { kind: "ntfy", url: "https://ntfy.notify.test/ok" });
    expectError(await owner.as("PATCH", `/api/notifications/channels/${channel.id}`, { url: "https://192.168.1.1/topic" }), 400, ["url"]);
    expect((await listChannels(owner))[0].url).toBe("https://ntfy.notify.test/ok");
    await owner.as("DELETE", `/api/notifications/channels/${channel.id}`);
  });

  it("refuses a review with an unknown priority, and posts nothing", async () => {
    const before = (await bot.v1("GET", `/messages?channelId=${bot.agent.id}`)).json;
    const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Ship?", review: { ...approval, priority: "critical" } });
    expectError(res, 400, ["review.priority"]);
    expect((await bot.v1("GET", `/messages?channelId=${bot.agent.id}`)).json).toEqual(before);
  });

  it("refuses quiet hours with an invalid time zone or clock, and keeps the preferences", async () => {
    const set = await ann.as("PATCH", "/api/preferences", { quietHours: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" } });
    expect(set.status, set.text).toBe(200);
    for (const [quietHours, paths] of [
      [{ from: "22:00", to: "07:00", timeZone: "Mars/Olympus_Mons" }, ["quietHours.timeZone"]],
      [{ from: "24:00", to: "7:00", timeZone: "UTC" }, ["quietHours.from", "quietHours.to"]],
      [{ from: "08:00", to: "08:00", timeZone: "UTC" }, ["quietHours.to"]],
    ] as const) {
      expectError(await ann.as("PATCH", "/api/preferences", { quietHours }), 400, [...paths]);
    }
    expect((await ann.as("GET", "/api/preferences")).json.quietHours).toEqual({ from: "22:00", to: "07:00", timeZone: "Europe/Berlin" });
    expect((await ann.as("PATCH", "/api/preferences", { quietHours: null })).json.quietHours).toBeNull();
  });

  it("refuses an unknown level, and 404s an agent the person does not see", async () => {
    expectError(await ann.as("PUT", `/api/notifications/agents/${bot.agent.id}`, { level: "some" }), 400, ["level"]);
    const other = await agentWithKey(owner, "Owner only");
    expectError(await ann.as("PUT", `/api/notifications/agents/${other.agent.id}`, { level: "all" }), 404);
    const levels = (await ann.as("GET", "/api/notifications/agents")).json.data;
    expect(levels).toEqual([{ agentId: bot.agent.id, level: "all" }]);
  });
});

describe("channels: Send test, status and retries", () => {
  it("sends a test and shows the outcome in the channel's status", async () => {
    const good = await addChannel(owner, { kind: "webhook", url: "https://test.notify.test/in" });
    const ok = await owner.as("POST", `/api/notifications/channels/${good.id}/test`);
    expect(ok.json).toMatchObject({ ok: true, statusCode: 200, error: null, channel: { status: { state: "ok", failures: 0, lastStatusCode: 200 } } });
    const [got] = await receivedOn("test.notify.test");
    expect(got!.body.type).toBe("notification:test");
    expect(got!.headers.get("webhook-signature")).toMatch(/^v1,/);

    const down = await addChannel(owner, { kind: "discord", url: "https://discord.example.com/api/webhooks/1/x" });
    const failed = await owner.as("POST", `/api/notifications/channels/${down.id}/test`);
    expect(failed.json).toMatchObject({ ok: false, statusCode: 503, error: "HTTP 503", channel: { status: { state: "failing", failures: 1 } } });
    for (const c of [good, down]) await owner.as("DELETE", `/api/notifications/channels/${c.id}`);
  });

  it("retries a failed send on the room's alarm, with the channel as it is then", async () => {
    const channel = await addChannel(owner, { kind: "ntfy", url: "https://ntfy.example.com/deploys" });
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Retry me?", review: approval });
    expect(posted.status, posted.text).toBe(201);
    const room = env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(bot.agent.id));
    const noticeTimers = () =>
      runInDurableObject(room, (_r, state) =>
        state.storage.sql.exec<{ key: string; due_at: number }>("SELECT key, due_at FROM timers WHERE kind = 'notice'").toArray(),
      );
    let timers = await noticeTimers();
    for (let i = 0; i < 100 && timers.length === 0; i++) {
      await sleep(20);
      timers = await noticeTimers();
    }
    expect(timers).toHaveLength(1);
    expect(timers[0]!.due_at - Date.now()).toBeGreaterThan(5_000); // the first backoff is 10 s
    expect((await listChannels(owner)).find((c) => c.id === channel.id).status).toMatchObject({ state: "failing", failures: 1, lastError: "HTTP 503" });

    // The receiver moves to a working URL; the retry, made due now, uses it and succeeds.
    expect((await owner.as("PATCH", `/api/notifications/channels/${channel.id}`, { url: "https://ntfy.notify.test/deploys" })).status).toBe(200);
    await runInDurableObject(room, (_r, state) => state.storage.sql.exec("UPDATE timers SET due_at = 0 WHERE kind = 'notice'"));
    await runDurableObjectAlarm(room);
    const [got] = await receivedOn("ntfy.notify.test");
    expect(got!.body).toMatchObject({ topic: "deploys", message: "Retry me?" });
    expect((await listChannels(owner)).find((c) => c.id === channel.id).status).toMatchObject({ state: "ok", failures: 0 });
    expect(await noticeTimers()).toEqual([]);
    await owner.as("DELETE", `/api/notifications/channels/${channel.id}`);
    await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } });
  });
});

describe("what is sent when: levels and quiet hours, with a fixed clock", () => {
  // 2026-12-07 22:30 UTC is 23:30 in Berlin (inside 22:00–07:00) and 17:30 in New York (outside).
  const NIGHT_IN_BERLIN = new Date("2026-12-07T22:30:00Z");
  let ownerHost: string;
  let annHost: string;

  beforeAll(async () => {
    ownerHost = "owner.notify.test";
    annHost = "ann.notify.test";
    await addChannel(owner, { kind: "webhook", url: `https://${ownerHost}/in` });
    await addChannel(ann, { kind: "webhook", url: `https://${annHost}/in` });
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const p of [owner, ann]) {
      await p.as("PATCH", "/api/preferences", { quietHours: null });
      await p.as("PUT", `/api/notifications/agents/${bot.agent.id}`, { level: "all" });
    }
  });

  /** Posts as the agent and returns the text of what each person's channel received for it. */
  async function send(body: Record<string, unknown>): Promise<{ owner: boolean; ann: boolean }> {
    const text = `${body.text} ${crypto.randomUUID()}`;
    const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, ...body, text });
    expect(res.status, res.text).toBe(201);
    // A control message after it that every rule lets through (an urgent review naming both): once it has
    // arrived, the first one had its chance too.
    const control = `control ${crypto.randomUUID()}`;
    const review = { ...approval, priority: "urgent", assignees: [owner.email, ann.email] };
    await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: control, review });
    const got = (host: string) => receivedOn(host, Number.MAX_SAFE_INTEGER, 0).then((cs) => cs.map((c) => c.body.data.message?.text));
    for (let i = 0; i < 150; i++) {
      const [o, a] = await Promise.all([got(ownerHost), got(annHost)]);
      if (o.includes(control) && a.includes(control)) return { owner: o.includes(text), ann: a.includes(text) };
      await sleep(20);
    }
    throw new Error(`the control message never arrived: ${JSON.stringify(caught.map((c) => [c.url, c.body.type, c.body.data?.message?.text]))}`);
  }

  it("an agent's level: all, reviews only, or reviews assigned to me", async () => {
    await ann.as("PUT", `/api/notifications/agents/${bot.agent.id}`, { level: "reviews" });
    expect(await send({ text: "Plain news" })).toEqual({ owner: true, ann: false });
    expect(await send({ text: "Any review", review: approval })).toEqual({ owner: true, ann: true });

    await ann.as("PUT", `/api/notifications/agents/${bot.agent.id}`, { level: "assigned" });
    expect(await send({ text: "Open review", review: approval })).toEqual({ owner: true, ann: false });
    expect(await send({ text: "For Ann", review: { ...approval, assignees: [ann.email] } })).toEqual({ owner: true, ann: true });
  });

  it("quiet hours in the person's time zone hold back all but urgent reviews", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: NIGHT_IN_BERLIN });
    await ann.as("PATCH", "/api/preferences", { quietHours: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" } });
    await owner.as("PATCH", "/api/preferences", { quietHours: { from: "22:00", to: "07:00", timeZone: "America/New_York" } });
    expect(await send({ text: "Night news" })).toEqual({ owner: true, ann: false });
    expect(await send({ text: "High review", review: { ...approval, priority: "high" } })).toEqual({ owner: true, ann: false });
    expect(await send({ text: "Urgent review", review: { ...approval, priority: "urgent" } })).toEqual({ owner: true, ann: true });
  });
});

describe("reminders and escalations go out through channels too", () => {
  it("a reminder reaches who has not answered; an escalation reaches whom it names, even at level `assigned`", async () => {
    const room = env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(bot.agent.id));
    const ownerChannel = await addChannel(owner, { kind: "webhook", url: "https://owner-nudges.notify.test/in" });
    const annChannel = await addChannel(ann, { kind: "webhook", url: "https://ann-nudges.notify.test/in" });
    await ann.as("PUT", `/api/notifications/agents/${bot.agent.id}`, { level: "assigned" });
    const review = {
      ...approval,
      assignees: [owner.email],
      remind: { everySeconds: 300 },
      escalate: { afterSeconds: 600, to: [ann.email] },
      expiresInSeconds: 3600,
    };
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Nudge me", review });
    expect(posted.status, posted.text).toBe(201);
    const id = posted.json.id as string;
    const fire = async (key: string) => {
      await runInDurableObject(room, (_r, state) => state.storage.sql.exec("UPDATE timers SET due_at = 0 WHERE key = ?", key));
      await runDurableObjectAlarm(room);
    };
    const occasions = async (host: string, n: number) =>
      (await receivedOn(host, n)).filter((c) => c.body.data.message?.id === id).map((c) => [c.body.data.occasion, c.body.data.title]);

    expect(await occasions("owner-nudges.notify.test", 1)).toEqual([["new", "Channel bot"]]);
    await fire(`remind:${id}`);
    expect(await occasions("owner-nudges.notify.test", 2)).toEqual([
      ["new", "Channel bot"],
      ["reminder", "Reminder: Channel bot"],
    ]);
    expect(await occasions("ann-nudges.notify.test", 0)).toEqual([]); // not assigned, not reminded
    await fire(`escalate:${id}`);
    expect(await occasions("ann-nudges.notify.test", 1)).toEqual([["escalation", "Escalated to you: Channel bot"]]);
    await ann.as("PUT", `/api/notifications/agents/${bot.agent.id}`, { level: "all" });
    for (const [p, c] of [
      [owner, ownerChannel],
      [ann, annChannel],
    ] as const) {
      await p.as("DELETE", `/api/notifications/channels/${c.id}`);
    }
    await owner.as("POST", `/api/messages/${id}/respond`, { response: { selectedOption: "approve" } });
  });
});

describe("the rules alone", () => {
  const quiet = { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" };
  it("a window across midnight, in the zone's own time (with its DST)", () => {
    expect(inQuietHours(quiet, new Date("2026-12-07T20:59:00Z"))).toBe(false); // 21:59 CET
    expect(inQuietHours(quiet, new Date("2026-12-07T21:00:00Z"))).toBe(true); // 22:00 CET
    expect(inQuietHours(quiet, new Date("2026-12-08T05:59:00Z"))).toBe(true); // 06:59 CET
    expect(inQuietHours(quiet, new Date("2026-12-08T06:00:00Z"))).toBe(false); // 07:00 CET
    expect(inQuietHours(quiet, new Date("2026-07-07T20:30:00Z"))).toBe(true); // 22:30 CEST
    expect(inQuietHours({ from: "09:00", to: "17:00", timeZone: "UTC" }, new Date("2026-07-07T12:00:00Z"))).toBe(true);
    expect(inQuietHours({ from: "09:00", to: "17:00", timeZone: "UTC" }, new Date("2026-07-07T17:00:00Z"))).toBe(false);
  });

  it("urgent passes quiet hours; an escalation reaches `assigned`", () => {
    const review = (priority: string | null, assignees: { id: string }[] | null = null) =>
      ({ review: { status: "pending", priority, assignees } }) as unknown as MessageDto;
    const night = new Date("2026-12-07T23:00:00Z");
    const person = { userId: "u1", level: "all" as const, quietHours: { ...quiet, timeZone: "UTC" } };
    expect(heldBack(person, review("normal"), "new", night)).toBe("quiet-hours");
    expect(heldBack(person, review("urgent"), "reminder", night)).toBeNull();
    const assigned = { userId: "u1", level: "assigned" as const, quietHours: null };
    expect(heldBack(assigned, review(null), "new", night)).toBe("level");
    expect(heldBack(assigned, review(null), "escalation", night)).toBeNull();
    expect(heldBack(assigned, review(null, [{ id: "u1" }]), "reminder", night)).toBeNull();
  });
});
