// Two people, each with an agent, a key, messages, a review and files. Every route that takes an id
// is tried with the other person's ids, in both directions (the owner's role gives no access to a
// member's data): each answers exactly as it does for an id that does not exist, lists never show
// the other's things, and nothing changes for the owner of the data.
import { beforeAll, describe, expect, it } from "vitest";
import { addMember, agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, form, textFile, type Bot, type Res } from "./api-helpers";

interface Ids {
  agentId: string;
  plainId: string;
  reviewId: string;
  fileId: string;
  storedFileId: string;
  keyId: string;
}

interface World extends Ids {
  name: string;
  person: Person;
  bot: Bot;
}

const FAKE: Ids = {
  agentId: "0000000000nosuchagent",
  plainId: "0000000000nosuchmessg",
  reviewId: "0000000000nosuchreviw",
  fileId: "0000000000nosuchfile0",
  storedFileId: "0000000000nosuchfile1",
  keyId: "0000000000nosuchkey00",
};

const worlds: Record<"owner" | "member", World> = {} as never;

async function storeFile(bot: Bot, text: string, name: string) {
  const res = await call("POST", "/api/v1/files/store", {
    raw: form({ file: textFile(text, name), channelId: bot.agent.id }),
    headers: { "x-api-key": bot.apiKey },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

async function makeWorld(person: Person, name: string): Promise<World> {
  const bot = await agentWithKey(person, `${name} bot`);
  const fileId = await storeFile(bot, `${name} attached bytes`, "attached.txt");
  const plain = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: `${name} secret plan`, attachmentIds: [fileId] });
  const review = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: `${name} asks for approval`, review: approval });
  expect(plain.status).toBe(201);
  expect(review.status).toBe(201);
  const storedFileId = await storeFile(bot, `${name} stored bytes`, "stored.txt");
  return { name, person, bot, agentId: bot.agent.id, plainId: plain.json.id, reviewId: review.json.id, fileId, storedFileId, keyId: bot.keyId };
}

/** What the data's owner sees of their own things (lastUsedAt moves with their own use). */
async function snapshot(w: World) {
  const agent = (await w.person.as("GET", `/api/agents/${w.agentId}`)).json;
  const listed = (await w.person.as("GET", "/api/agents")).json.data;
  const messages = (await w.bot.v1("GET", `/messages?channel=${w.agentId}`)).json.data;
  const history = (await w.person.as("GET", `/api/agents/${w.agentId}/status-history`)).json.data;
  const stats = (await w.person.as("GET", `/api/agents/${w.agentId}/stats`)).json;
  const keys = (await w.person.as("GET", "/api/api-keys")).json.data.map(({ lastUsedAt: _, ...k }: { lastUsedAt: unknown }) => k);
  const prefs = (await w.person.as("GET", "/api/preferences")).json;
  return { agent, listed, messages, history, stats, keys, prefs };
}

let before: Record<"owner" | "member", Awaited<ReturnType<typeof snapshot>>>;

beforeAll(async () => {
  const owner = browser(await setupOwner());
  const member = browser(await addMember(owner));
  worlds.owner = await makeWorld(owner, "Owner");
  worlds.member = await makeWorld(member, "Member");
  before = { owner: await snapshot(worlds.owner), member: await snapshot(worlds.member) };
});

const json = (body: unknown) => body;
const multipart = (a: World, path: string, fd: FormData, viaKey: boolean) =>
  call("POST", path, { raw: fd, headers: viaKey ? { "x-api-key": a.bot.apiKey } : { cookie: a.person.cookie, origin: BASE } });

