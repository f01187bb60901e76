// Iteration chains (Placet's revision loop), answer feedback, and the message-list parity bits:
// has_attachments, a bare array from /reviews/pending, and null as "not given" on POST /messages.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { addMember, agentWithKey, approval, call, setupOwner, type Person } from "./helpers";
import { browser, form, textFile, webhookBody, type Bot, type Res } from "./api-helpers";
import { connectSocket } from "./socket-helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Writer");
});

/** A refusal in the API's error shape, listing `path` with a reason. */
function expectRefused(res: Res, status: number, path?: string): string | undefined {
  expect(res.status, res.text).toBe(status);
  expect(res.json).toMatchObject({ statusCode: status, message: expect.any(String), errors: expect.any(Array) });
  if (path === undefined) return undefined;
  const item = res.json.errors.find((e: { path: string }) => e.path === path);
  expect(item, res.text).toMatchObject({ path, message: expect.any(String), code: expect.any(String) });
  return item.message as string;
}

async function newChannel(name: string, webhookUrl?: string) {
  const res = await owner.as("POST", "/api/agents", { name, ...(webhookUrl ? { webhookUrl } : {}) });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

async function post(channelId: string, body: Record<string, unknown>) {
  const res = await bot.v1("POST", "/messages", { channelId, ...body });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

const answer = (id: string, body: Record<string, unknown>) => owner.as("POST", `/api/messages/${id}/respond`, body);
const ids = (list: { id: string }[]) => list.map((m) => m.id);
const channelMessages = async (channelId: string) => (await bot.v1("GET", `/messages?channel=${channelId}&limit=100`)).json.data as { id: string }[];
const messageRow = (id: string) =>
  env.DB.prepare("SELECT iteration_of AS iterationOf, iteration, iteration_group_id AS groupId, review_feedback AS feedback FROM messages WHERE id = ?")
    .bind(id)
    .first<{ iterationOf: string | null; iteration: number | null; groupId: string | null; feedback: string | null }>();

describe("a three-round iteration chain with feedback", () => {
  it("links each revision to the root's group, numbers them, and tells the agent the feedback everywhere", async () => {
    // A public receiver the test runtime cannot reach: each delivery keeps its body in its timer for the retries.
    const channel = await newChannel("Revisions", "https://hooks.example.com/nod");
    const socket = await connectSocket();
    expect(await socket.sioConnect({ apiKey: bot.apiKey })).toMatch(/^40\/ws/);
    expect((await socket.subscribe(channel)).ok).toBe(true);
    const responded = async (messageId: string) =>
      JSON.parse((await socket.next((f) => f.includes('"review:responded"') && f.includes(`"id":"${messageId}"`))).slice("42/ws,".length))[1];

    // Round 1: rejected, with feedback.
    const r1 = await post(channel, { text: "Draft 1", review: approval });
    expect(r1).toMatchObject({ iteration: null, iterationGroupId: null, review: { feedback: null } });
    const wait1 = bot.v1("GET", `/reviews/${r1.id}/wait?timeout=10000`);
    await sleep(50);
    const answered1 = await answer(r1.id, { response: { selectedOption: "reject" }, feedback: "  Shorter, please  " });
    expect(answered1.status, answered1.text).toBe(200);
    expect(answered1.json.review).toMatchObject({ status: "completed", response: { selectedOption: "reject" }, feedback: "Shorter, please" });
    expect((await wait1).json).toMatchObject({ status: "completed", message: { id: r1.id, review: { feedback: "Shorter, please" } } });
    expect((await responded(r1.id)).review.feedback).toBe("Shorter, please");
    expect(await webhookBody(channel, r1.id, "review:responded")).toMatchObject({
      event: "review:responded",
      message_id: r1.id,
      feedback: "Shorter, please",
      iteration: null,
      iterationGroupId: null,
    });

    // Round 2: the revision joins the chain, and the root with it.
    const r2 = await post(channel, { text: "Draft 2", review: approval, iterationOf: r1.id });
    expect(r2).toMatchObject({ iteration: 2, iterationGroupId: r1.id });
    const root = await bot.v1("GET", `/messages/${r1.id}?channel=${channel}`);
    expect(root.json).toMatchObject({ iteration: 1, iterationGroupId: r1.id, review: { feedback: "Shorter, please" } });
    expect(await messageRow(r2.id)).toEqual({ iterationOf: r1.id, iteration: 2, groupId: r1.id, feedback: null });

    const wait2 = bot.v1("GET", `/reviews/${r2.id}/wait?timeout=10000`);
    await sleep(50);
    expect((await answer(r2.id, { response: { selectedOption: "reject" }, feedback: "Almost: fix the date" })).status).toBe(200);
    const settled2 = (await wait2).json;
    expect(settled2).toMatchObject({
      status: "completed",
      message: { id: r2.id, iteration: 2, iterationGroupId: r1.id, review: { feedback: "Almost: fix the date" } },
    });
    expect(await responded(r2.id)).toMatchObject({ id: r2.id, iteration: 2, iterationGroupId: r1.id, review: { feedback: "Almost: fix the date" } });
    expect(await webhookBody(channel, r2.id, "review:responded")).toMatchObject({
      event: "review:responded",
      message_id: r2.id,
      response: { selectedOption: "reject" },
      feedback: "Almost: fix the date",
      iteration: 2,
      iterationGroupId: r1.id,
      message: { id: r2.id, iteration: 2, iterationGroupId: r1.id, review: { feedback: "Almost: fix the date" } },
    });

    // Round 3: approved without feedback.
    const r3 = await post(channel, { text: "Draft 3", review: approval, iterationOf: r2.id });
    expect(r3).toMatchObject({ iteration: 3, iterationGroupId: r1.id });
    expect((await answer(r3.id, { response: { selectedOption: "approve" } })).json.review).toMatchObject({ status: "completed", feedback: null });
    expect(await responded(r3.id)).toMatchObject({ iteration: 3, iterationGroupId: r1.id, review: { feedback: null } });
    expect(await webhookBody(channel, r3.id, "review:responded")).toMatchObject({ feedback: null, iteration: 3, iterationGroupId: r1.id });
    socket.ws.close();

    // The chain from any of its ids, by iteration; for the agent and for the person.
    for (const id of [r1.id, r2.id, r3.id]) {
      const chain = await bot.v1("GET", `/messages/iterations/${id}?channel=${channel}`);
      expect(chain.status, chain.text).toBe(200);
      expect(chain.json.groupId).toBe(r1.id);
      expect(ids(chain.json.iterations)).toEqual([r1.id, r2.id, r3.id]);
      expect(chain.json.iterations.map((m: { iteration: number }) => m.iteration)).toEqual([1, 2, 3]);
      expect(chain.json.iterations.map((m: { review: { feedback: string | null } }) => m.review.feedback)).toEqual([
        "Shorter, please",
        "Almost: fix the date",
        null,
      ]);
    }
    const forPerson = await owner.as("GET", `/api/messages/iterations/${r3.id}`);
    expect(forPerson.status, forPerson.text).toBe(200);
    expect(forPerson.json.groupId).toBe(r1.id);
    expect(ids(forPerson.json.iterations)).toEqual([r1.id, r2.id, r3.id]);
  });

  it("a message outside any chain is a chain of its own; another user's or a missing id is 404", async () => {
    const channel = await newChannel("Singles");
    const single = await post(channel, { text: "just me" });
    const chain = await bot.v1("GET", `/messages/iterations/${single.id}?channel=${channel}`);
    expect(chain.status).toBe(200);
    expect(chain.json).toEqual({ groupId: single.id, iterations: [single] });
    expect((await owner.as("GET", `/api/messages/iterations/${single.id}`)).json).toMatchObject({ groupId: single.id, iterations: [{ id: single.id }] });

    expectRefused(await bot.v1("GET", `/messages/iterations/no-such-message?channel=${channel}`), 404);
    expectRefused(await bot.v1("GET", `/messages/iterations/${single.id}?channel=${bot.agent.id}`), 404); // not of that channel
    const stranger = browser(await addMember(owner));
    const strangerBot = await agentWithKey(stranger, "Stranger bot");
    expectRefused(await strangerBot.v1("GET", `/messages/iterations/${single.id}`), 404);
    expectRefused(await stranger.as("GET", `/api/messages/iterations/${single.id}`), 404);
  });

  it("a message with a successor can be iterated on again: the chain branches, both revisions are its iteration + 1", async () => {
    const channel = await newChannel("Branches");
    const root = await post(channel, { text: "v1", review: approval });
    await answer(root.id, { response: { selectedOption: "reject" } });
    // Two revisions at once: group-committed together or one after the other, the chain stays whole.
    const [a, b] = await Promise.all([
      bot.v1("POST", "/messages", { channelId: channel, text: "v2a", iterationOf: root.id }),
      bot.v1("POST", "/messages", { channelId: channel, text: "v2b", iterationOf: root.id }),
    ]);
    for (const res of [a, b]) {
      expect(res.status, res.text).toBe(201);
      expect(res.json).toMatchObject({ iteration: 2, iterationGroupId: root.id });
    }
    expect(await messageRow(root.id)).toMatchObject({ iterationOf: null, iteration: 1, groupId: root.id });
    const chain = (await bot.v1("GET", `/messages/iterations/${b.json.id}?channel=${channel}`)).json;
    expect(chain.groupId).toBe(root.id);
    expect(chain.iterations.map((m: { iteration: number }) => m.iteration)).toEqual([1, 2, 2]);
    expect(ids(chain.iterations)).toEqual([root.id, ...[a.json, b.json].sort((x, y) => x.seq - y.seq).map((m) => m.id)]);
  });

  it("an expired review can be iterated on", async () => {
    const channel = await newChannel("Expiring");
    const root = await post(channel, { text: "v1", review: { ...approval, expiresInSeconds: 1 } });
    await sleep(1100);
    const next = await post(channel, { text: "v2", iterationOf: root.id });
    expect(next).toMatchObject({ iteration: 2, iterationGroupId: root.id });
  });
});

describe("a bad iterationOf", () => {
  it("is refused with 400 naming iterationOf and why, and stores nothing", async () => {
    const channel = await newChannel("Strict");
    const other = await newChannel("Elsewhere");
    const foreign = await post(other, { text: "answered elsewhere", review: approval });
    await answer(foreign.id, { response: { selectedOption: "approve" } });
    const pending = await post(channel, { text: "still waiting", review: approval });
    const plain = await post(channel, { text: "no review here" });
    const before = ids(await channelMessages(channel));

    const cases: [string, string, RegExp, string][] = [
      ["unknown", "no-such-message", /no such message/, "not_found"],
      ["another channel's", foreign.id, /no such message/, "not_found"],
      ["pending", pending.id, /pending/, "invalid"],
      ["no review", plain.id, /no review/, "invalid"],
    ];
    for (const [what, iterationOf, reason, code] of cases) {
      const res = await bot.v1("POST", "/messages", { channelId: channel, text: `revision of ${what}`, review: approval, iterationOf });
      expect(expectRefused(res, 400, "iterationOf"), what).toMatch(reason);
      expect(res.json.errors, what).toEqual([{ path: "iterationOf", message: expect.any(String), code }]);
    }
    // Every problem of the body at once: a bad attachment and a bad iterationOf.
    const both = await bot.v1("POST", "/messages", { channelId: channel, text: "both", attachmentIds: ["no-such-file"], iterationOf: pending.id });
    expect(both.json.errors).toEqual([
      { path: "attachmentIds.0", message: "no such file in this channel", code: "not_found" },
      { path: "iterationOf", message: expect.stringMatching(/pending/), code: "invalid" },
    ]);

    expect(ids(await channelMessages(channel))).toEqual(before);
    for (const id of [pending.id, plain.id, foreign.id]) expect(await messageRow(id)).toMatchObject({ iteration: null, groupId: null });
  });
});

describe("retracting a chain", () => {
  it("a message a revision iterates on is 409; the newest goes, then the one before it", async () => {
    const channel = await newChannel("Retracting");
    const r1 = await post(channel, { text: "v1", review: approval });
    await answer(r1.id, { response: { selectedOption: "reject" } });
    const r2 = await post(channel, { text: "v2", review: approval, iterationOf: r1.id });

    const refused = await bot.v1("DELETE", `/messages/${r1.id}?channel=${channel}`);
    expect(expectRefused(refused, 409, "id")).toContain(r2.id);
    expect((await bot.v1("GET", `/messages/${r1.id}?channel=${channel}`)).status).toBe(200);

    expect((await bot.v1("DELETE", `/messages/${r2.id}?channel=${channel}`)).json).toEqual({ id: r2.id, deleted: true });
    expect((await bot.v1("DELETE", `/messages/${r1.id}?channel=${channel}`)).json).toEqual({ id: r1.id, deleted: true });
    expect(await channelMessages(channel)).toEqual([]);
  });
});

describe("a retract racing a revision", () => {
  it("one of them wins: never a revision of a retracted message", async () => {
    const channel = await newChannel("Racing");
    for (let i = 0; i < 5; i++) {
      const target = await post(channel, { text: `v1 #${i}`, review: approval });
      await answer(target.id, { response: { selectedOption: "reject" } });
      const [retracted, revised] = await Promise.all([
        bot.v1("DELETE", `/messages/${target.id}?channel=${channel}`),
        bot.v1("POST", "/messages", { channelId: channel, text: `v2 #${i}`, iterationOf: target.id }),
      ]);
      if (retracted.status === 200) {
        expectRefused(revised, 400, "iterationOf");
      } else {
        expectRefused(retracted, 409, "id");
        expect(revised.status, revised.text).toBe(201);
        expect(await messageRow(target.id)).toMatchObject({ iteration: 1, groupId: target.id });
      }
    }
    const orphans = await env.DB.prepare(
      "SELECT count(*) AS n FROM messages m WHERE m.channel_id = ? AND m.iteration_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages t WHERE t.id = m.iteration_of)",
    )
      .bind(channel)
      .first<number>("n");
    expect(orphans).toBe(0);
  });
});

describe("has_attachments", () => {
  it("lists only messages with (true) or without (false) files, through both APIs; anything else is 400", async () => {
    const channel = await newChannel("Files");
    const stored = await call("POST", "/api/v1/files/store", {
      raw: form({ file: textFile("hello"), channelId: channel }),
      headers: { "x-api-key": bot.apiKey },
    });
    expect(stored.status, stored.text).toBe(201);
    const withFile = await post(channel, { text: "see attached", attachmentIds: [stored.json.id] });
    const plainA = await post(channel, { text: "plain a" });
    const plainB = await post(channel, { text: "plain b", review: approval });

    const list = async (q: string) => ids((await bot.v1("GET", `/messages?channel=${channel}&${q}`)).json.data);
    expect(await list("has_attachments=true")).toEqual([withFile.id]);
    expect(await list("has_attachments=false")).toEqual([plainB.id, plainA.id]);
    expect(await list("has_attachments=false&search=plain%20a")).toEqual([plainA.id]);
    expect(await list("")).toEqual([plainB.id, plainA.id, withFile.id]);
    const person = await owner.as("GET", `/api/messages?channel=${channel}&has_attachments=true`);
    expect(ids(person.json.data)).toEqual([withFile.id]);

    expectRefused(await bot.v1("GET", `/messages?channel=${channel}&has_attachments=yes`), 400, "query.has_attachments");
    expectRefused(await owner.as("GET", `/api/messages?channel=${channel}&has_attachments=1`), 400, "query.has_attachments");
  });
});

describe("GET /reviews/pending", () => {
  it("answers a bare array of pending reviews; limit still applies", async () => {
    const channel = await newChannel("Pending");
    const first = await post(channel, { text: "one", review: approval });
    const second = await post(channel, { text: "two", review: approval });
    await post(channel, { text: "not a review" });
    const all = await bot.v1("GET", `/reviews/pending?channel=${channel}`);
    expect(all.status).toBe(200);
    expect(Array.isArray(all.json)).toBe(true);
    expect(ids(all.json)).toEqual([second.id, first.id]);
    const one = await bot.v1("GET", `/reviews/pending?channel=${channel}&limit=1`);
    expect(ids(one.json)).toEqual([second.id]);
  });
});

describe("null means not given on POST /messages", () => {
  it("every optional field may be null", async () => {
    const channel = await newChannel("Nulls");
    const res = await bot.v1("POST", "/messages", {
      channelId: channel,
      text: "all null",
      status: null,
      metadata: null,
      webhookUrl: null,
      attachmentIds: null,
      textAttachments: null,
      iterationOf: null,
      clientId: null,
      review: null,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ text: "all null", status: null, metadata: null, review: null, attachments: [], iteration: null, iterationGroupId: null });
    // A null clientId is no idempotency key: the same body again is a second message.
    const again = await bot.v1("POST", "/messages", { channelId: channel, text: "all null", clientId: null });
    expect(again.status).toBe(201);
    expect(again.json.id).not.toBe(res.json.id);
  });

  it("each optional field of a review may be null: the default expiry, no callback", async () => {
    const channel = await newChannel("Null reviews");
    for (const field of ["expiresAt", "expiresInSeconds", "callback"]) {
      const before = Date.now();
      const res = await bot.v1("POST", "/messages", { channelId: channel, text: `${field}: null`, review: { ...approval, [field]: null } });
      expect(res.status, `${field}: ${res.text}`).toBe(201);
      const expiresIn = Date.parse(res.json.review.expiresAt) - before;
      expect(expiresIn, field).toBeGreaterThan(86_400_000 - 60_000); // the default day
      expect(expiresIn, field).toBeLessThan(86_400_000 + 60_000);
    }
    // All at once, with the message's own optional fields null too.
    const all = await bot.v1("POST", "/messages", {
      channelId: channel,
      text: null,
      status: null,
      review: { ...approval, expiresAt: null, expiresInSeconds: null, callback: null },
      metadata: null,
      webhookUrl: null,
      attachmentIds: null,
      iterationOf: null,
    });
    expect(all.status, all.text).toBe(201);
    expect(all.json).toMatchObject({ text: null, status: null, metadata: null, review: { type: "approval", status: "pending" } });
    const stored = await env.DB.prepare("SELECT review_callback AS callback, webhook_url AS url FROM messages WHERE id = ?").bind(all.json.id).first();
    expect(stored).toEqual({ callback: null, url: null });
  });

  it("null alone is still not a message", async () => {
    const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: null, review: null, attachmentIds: null });
    expectRefused(res, 400);
  });
});
