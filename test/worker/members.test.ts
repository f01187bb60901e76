// Shared agents: an agent's owner adds members, who see the agent, its chat, its inbox items, its status
// and files, write in its chat and answer its reviews, but cannot manage it (403 saying so); anyone else
// gets 404 as for an agent that does not exist. The access matrix covers every user-API route of an
// agent for owner × member × non-member; then the sockets (a member follows the agent, a non-member is
// refused, a removed member stops getting events), the membership routes themselves, and the inbox's
// team views.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { addMember, agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, form, textFile, type Bot, type Res } from "./api-helpers";
import { connectSocket, type RawSocket } from "./socket-helpers";
import { sleep } from "../common";

/** The instance's owner (role "owner"): manages memberships, sees nobody's agents by that alone. */
let admin: Person;
/** The agent's owner (an ordinary user). */
let alice: Person;
/** A member of alice's agent. */
let bob: Person;
/** Someone with no access to alice's agent. */
let carol: Person;
let bot: Bot;
let agentId: string;
let plainId: string;
let fileId: string;

const who = () => ({ owner: alice, member: bob, stranger: carol });

async function postReview(text = "Deploy?") {
  const res = await bot.v1("POST", "/messages", { channelId: agentId, text, review: approval });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

beforeAll(async () => {
  admin = browser(await setupOwner());
  alice = browser(await addMember(admin));
  bob = browser(await addMember(admin));
  carol = browser(await addMember(admin));
  bot = await agentWithKey(alice, "Shared bot");
  agentId = bot.agent.id;
  const stored = await call("POST", "/api/v1/files/store", {
    raw: form({ file: textFile("shared bytes", "shared.txt"), channelId: agentId }),
    headers: { "x-api-key": bot.apiKey },
  });
  expect(stored.status, stored.text).toBe(201);
  fileId = stored.json.id;
  const plain = await bot.v1("POST", "/messages", { channelId: agentId, text: "the plan", attachmentIds: [fileId] });
  expect(plain.status, plain.text).toBe(201);
  plainId = plain.json.id;
  const added = await alice.as("POST", `/api/agents/${agentId}/members`, { userId: bob.email });
  expect(added.status, added.text).toBe(201);
});

/** What must stay as it was after a refused request: the agent as its owner sees it, its members, keys and messages. */
async function snapshot() {
  const agent = (await alice.as("GET", `/api/agents/${agentId}`)).json;
  const members = (await alice.as("GET", `/api/agents/${agentId}/members`)).json;
  const keys = (await alice.as("GET", "/api/api-keys")).json.data.map((k: { id: string; label: string; agentIds: unknown }) => [k.id, k.label, k.agentIds]);
  const messages = (await alice.as("GET", `/api/messages?channel=${agentId}&limit=100`)).json.data.map(
    (m: { id: string; text: string; review: { status: string } | null; deliveryStatus: string }) => [m.id, m.text, m.review?.status, m.deliveryStatus],
  );
  const files = (await alice.as("GET", `/api/files?channel=${agentId}`)).json.map((f: { id: string }) => f.id);
  return { agent, members, keys, messages, files };
}

type Role = "owner" | "member" | "stranger";
interface Route {
  name: string;
  request: (p: Person, role: Role) => Promise<Res>;
  /** The status each role gets (the owner's is checked last, after the refusals). */
  expect: Record<Role, number>;
  /** Changes something when allowed (so a success is not compared with the snapshot). */
  writes?: boolean;
  /** Runs before the snapshot (what the request needs that is not its own change). */
  prepare?: () => Promise<void>;
}

/** The review the next respond request answers (posted by `prepare`). */
let target = "";

const json = (p: Person, method: string, path: string, body?: unknown) => p.as(method, path, body);

const routes: Route[] = [
  { name: "GET /api/agents/:id", request: (p) => json(p, "GET", `/api/agents/${agentId}`), expect: { owner: 200, member: 200, stranger: 404 } },
  {
    name: "PATCH /api/agents/:id",
    request: (p, r) => json(p, "PATCH", `/api/agents/${agentId}`, { description: `changed by ${r}`, webhookUrl: "https://evil.example/hook" }),
    expect: { owner: 200, member: 403, stranger: 404 },
  },
  {
    name: "POST /api/agents/:id/rotate-webhook-secret",
    request: (p) => json(p, "POST", `/api/agents/${agentId}/rotate-webhook-secret`),
    expect: { owner: 200, member: 403, stranger: 404 },
  },
  { name: "GET /api/agents/:id/members", request: (p) => json(p, "GET", `/api/agents/${agentId}/members`), expect: { owner: 200, member: 200, stranger: 404 } },
  {
    name: "POST /api/agents/:id/members",
    request: (p, r) => json(p, "POST", `/api/agents/${agentId}/members`, { userId: r === "owner" ? bob.id : carol.id }),
    expect: { owner: 200, member: 403, stranger: 404 },
  },
  {
    name: "DELETE /api/agents/:id/members/:userId",
    request: (p, r) => json(p, "DELETE", `/api/agents/${agentId}/members/${r === "owner" ? carol.id : bob.id}`),
    expect: { owner: 404, member: 403, stranger: 404 },
  },
  {
    name: "DELETE /api/agents/:id/members {userId}",
    request: (p, r) => json(p, "DELETE", `/api/agents/${agentId}/members`, { userId: r === "owner" ? carol.email : bob.email }),
    expect: { owner: 404, member: 403, stranger: 404 },
  },
  { name: "GET /api/agents/:id/stats", request: (p) => json(p, "GET", `/api/agents/${agentId}/stats`), expect: { owner: 200, member: 200, stranger: 404 } },
  {
    name: "GET /api/agents/:id/status-history",
    request: (p) => json(p, "GET", `/api/agents/${agentId}/status-history`),
    expect: { owner: 200, member: 200, stranger: 404 },
  },
  { name: "POST /api/agents/:id/read", request: (p) => json(p, "POST", `/api/agents/${agentId}/read`, {}), expect: { owner: 200, member: 200, stranger: 404 } },
  {
    name: "GET /api/messages?channel=",
    request: (p) => json(p, "GET", `/api/messages?channel=${agentId}`),
    expect: { owner: 200, member: 200, stranger: 404 },
  },
  {
    name: "POST /api/messages",
    request: (p, r) => json(p, "POST", "/api/messages", { channelId: agentId, text: `hello from ${r}` }),
    expect: { owner: 201, member: 201, stranger: 404 },
    writes: true,
  },
  {
    name: "GET /api/messages/iterations/:id",
    request: (p) => json(p, "GET", `/api/messages/iterations/${plainId}`),
    expect: { owner: 200, member: 200, stranger: 404 },
  },
  {
    name: "POST /api/messages/:id/respond",
    prepare: async () => {
      target = await postReview();
    },
    request: (p) => json(p, "POST", `/api/messages/${target}/respond`, { response: { selectedOption: "approve" } }),
    expect: { owner: 200, member: 200, stranger: 404 },
    writes: true,
  },
  {
    name: "POST /api/messages/:id/retry-webhook",
    request: (p) => json(p, "POST", `/api/messages/${plainId}/retry-webhook`),
    // The owner's answer: the message has no webhook to retry.
    expect: { owner: 400, member: 403, stranger: 404 },
  },
  {
    name: "GET /api/reviews?channel=",
    request: (p) => json(p, "GET", `/api/reviews?status=all&channel=${agentId}`),
    expect: { owner: 200, member: 200, stranger: 404 },
  },
  {
    name: "GET /api/reviews/count?channel=",
    request: (p) => json(p, "GET", `/api/reviews/count?channel=${agentId}`),
    expect: { owner: 200, member: 200, stranger: 404 },
  },
  { name: "GET /api/files?channel=", request: (p) => json(p, "GET", `/api/files?channel=${agentId}`), expect: { owner: 200, member: 200, stranger: 404 } },
  { name: "GET /api/files?agent=", request: (p) => json(p, "GET", `/api/files?agent=${agentId}`), expect: { owner: 200, member: 200, stranger: 404 } },
  { name: "GET /api/files/:id/download", request: (p) => json(p, "GET", `/api/files/${fileId}/download`), expect: { owner: 200, member: 200, stranger: 404 } },
  {
    name: "POST /api/files/store-text",
    request: (p, r) => json(p, "POST", "/api/files/store-text", { channelId: agentId, content: `notes of ${r}` }),
    expect: { owner: 201, member: 201, stranger: 404 },
    writes: true,
  },
  {
    name: "POST /api/files/upload",
    request: (p, r) =>
      call("POST", "/api/files/upload", {
        raw: form({ file: textFile(`upload of ${r}`, `${r}.txt`), channelId: agentId, text: `file from ${r}` }),
        headers: { cookie: p.cookie, origin: BASE },
      }),
    expect: { owner: 201, member: 201, stranger: 404 },
    writes: true,
  },
  {
    name: "POST /api/api-keys with agentIds",
    request: (p, r) => json(p, "POST", "/api/api-keys", { label: `key of ${r}`, agentIds: [agentId] }),
    // A non-member's unknown id is a 400 naming it, as for an id that does not exist.
    expect: { owner: 201, member: 403, stranger: 400 },
  },
  {
    name: "DELETE /api/agents/:id",
    request: (p) => json(p, "DELETE", `/api/agents/${agentId}`),
    // The owner's delete is tried on an agent of its own at the end (the rest of this file needs this one).
    expect: { owner: 0, member: 403, stranger: 404 },
  },
];

describe("access matrix: owner × member × non-member over every user-API route of an agent", () => {
  for (const role of ["stranger", "member"] as const) {
    it.each(routes.map((r) => [r.name, r] as const))(`%s as the ${role}`, async (_name, route) => {
      await route.prepare?.();
      const before = await snapshot();
      const res = await route.request(who()[role], role);
      const status = route.expect[role];
      if (status >= 400) {
        expectError(res, status);
        if (status === 403) expect(res.json.message).toMatch(/^Only the agent's owner can /);
        if (role === "stranger" && status === 404) expect(res.json.message).toMatch(/not found/);
        expect(await snapshot()).toEqual(before);
      } else {
        expect(res.status, res.text).toBe(status);
        if (!route.writes) expect(await snapshot()).toEqual(before);
      }
    });
  }

  it.each(routes.filter((r) => r.expect.owner !== 0).map((r) => [r.name, r] as const))("%s as the owner", async (_name, route) => {
    await route.prepare?.();
    const res = await route.request(alice, "owner");
    expect(res.status, res.text).toBe(route.expect.owner);
  });

  it("a refused request answers exactly as for an agent that does not exist", async () => {
    const ghost = "0000000000nosuchagent";
    for (const path of [`/api/agents/${agentId}`, `/api/agents/${agentId}/members`, `/api/agents/${agentId}/stats`, `/api/reviews?channel=${agentId}`]) {
      const res = await carol.as("GET", path);
      expect(res.json).toEqual((await carol.as("GET", path.replace(agentId, ghost))).json);
    }
    expect((await carol.as("GET", `/api/messages/iterations/${plainId}`)).json).toEqual(
      (await carol.as("GET", "/api/messages/iterations/0000000000nosuchmessg")).json,
    );
  });

  it("the owner deletes the agent; a member may not (403), and then nobody sees it", async () => {
    const other = await alice.as("POST", "/api/agents", { name: "Short-lived" });
    await alice.as("POST", `/api/agents/${other.json.id}/members`, { userId: bob.id });
    expectError(await bob.as("DELETE", `/api/agents/${other.json.id}`), 403);
    expect((await alice.as("DELETE", `/api/agents/${other.json.id}`)).status).toBe(200);
    expectError(await bob.as("GET", `/api/agents/${other.json.id}`), 404);
  });
});

describe("what a member sees", () => {
  it("GET /api/agents lists owned and member agents with their access; a member's view has no webhook credentials", async () => {
    await alice.as("PATCH", `/api/agents/${agentId}`, {
      webhookUrl: "https://hooks.example.com/nod",
      webhookHeaders: { "x-token": "secret header" },
      webhookAuth: { username: "nod", password: "hunter22" },
    });
    const own = await bob.as("POST", "/api/agents", { name: "Bob's own" });
    const listed = (await bob.as("GET", "/api/agents")).json.data as Record<string, unknown>[];
    const shared = listed.find((a) => a.id === agentId)!;
    const mine = listed.find((a) => a.id === own.json.id)!;
    expect(shared.access).toBe("member");
    expect(shared).not.toHaveProperty("webhookSecret");
    expect(shared.webhookHeaders).toBeNull();
    expect(shared.webhookAuth).toBeNull();
    expect(mine.access).toBe("owner");
    expect(mine.webhookSecret).toMatch(/^whsec_/);
    const single = (await bob.as("GET", `/api/agents/${agentId}`)).json;
    expect(single).not.toHaveProperty("webhookSecret");
    expect(single.webhookHeaders).toBeNull();
    expect(single.webhookAuth).toBeNull();
    expect(JSON.stringify(single)).not.toContain("secret header");
    // The owner's own list and view are unchanged.
    const aliceList = (await alice.as("GET", "/api/agents")).json.data as Record<string, unknown>[];
    expect(aliceList.map((a) => [a.id, a.access])).toEqual([[agentId, "owner"]]);
    expect(aliceList[0]!.webhookHeaders).toEqual({ "x-token": "secret header" });
    expect((await alice.as("GET", `/api/agents/${agentId}`)).json.webhookSecret).toMatch(/^whsec_/);
    // A stranger's list has neither.
    expect((await carol.as("GET", "/api/agents")).json.data.map((a: { id: string }) => a.id)).not.toContain(agentId);
    await alice.as("PATCH", `/api/agents/${agentId}`, { webhookUrl: null, webhookHeaders: null, webhookAuth: null });
  });

  it("unread counts work for a member (their own read marker)", async () => {
    await bob.as("POST", `/api/agents/${agentId}/read`, {});
    const unread = async (p: Person) => (await p.as("GET", "/api/agents")).json.data.find((a: { id: string }) => a.id === agentId).unreadCount;
    expect(await unread(bob)).toBe(0);
    await bot.v1("POST", "/messages", { channelId: agentId, text: "one" });
    await bot.v1("POST", "/messages", { channelId: agentId, text: "two" });
    expect(await unread(bob)).toBe(2);
    await bob.as("POST", `/api/agents/${agentId}/read`, {});
    expect(await unread(bob)).toBe(0);
  });

  it("a member's message and file land in the agent's chat as the owner's agent's, sent by the member", async () => {
    const posted = await bob.as("POST", "/api/messages", { channelId: agentId, text: "from bob" });
    expect(posted.json).toMatchObject({ senderType: "user", senderId: bob.id, channelId: agentId });
    const seen = await bot.v1("GET", `/messages?channel=${agentId}`);
    expect(seen.json.data.map((m: { id: string }) => m.id)).toContain(posted.json.id);
    const stored = await bob.as("POST", "/api/files/store-text", { channelId: agentId, content: "bob's notes", filename: "bob.txt" });
    const attached = await bob.as("POST", "/api/messages", { channelId: agentId, text: "see file", attachmentIds: [stored.json.id] });
    expect(attached.status, attached.text).toBe(201);
    // The owner and the agent see the file; the agent downloads it.
    expect((await bot.v1("GET", `/files/${stored.json.id}/download`)).text).toBe("bob's notes");
    expect((await alice.as("GET", `/api/files/${stored.json.id}/download`)).text).toBe("bob's notes");
    // The Files page shows a member the agent's files; a stranger's shows none of them.
    const gallery = (await bob.as("GET", "/api/files")).json.data.map((f: { id: string }) => f.id);
    expect(gallery).toEqual(expect.arrayContaining([stored.json.id, fileId]));
    expect((await carol.as("GET", "/api/files")).json.data).toEqual([]);
  });

  it("a member may share the agent's files; a stranger may not", async () => {
    const shared = await bob.as("POST", `/api/files/${fileId}/share`, {});
    expect(shared.status, shared.text).toBe(201);
    const link = await call("GET", new URL(shared.json.url).pathname);
    expect(link.text).toBe("shared bytes");
    expectError(await carol.as("POST", `/api/files/${fileId}/share`, {}), 404);
    expectError(await carol.as("DELETE", `/api/files/${fileId}/share`), 404);
    expect((await bob.as("DELETE", `/api/files/${fileId}/share`)).json).toEqual({ revoked: 1 });
  });

  it("a member answers a review; the answer names them", async () => {
    const id = await postReview("Ship it?");
    const res = await bob.as("POST", `/api/messages/${id}/respond`, { response: { selectedOption: "approve" } });
    expect(res.status, res.text).toBe(200);
    expect(res.json.review).toMatchObject({ status: "completed", respondedBy: { id: bob.id } });
    const waited = await bot.v1("GET", `/reviews/${id}/wait?timeout=50`);
    expect(waited.json.status).toBe("completed");
  });

  it("membership of one agent shows none of the owner's other agents", async () => {
    const other = await agentWithKey(alice, "Alice's private bot");
    const review = await other.v1("POST", "/messages", { channelId: other.agent.id, text: "private", review: approval });
    expectError(await bob.as("GET", `/api/agents/${other.agent.id}`), 404);
    expectError(await bob.as("GET", `/api/messages?channel=${other.agent.id}`), 404);
    expectError(await bob.as("POST", `/api/messages/${review.json.id}/respond`, { response: { selectedOption: "approve" } }), 404);
    expect((await bob.as("GET", "/api/agents")).json.data.map((a: { id: string }) => a.id)).not.toContain(other.agent.id);
    expect((await bob.as("GET", "/api/reviews?status=all&limit=100")).json.data.map((m: { id: string }) => m.id)).not.toContain(review.json.id);
    const socket = await personSocket(bob);
    expect(await socket.subscribe(other.agent.id)).toEqual({ ok: false, error: "not found" });
    socket.ws.close();
    await alice.as("DELETE", `/api/agents/${other.agent.id}`);
  });

  it("the agent API stays owner-only: the agent's key never reaches the member's own agents", async () => {
    const bobs = await agentWithKey(bob, "Bob's bot");
    expectError(await bobs.v1("GET", `/messages?channel=${agentId}`), 404);
    expectError(await bobs.v1("POST", "/messages", { channelId: agentId, text: "injected" }), 404);
    expect((await bobs.v1("GET", "/agents")).json.map((a: { id: string }) => a.id)).not.toContain(agentId);
  });
});

describe("membership routes", () => {
  it("lists the owner first, then members; an email names a person in any case; adding again changes nothing", async () => {
    const list = await bob.as("GET", `/api/agents/${agentId}/members`);
    expect(list.json.data.map((m: { id: string; role: string }) => [m.id, m.role])).toEqual([
      [alice.id, "owner"],
      [bob.id, "member"],
    ]);
    expect(list.json.data[1]).toEqual({ id: bob.id, email: bob.email, displayName: expect.any(String), role: "member", addedAt: expect.any(String) });
    const again = await alice.as("POST", `/api/agents/${agentId}/members`, { userId: bob.email.toUpperCase() });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(list.json.data[1]);
    expect((await alice.as("GET", `/api/agents/${agentId}/members`)).json).toEqual(list.json);
  });

  it("400 with an errors list for an unknown person or the owner", async () => {
    expectError(await alice.as("POST", `/api/agents/${agentId}/members`, { userId: "nobody@example.com" }), 400, ["userId"]);
    expectError(await alice.as("POST", `/api/agents/${agentId}/members`, { userId: alice.id }), 400, ["userId"]);
    expectError(await alice.as("POST", `/api/agents/${agentId}/members`, {}), 400, ["userId"]);
    expectError(await alice.as("DELETE", `/api/agents/${agentId}/members/${alice.id}`), 400, ["userId"]);
    expectError(await alice.as("DELETE", `/api/agents/${agentId}/members`, { userId: alice.email }), 400, ["userId"]);
    expectError(await alice.as("DELETE", `/api/agents/${agentId}/members/nobody@example.com`), 404);
  });

  it("an instance owner manages the members of anyone's agent, but sees its chat only as a member", async () => {
    const added = await admin.as("POST", `/api/agents/${agentId}/members`, { userId: carol.id });
    expect(added.status, added.text).toBe(201);
    expect((await carol.as("GET", `/api/agents/${agentId}`)).status).toBe(200);
    expect((await admin.as("DELETE", `/api/agents/${agentId}/members/${carol.id}`)).json).toEqual({ agentId, userId: carol.id, removed: true });
    expectError(await carol.as("GET", `/api/agents/${agentId}`), 404);
    expectError(await admin.as("GET", `/api/messages?channel=${agentId}`), 404);
  });

  it("each change is in the channel's audit log, with who made it", async () => {
    await alice.as("POST", `/api/agents/${agentId}/members`, { userId: carol.email });
    await alice.as("DELETE", `/api/agents/${agentId}/members`, { userId: carol.email });
    let rows: { action: string; actor_id: string; data: string }[] = [];
    for (let i = 0; i < 40 && rows.length < 5; i++) {
      rows = (
        await env.DB.prepare("SELECT action, actor_id, data FROM audit_log WHERE channel_id = ? AND action LIKE 'member_%' ORDER BY seq")
          .bind(agentId)
          .all<{ action: string; actor_id: string; data: string }>()
      ).results;
      if (rows.length < 5) await sleep(25);
    }
    // bob by alice (setup), carol by admin and removed by admin, carol by alice and removed by alice.
    expect(rows.map((r) => [r.action, r.actor_id, JSON.parse(r.data).userId])).toEqual([
      ["member_added", alice.id, bob.id],
      ["member_added", admin.id, carol.id],
      ["member_removed", admin.id, carol.id],
      ["member_added", alice.id, carol.id],
      ["member_removed", alice.id, carol.id],
    ]);
    expect(JSON.parse(rows[3]!.data)).toEqual({ userId: carol.id, displayName: expect.any(String), email: carol.email });
  });
});

/** A person's socket, connected with a fresh ws-ticket. */
async function personSocket(p: Person): Promise<RawSocket> {
  const ticket = await p.as("POST", "/api/auth/ws-ticket", {});
  expect(ticket.status, ticket.text).toBe(200);
  const s = await connectSocket();
  expect(await s.sioConnect({ token: ticket.json.ticket })).toMatch(/^40\/ws/);
  return s;
}

describe("sockets", () => {
  it("a member's socket follows the agent and gets its events; a non-member's subscribe is refused and gets none", async () => {
    const member = await personSocket(bob);
    const stranger = await personSocket(carol);
    expect(await member.subscribe(agentId)).toEqual({ ok: true, channelId: agentId });
    expect(await stranger.subscribe(agentId)).toEqual({ ok: false, error: "not found" });
    stranger.ws.send(`42/ws,99${JSON.stringify(["subscribe:channels", [agentId]])}`);
    const many = JSON.parse((await stranger.next((f) => f.startsWith("43/ws,99"))).slice("43/ws,99".length))[0];
    expect(many).toEqual({ ok: true, channelIds: [], refused: [agentId] });

    const id = await postReview("Live?");
    await member.next((f) => f.includes("message:created") && f.includes(id));
    await alice.as("POST", `/api/messages/${id}/respond`, { response: { selectedOption: "reject" } });
    await member.next((f) => f.includes("review:responded") && f.includes(id));
    await sleep(200);
    expect(stranger.events().filter(([, d]) => JSON.stringify(d).includes(agentId))).toEqual([]);
    member.ws.close();
    stranger.ws.close();
  });

  it("a member replays what they missed (subscribe with after)", async () => {
    const before = (await bob.as("GET", `/api/messages?channel=${agentId}&limit=1`)).json.data[0].seq as number;
    const posted = await bot.v1("POST", "/messages", { channelId: agentId, text: "while away" });
    const member = await personSocket(bob);
    expect(await member.subscribe({ channelId: agentId, after: before })).toMatchObject({ ok: true });
    await member.next((f) => f.includes("message:created") && f.includes(posted.json.id));
    member.ws.close();
  });

  it("a removed member's sockets stop getting the agent's events, and their next request is 404", async () => {
    const dave = browser(await addMember(admin));
    await alice.as("POST", `/api/agents/${agentId}/members`, { userId: dave.id });
    const socket = await personSocket(dave);
    expect(await socket.subscribe(agentId)).toMatchObject({ ok: true });
    const first = await bot.v1("POST", "/messages", { channelId: agentId, text: "still a member" });
    await socket.next((f) => f.includes(first.json.id));

    expect((await alice.as("DELETE", `/api/agents/${agentId}/members/${dave.id}`)).status).toBe(200);
    expect(await socket.whenClosed()).toBeDefined();
    expect(socket.frames.some((f) => f.startsWith("42/ws,") && f.includes("removed from an agent"))).toBe(true);

    // Reconnecting (as the web app does) works, but the agent is refused now.
    const again = await personSocket(dave);
    expect(await again.subscribe(agentId)).toEqual({ ok: false, error: "not found" });
    const after = await bot.v1("POST", "/messages", { channelId: agentId, text: "no longer a member" });
    await sleep(200);
    expect(again.frames.some((f) => f.includes(after.json.id))).toBe(false);
    expect(socket.frames.some((f) => f.includes(after.json.id))).toBe(false);
    expectError(await dave.as("GET", `/api/agents/${agentId}`), 404);
    expectError(await dave.as("GET", `/api/messages?channel=${agentId}`), 404);
    again.ws.close();
  });

  it("removing a member leaves the owner's and other members' sockets alone", async () => {
    const owner = await personSocket(alice);
    const member = await personSocket(bob);
    for (const s of [owner, member]) expect(await s.subscribe(agentId)).toMatchObject({ ok: true });
    await alice.as("POST", `/api/agents/${agentId}/members`, { userId: carol.id });
    await alice.as("DELETE", `/api/agents/${agentId}/members/${carol.id}`);
    const posted = await bot.v1("POST", "/messages", { channelId: agentId, text: "still here" });
    for (const s of [owner, member]) await s.next((f) => f.includes(posted.json.id));
    expect(owner.closed()).toBeUndefined();
    expect(member.closed()).toBeUndefined();
    owner.ws.close();
    member.ws.close();
  });
});

describe("inbox team views", () => {
  let view: Record<string, string>;
  /** Writes a review's policy and votes as the room would store them (the agent API's assignees arrive with another change). */
  const setPolicy = (id: string, assignees: Person[] | null, votes: Person[] = []) =>
    env.DB.prepare("UPDATE messages SET review_policy = ?, review_votes = ? WHERE id = ?")
      .bind(
        JSON.stringify({
          assignees: assignees ? assignees.map((p) => ({ id: p.id, displayName: p.email })) : null,
          quorum: votes.length ? { count: 2 } : null,
          onExpire: null,
          remind: null,
          escalate: null,
          priority: null,
        }),
        votes.length
          ? JSON.stringify(votes.map((p) => ({ userId: p.id, displayName: p.email, response: { selectedOption: "approve" }, at: new Date().toISOString() })))
          : null,
        id,
      )
      .run();

  beforeAll(async () => {
    // Settle every earlier pending review, so the views hold only this block's.
    for (const m of (await alice.as("GET", `/api/reviews?channel=${agentId}&limit=100`)).json.data) {
      await alice.as("POST", `/api/messages/${m.id}/respond`, { response: { selectedOption: "reject" } });
    }
    view = {
      open: await postReview("open to all"),
      forAlice: await postReview("assigned to alice"),
      forBob: await postReview("assigned to bob"),
      bobVoted: await postReview("bob voted"),
      bobAnswered: await postReview("bob answered"),
    };
    await setPolicy(view.forAlice!, [alice]);
    await setPolicy(view.forBob!, [bob, carol]);
    await setPolicy(view.bobVoted!, null, [bob]);
    await bob.as("POST", `/api/messages/${view.bobAnswered}/respond`, { response: { selectedOption: "approve" } });
  });

  const ids = async (p: Person, query: string) => {
    const res = await p.as("GET", `/api/reviews?${query}`);
    expect(res.status, res.text).toBe(200);
    const count = await p.as("GET", `/api/reviews/count?${query}`);
    expect(count.json, count.text).toEqual({ count: res.json.data.length });
    return new Set((res.json.data as { id: string }[]).map((m) => m.id));
  };
  const names = (set: Set<string>) =>
    Object.entries(view)
      .filter(([, id]) => set.has(id))
      .map(([name]) => name)
      .sort();

  it("assigned-to-me: pending reviews I may still act on (no assignees or me among them, and no vote of mine)", async () => {
    expect(names(await ids(bob, "view=assigned-to-me"))).toEqual(["forBob", "open"]);
    expect(names(await ids(alice, "view=assigned-to-me"))).toEqual(["bobVoted", "forAlice", "open"]);
    expect(names(await ids(bob, `view=assigned-to-me&channel=${agentId}`))).toEqual(["forBob", "open"]);
  });

  it("waiting-on-others: pending and not mine to act on", async () => {
    expect(names(await ids(bob, "view=waiting-on-others"))).toEqual(["bobVoted", "forAlice"]);
    expect(names(await ids(alice, "view=waiting-on-others"))).toEqual(["forBob"]);
  });

  it("answered-by-me: the deciding answer or a vote, whatever the status", async () => {
    expect(names(await ids(bob, "view=answered-by-me"))).toEqual(["bobAnswered", "bobVoted"]);
    expect(names(await ids(alice, "view=answered-by-me"))).toEqual([]);
    // A status named in the query narrows the view.
    expect(names(await ids(bob, "view=answered-by-me&status=completed"))).toEqual(["bobAnswered"]);
  });

  it("without a view the inbox shows every pending review of the agents I see; a stranger's none", async () => {
    expect(names(await ids(bob, "status=pending"))).toEqual(["bobVoted", "forAlice", "forBob", "open"]);
    expect(names(await ids(carol, "status=all"))).toEqual([]);
    expect((await carol.as("GET", "/api/reviews/count?view=assigned-to-me")).json).toEqual({ count: 0 });
  });

  it("rejects an unknown view", async () => {
    expectError(await bob.as("GET", "/api/reviews?view=everything"), 400, ["query.view"]);
  });
});