/** [route, request by `a` naming the ids `v`]: each must answer 404. */
const notFoundRoutes: [string, (a: World, v: Ids) => Promise<Res>][] = [
  // Agent API, with the actor's own unscoped key.
  ["v1 GET /messages/:id", (a, v) => a.bot.v1("GET", `/messages/${v.plainId}`)],
  ["v1 GET /messages/:id?channel=", (a, v) => a.bot.v1("GET", `/messages/${v.plainId}?channel=${v.agentId}`)],
  ["v1 GET /messages/iterations/:id", (a, v) => a.bot.v1("GET", `/messages/iterations/${v.reviewId}`)],
  ["v1 GET /messages/iterations/:id?channel=", (a, v) => a.bot.v1("GET", `/messages/iterations/${v.reviewId}?channel=${v.agentId}`)],
  ["v1 DELETE /messages/:id", (a, v) => a.bot.v1("DELETE", `/messages/${v.plainId}`)],
  ["v1 DELETE /messages/:id (review)", (a, v) => a.bot.v1("DELETE", `/messages/${v.reviewId}`)],
  ["v1 POST /messages/:id/ack", (a, v) => a.bot.v1("POST", `/messages/${v.plainId}/ack`)],
  ["v1 POST /messages/:id/ack?channel=", (a, v) => a.bot.v1("POST", `/messages/${v.plainId}/ack?channel=${v.agentId}`)],
  ["v1 GET /reviews/:id", (a, v) => a.bot.v1("GET", `/reviews/${v.reviewId}`)],
  ["v1 GET /reviews/:id/wait", (a, v) => a.bot.v1("GET", `/reviews/${v.reviewId}/wait?timeout=50`)],
  ["v1 GET /reviews/:id/wait?channel=", (a, v) => a.bot.v1("GET", `/reviews/${v.reviewId}/wait?channel=${v.agentId}&timeout=50`)],
  ["v1 GET /messages?channel=", (a, v) => a.bot.v1("GET", `/messages?channel=${v.agentId}`)],
  ["v1 GET /messages?channel=&after=0", (a, v) => a.bot.v1("GET", `/messages?channel=${v.agentId}&after=0`)],
  ["v1 GET /reviews/pending?channel=", (a, v) => a.bot.v1("GET", `/reviews/pending?channel=${v.agentId}`)],
  ["v1 POST /messages into the channel", (a, v) => a.bot.v1("POST", "/messages", { channelId: v.agentId, text: "injected", review: approval })],
  ["v1 PATCH /agents/:id", (a, v) => a.bot.v1("PATCH", `/agents/${v.agentId}`, { name: "hijacked", webhookUrl: "https://evil.example/hook" })],
  ["v1 DELETE /agents/:id", (a, v) => a.bot.v1("DELETE", `/agents/${v.agentId}`)],
  ["v1 POST /status/ping", (a, v) => a.bot.v1("POST", "/status/ping", { agentId: v.agentId, status: "error", message: "spoofed" })],
  ["v1 GET /files/:id/download (attached)", (a, v) => a.bot.v1("GET", `/files/${v.fileId}/download`)],
  ["v1 GET /files/:id/download (stored)", (a, v) => a.bot.v1("GET", `/files/${v.storedFileId}/download`)],
  ["v1 POST /files/store into the channel", (a, v) => multipart(a, "/api/v1/files/store", form({ file: textFile("planted"), channelId: v.agentId }), true)],
  [
    "v1 POST /files/upload into the channel",
    (a, v) => multipart(a, "/api/v1/files/upload", form({ file: textFile("planted"), channelId: v.agentId, text: "injected" }), true),
  ],
  ["v1 GET /files?channel=", (a, v) => a.bot.v1("GET", `/files?channel=${v.agentId}`)],
  ["v1 POST /files/store-text into the channel", (a, v) => a.bot.v1("POST", "/files/store-text", { channelId: v.agentId, content: "planted" })],
  [
    "v1 POST /messages with textAttachments into the channel",
    (a, v) => a.bot.v1("POST", "/messages", { channelId: v.agentId, textAttachments: [{ content: "planted" }] }),
  ],
  // User API, with the actor's own session.
  ["GET /api/agents/:id", (a, v) => a.person.as("GET", `/api/agents/${v.agentId}`)],
  ["PATCH /api/agents/:id", (a, v) => a.person.as("PATCH", `/api/agents/${v.agentId}`, json({ name: "hijacked" }))],
  ["DELETE /api/agents/:id", (a, v) => a.person.as("DELETE", `/api/agents/${v.agentId}`)],
  ["GET /api/agents/:id/stats", (a, v) => a.person.as("GET", `/api/agents/${v.agentId}/stats`)],
  ["GET /api/agents/:id/status-history", (a, v) => a.person.as("GET", `/api/agents/${v.agentId}/status-history`)],
  ["POST /api/agents/:id/read", (a, v) => a.person.as("POST", `/api/agents/${v.agentId}/read`, json({}))],
  ["POST /api/agents/:id/rotate-webhook-secret", (a, v) => a.person.as("POST", `/api/agents/${v.agentId}/rotate-webhook-secret`)],
  ["GET /api/messages?channel=", (a, v) => a.person.as("GET", `/api/messages?channel=${v.agentId}`)],
  ["POST /api/messages into the channel", (a, v) => a.person.as("POST", "/api/messages", json({ channelId: v.agentId, text: "injected" }))],
  [
    "POST /api/messages/:id/respond",
    (a, v) => a.person.as("POST", `/api/messages/${v.reviewId}/respond`, json({ response: { selectedOption: "reject", comment: "not yours" } })),
  ],
  ["POST /api/messages/:id/retry-webhook", (a, v) => a.person.as("POST", `/api/messages/${v.plainId}/retry-webhook`)],
  ["GET /api/messages/iterations/:id", (a, v) => a.person.as("GET", `/api/messages/iterations/${v.reviewId}`)],
  ["GET /api/reviews?channel=", (a, v) => a.person.as("GET", `/api/reviews?status=all&channel=${v.agentId}`)],
  ["GET /api/reviews/count?channel=", (a, v) => a.person.as("GET", `/api/reviews/count?status=all&channel=${v.agentId}`)],
  ["GET /api/reviews?view=&channel=", (a, v) => a.person.as("GET", `/api/reviews?view=answered-by-me&channel=${v.agentId}`)],
  ["GET /api/files/:id/download", (a, v) => a.person.as("GET", `/api/files/${v.fileId}/download`)],
  ["GET /api/files/:id/download (stored)", (a, v) => a.person.as("GET", `/api/files/${v.storedFileId}/download`)],
  ["POST /api/files/store into the channel", (a, v) => multipart(a, "/api/files/store", form({ file: textFile("planted"), channelId: v.agentId }), false)],
  [
    "POST /api/files/upload into the channel",
    (a, v) => multipart(a, "/api/files/upload", form({ file: textFile("planted"), channelId: v.agentId, text: "injected" }), false),
  ],
  ["GET /api/files?channel=", (a, v) => a.person.as("GET", `/api/files?channel=${v.agentId}`)],
  ["POST /api/files/store-text into the channel", (a, v) => a.person.as("POST", "/api/files/store-text", json({ channelId: v.agentId, content: "planted" }))],
  ["DELETE /api/api-keys/:id", (a, v) => a.person.as("DELETE", `/api/api-keys/${v.keyId}`)],
  ["POST /api/api-keys/:id/rotate", (a, v) => a.person.as("POST", `/api/api-keys/${v.keyId}/rotate`)],
];

/** [route, request, paths]: ids named in a body are 400, exactly as an unknown id is. */
const invalidRoutes: [string, (a: World, v: Ids) => Promise<Res>, string][] = [
  [
    "v1 POST /messages attaching the other's file",
    (a, v) => a.bot.v1("POST", "/messages", { channelId: a.agentId, text: "stolen", attachmentIds: [v.storedFileId] }),
    "attachmentIds.0",
  ],
  [
    "v1 POST /messages revising the other's message",
    (a, v) => a.bot.v1("POST", "/messages", { channelId: a.agentId, text: "stolen chain", iterationOf: v.reviewId }),
    "iterationOf",
  ],
  [
    "POST /api/messages attaching the other's file",
    (a, v) => a.person.as("POST", "/api/messages", json({ channelId: a.agentId, text: "stolen", attachmentIds: [v.storedFileId] })),
    "attachmentIds.0",
  ],
  [
    "POST /api/api-keys scoped to the other's agent",
    (a, v) => a.person.as("POST", "/api/api-keys", json({ label: "stolen scope", agentIds: [v.agentId] })),
    "agentIds.0",
  ],
];

const directions: ["owner" | "member", "owner" | "member"][] = [
  ["member", "owner"],
  ["owner", "member"],
];

describe.each(directions)("%s using %s's ids", (actorName, victimName) => {
  it.each(notFoundRoutes)("%s → 404, as for an unknown id", async (_route, request) => {
    const actor = worlds[actorName];
    const res = await request(actor, worlds[victimName]);
    expectError(res, 404);
    const unknown = await request(actor, FAKE);
    expect(res.json).toEqual(unknown.json);
  });

  it.each(invalidRoutes)("%s → 400, as for an unknown id", async (_route, request, path) => {
    const actor = worlds[actorName];
    const res = await request(actor, worlds[victimName]);
    expectError(res, 400, [path]);
    expect(res.json).toEqual((await request(actor, FAKE)).json);
  });

  it("lists never show the other's agents, messages, reviews or keys", async () => {
    const a = worlds[actorName];
    const v = worlds[victimName];
    const v1Agents = (await a.bot.v1("GET", "/agents")).json.map((x: { id: string }) => x.id);
    expect(v1Agents).toEqual([a.agentId]);
    const agents = (await a.person.as("GET", "/api/agents")).json.data.map((x: { id: string }) => x.id);
    expect(agents).toEqual([a.agentId]);
    const inbox = await a.person.as("GET", "/api/reviews?status=all");
    expect(inbox.json.data.map((m: { id: string }) => m.id)).toEqual([a.reviewId]);
    const pending = await a.bot.v1("GET", "/reviews/pending");
    expect(pending.json.map((m: { id: string }) => m.id)).toEqual([a.reviewId]);
    const keys = (await a.person.as("GET", "/api/api-keys")).json.data.map((k: { id: string }) => k.id);
    expect(keys).not.toContain(v.keyId);
    const searched = await a.person.as("GET", `/api/reviews?status=all&search=${encodeURIComponent(v.name)}`);
    expect(searched.json.data).toEqual([]);
    const mine = await a.bot.v1("GET", "/messages");
    expect(mine.json.data.map((m: { channelId: string }) => m.channelId)).toEqual([a.agentId, a.agentId]);
    expect(mine.text).not.toContain(`${v.name} secret plan`);
  });
});

describe("after all that", () => {
  it.each(["owner", "member"] as const)("nothing changed for %s", async (name) => {
    const w = worlds[name];
    expect(await snapshot(w)).toEqual(before[name]);
    const snap = before[name];
    expect(snap.agent).toMatchObject({ name: `${w.name} bot`, status: "offline", statusMessage: null });
    expect(snap.messages.map((m: { id: string }) => m.id)).toEqual([w.reviewId, w.plainId]);
    const plain = snap.messages.find((m: { id: string }) => m.id === w.plainId);
    expect(plain.deliveryStatus).toBe("sent");
    expect(plain.attachments.map((f: { id: string }) => f.id)).toEqual([w.fileId]);
    expect(snap.history).toEqual([]);
    expect(snap.listed.find((a: { id: string }) => a.id === w.agentId).unreadCount).toBe(2);

    // Their files are intact.
    expect((await w.bot.v1("GET", `/files/${w.fileId}/download`)).text).toBe(`${w.name} attached bytes`);
    expect((await w.bot.v1("GET", `/files/${w.storedFileId}/download`)).text).toBe(`${w.name} stored bytes`);
    // The stored file can still be attached by its owner (nobody used it up).
    const attach = await w.bot.v1("POST", "/messages", { channelId: w.agentId, text: "now attached", attachmentIds: [w.storedFileId] });
    expect(attach.status, attach.text).toBe(201);
    // Their review is still theirs to answer.
    const answered = await w.person.as("POST", `/api/messages/${w.reviewId}/respond`, { response: { selectedOption: "approve" } });
    expect(answered.status, answered.text).toBe(200);
    expect(answered.json.review.response).toEqual({ selectedOption: "approve" });
  });

  it("the keys still work and the sessions still stand", async () => {
    for (const w of Object.values(worlds)) {
      expect((await w.bot.v1("GET", "/agents")).status).toBe(200);
      expect((await w.person.as("GET", "/api/auth/me")).json.id).toBe(w.person.id);
    }
  });

  it("the owner's role gives no membership either: only the members routes are open to an instance owner", async () => {
    const { agentId } = worlds.member;
    const owner = worlds.owner.person;
    // An instance owner manages anyone's members (GET lists them), but is no member by that alone.
    expect((await owner.as("GET", `/api/agents/${agentId}/members`)).status).toBe(200);
    expectError(await owner.as("GET", `/api/agents/${agentId}`), 404);
    // The member (an ordinary user) cannot even see the owner's agent's members.
    expectError(await worlds.member.person.as("GET", `/api/agents/${worlds.owner.agentId}/members`), 404);
    expectError(await worlds.member.person.as("POST", `/api/agents/${worlds.owner.agentId}/members`, { userId: worlds.member.person.id }), 404);
  });

  it("the owner's role gives no view of a member's data through the inbox either", async () => {
    const inbox = await worlds.owner.person.as("GET", "/api/reviews?status=all");
    expect(inbox.json.data.map((m: { channelId: string }) => m.channelId)).not.toContain(worlds.member.agentId);
    expectError(await worlds.owner.person.as("GET", `/api/reviews?channel=${worlds.member.agentId}`), 404);
  });
});
