// The audit log's reading side: a page of entries (and one review's trail), the JSON Lines export, and
// the hash chain checked, of the stored log (after rows are edited, deleted or moved in D1) and of an
// exported file (edited by hand, or rewritten with recomputed hashes); who may read it; appends that
// race; and the webhook attempts the room's deliveries record.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuditEntryDto } from "../../contract/dto";
import { entryHash, GENESIS } from "../../worker/audit/chain";
import { PAGE, readPage } from "../../worker/audit/routes";
import type { AuditInput } from "../../worker/audit/writer";
import { db } from "../../worker/db/client";
import type { ChannelRoom } from "../../worker/room/ChannelRoom";
import { Deliveries } from "../../worker/room/deliveries";
import { Timers } from "../../worker/room/timers";
import { browser, expectError, raw, type Bot, type Res } from "./api-helpers";
import { addMember, agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";

let owner: Person;
let member: Person;
let stranger: Person;
let bot: Bot;

const roomStub = (channelId: string) => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId)) as unknown as DurableObjectStub<ChannelRoom>;
/** Appends through the room, the channel's only writer (its recordAudit RPC). */
const record = (channelId: string, input: AuditInput) => roomStub(channelId).recordAudit(channelId, input);

async function newAgent(name: string): Promise<string> {
  const res = await owner.as("POST", "/api/agents", { name });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

/** `n` entries written through the room (actions and actors vary, so every field is covered by the hash). */
async function fill(channelId: string, n: number) {
  for (let i = 1; i <= n; i++) {
    await record(channelId, {
      action: i % 2 ? "voted" : "reminded",
      actor: i % 2 ? { type: "user", id: owner.id, displayName: "Owner" } : { type: "system", id: null, displayName: null },
      messageId: `msg-${i}`,
      data: { i, note: `entry ${i}`, nested: { list: [1, "two", null, true] } },
      origin: { ip: "203.0.113.7", userAgent: "audit-test" },
    });
  }
}

async function list(channelId: string, qs = "", as: Person = owner) {
  const res = await as.as("GET", `/api/agents/${channelId}/audit${qs}`);
  expect(res.status, res.text).toBe(200);
  return res.json as { data: AuditEntryDto[]; nextCursor: string | null };
}

async function verify(channelId: string) {
  const res = await owner.as("GET", `/api/agents/${channelId}/audit/verify`);
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** The export as a file: its headers and text (read as bytes: the runtime warns on .text() of a non-text type). */
async function exportOf(channelId: string, as: Person = owner) {
  const res = await raw("GET", `/api/agents/${channelId}/audit/export`, { cookie: as.cookie });
  const text = new TextDecoder().decode(await res.arrayBuffer());
  expect(res.status, text).toBe(200);
  return { headers: res.headers, text };
}

const postFile = (channelId: string, body: string, as: Person = owner) =>
  call("POST", `/api/agents/${channelId}/audit/verify`, { raw: body, headers: { cookie: as.cookie, origin: BASE, "content-type": "application/x-ndjson" } });

const sql = (query: string, ...params: unknown[]) =>
  env.DB.prepare(query)
    .bind(...params)
    .run();

beforeAll(async () => {
  owner = browser(await setupOwner());
  member = browser(await addMember(owner));
  stranger = browser(await addMember(owner));
  bot = await agentWithKey(owner, "Audited bot");
  const added = await owner.as("POST", `/api/agents/${bot.agent.id}/members`, { userId: member.email });
  expect(added.status, added.text).toBeLessThan(300);
});

describe("the log of a review", () => {
  it("lists what happened to a review posted by the agent and answered by a person, oldest first, its hashes linked, and verifies", async () => {
    const channelId: string = bot.agent.id;
    const posted = await bot.v1("POST", "/messages", { channelId, text: "Deploy v2?", review: approval });
    expect(posted.status, posted.text).toBe(201);
    const messageId: string = posted.json.id;
    const answered = await member.as(
      "POST",
      `/api/messages/${messageId}/respond`,
      { response: { selectedOption: "approve" } },
      { "user-agent": "audit-browser/1.0" },
    );
    expect(answered.status, answered.text).toBe(200);

    // The room records 'posted' and 'answered' itself once its appends are in; until then the test writes them
    // through the same writer (recordAudit), so what follows checks the reading side either way.
    let trail = (await list(channelId, `?messageId=${messageId}`)).data;
    if (!trail.some((e) => e.action === "posted")) {
      await record(channelId, {
        action: "posted",
        actor: { type: "agent", id: channelId, displayName: "Audited bot" },
        messageId,
        data: { reviewType: "approval" },
      });
    }
    if (!trail.some((e) => e.action === "answered")) {
      await record(channelId, {
        action: "answered",
        actor: { type: "user", id: member.id, displayName: "Member" },
        messageId,
        data: { response: { selectedOption: "approve" }, via: "app" },
        origin: { ip: null, userAgent: "audit-browser/1.0" },
      });
    }
    // Another review's entry, which the trail of the first leaves out.
    await record(channelId, { action: "retracted", actor: { type: "agent", id: channelId, displayName: null }, messageId: "another-review" });

    const all = (await list(channelId)).data;
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all[0]!.prevHash).toBe(GENESIS);
    for (const [i, e] of all.entries()) {
      expect(e.channelId).toBe(channelId);
      if (i > 0) expect(e.prevHash).toBe(all[i - 1]!.hash);
      expect(e.hash).toBe(await entryHash(e.prevHash, e));
    }

    trail = (await list(channelId, `?messageId=${messageId}`)).data;
    expect(trail.length).toBeGreaterThanOrEqual(2);
    expect(trail.every((e) => e.messageId === messageId)).toBe(true);
    const actions = trail.map((e) => e.action);
    expect(actions.indexOf("posted")).toBeGreaterThanOrEqual(0);
    expect(actions.indexOf("answered")).toBeGreaterThan(actions.indexOf("posted"));
    const answer = trail.find((e) => e.action === "answered")!;
    expect(answer.actor).toMatchObject({ type: "user", id: member.id });
    expect(answer.userAgent).toBe("audit-browser/1.0");
    expect(all.find((e) => e.messageId === "another-review")?.action).toBe("retracted");
    // Adding the member (before all this) is the log's first entry, by the owner.
    expect(all[0]).toMatchObject({ action: "member_added", actor: { type: "user", id: owner.id } });

    expect(await verify(channelId)).toEqual({ ok: true, entries: all.length, firstBroken: null, reason: null });
  });

  it("an answer's entry is written with its write, and only if the write landed (the chain stays whole)", async () => {
    const channelId: string = bot.agent.id;
    const answer = (id: string) => owner.as("POST", `/api/messages/${id}/respond?channel=${channelId}`, { response: { selectedOption: "approve" } });
    const landed = (await bot.v1("POST", "/messages", { channelId, text: "answered once", review: approval })).json.id as string;
    expect((await answer(landed)).status).toBe(200);
    expect((await list(channelId, `?messageId=${landed}`)).data.map((e: AuditEntryDto) => e.action)).toEqual(["posted", "answered"]);
    // Settled behind the room's back (D1 edited; the room still knows it pending): the conditional write
    // changes nothing, so the entry in its batch is not written either.
    const behind = (await bot.v1("POST", "/messages", { channelId, text: "settled elsewhere", review: approval })).json.id as string;
    await env.DB.prepare("UPDATE messages SET review_status = 'completed' WHERE id = ?").bind(behind).run();
    expectError(await answer(behind), 409);
    expect((await list(channelId, `?messageId=${behind}`)).data.map((e: AuditEntryDto) => e.action)).toEqual(["posted"]);
    expect(await verify(channelId)).toMatchObject({ ok: true, firstBroken: null });
    expect((await answer((await bot.v1("POST", "/messages", { channelId, text: "after", review: approval })).json.id)).status).toBe(200);
    expect(await verify(channelId)).toMatchObject({ ok: true, firstBroken: null });
  });

  it("pages with cursor and limit, oldest first, and ends with nextCursor null", async () => {
    const channelId = await newAgent("Paged");
    await fill(channelId, 7);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(channelId, `?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.data.map((e) => e.seq));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(pages).toBe(3);
    // A full last page still says there is nothing more.
    expect((await list(channelId, "?limit=7")).nextCursor).toBeNull();
    expect((await list(channelId, "?cursor=7")).data).toEqual([]);
    // One review's trail, paged the same way.
    expect((await list(channelId, "?messageId=msg-4")).data.map((e) => e.seq)).toEqual([4]);
    expectError(await owner.as("GET", `/api/agents/${channelId}/audit?limit=0`), 400, ["query.limit"]);
    expectError(await owner.as("GET", `/api/agents/${channelId}/audit?cursor=-1`), 400, ["query.cursor"]);
  });

  it("reads one review's trail through the message index, not the whole log", async () => {
    const q = readPage(db(env.DB), "c", 0, 101, "m").toSQL();
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
      .bind(...q.params)
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join(" | ")).toContain("USING INDEX audit_log_message_idx (message_id=?)");
  });
});

describe("tampering with the stored log", () => {
  it("an edited row breaks the chain at its seq", async () => {
    const channelId = await newAgent("Edited");
    await fill(channelId, 5);
    expect(await verify(channelId)).toMatchObject({ ok: true, entries: 5 });
    await sql("UPDATE audit_log SET data = ? WHERE channel_id = ? AND seq = 3", JSON.stringify({ i: 3, note: "nothing to see" }), channelId);
    expect(await verify(channelId)).toEqual({ ok: false, entries: 5, firstBroken: 3, reason: expect.stringContaining("changed") });
  });

  it("an edited actor, time or address breaks it too", async () => {
    const channelId = await newAgent("Edited actor");
    await fill(channelId, 4);
    await sql("UPDATE audit_log SET actor_name = 'Somebody else' WHERE channel_id = ? AND seq = 1", channelId);
    expect(await verify(channelId)).toMatchObject({ ok: false, firstBroken: 1 });
    await sql("UPDATE audit_log SET actor_name = 'Owner' WHERE channel_id = ? AND seq = 1", channelId);
    expect(await verify(channelId)).toMatchObject({ ok: true });
    await sql("UPDATE audit_log SET ip = '198.51.100.1' WHERE channel_id = ? AND seq = 4", channelId);
    expect(await verify(channelId)).toMatchObject({ ok: false, firstBroken: 4 });
  });

  it("a deleted row is reported where it is missing", async () => {
    const channelId = await newAgent("Deleted");
    await fill(channelId, 5);
    await sql("DELETE FROM audit_log WHERE channel_id = ? AND seq = 3", channelId);
    expect(await verify(channelId)).toEqual({ ok: false, entries: 4, firstBroken: 3, reason: expect.stringContaining("missing") });
    // The last row deleted leaves a chain that holds: what is gone from the end is what the export's
    // comparison with a kept copy (POST verify of an older, longer export) catches.
    const tail = await newAgent("Deleted last");
    await fill(tail, 3);
    const before = (await exportOf(tail)).text;
    await sql("DELETE FROM audit_log WHERE channel_id = ? AND seq = 3", tail);
    expect(await verify(tail)).toMatchObject({ ok: true, entries: 2 });
    const kept = await postFile(tail, before);
    expect(kept.json).toMatchObject({ ok: false, firstBroken: 3, line: 3, matchesStore: false, reason: expect.stringContaining("no entry 3") });
  });

  it("two rows whose seqs were swapped are reported at the first of them", async () => {
    const channelId = await newAgent("Swapped");
    await fill(channelId, 5);
    await sql("UPDATE audit_log SET seq = -1 WHERE channel_id = ? AND seq = 3", channelId);
    await sql("UPDATE audit_log SET seq = 3 WHERE channel_id = ? AND seq = 4", channelId);
    await sql("UPDATE audit_log SET seq = 4 WHERE channel_id = ? AND seq = -1", channelId);
    expect(await verify(channelId)).toMatchObject({ ok: false, entries: 5, firstBroken: 3 });
  });
});

describe("the export", () => {
  let channelId: string;
  let text: string;
  beforeAll(async () => {
    channelId = await newAgent("Exported");
    await fill(channelId, 6);
    const res = await exportOf(channelId);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="audit-${channelId}.jsonl"`);
    text = res.text;
  });

  it("is one entry per line, in seq order, the same entries the API lists", async () => {
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => JSON.parse(l))).toEqual((await list(channelId)).data);
  });

  it("untouched, verifies and matches the store; so does an earlier (shorter) export", async () => {
    expect((await postFile(channelId, text)).json).toEqual({ ok: true, entries: 6, firstBroken: null, reason: null, line: null, matchesStore: true });
    const firstThree = text.split("\n").slice(0, 3).join("\n");
    expect((await postFile(channelId, firstThree)).json).toMatchObject({ ok: true, entries: 3, matchesStore: true });
    // Windows line ends and blank lines are read as the same file.
    expect((await postFile(channelId, `\n${text.replaceAll("\n", "\r\n")}\n`)).json).toMatchObject({ ok: true, entries: 6 });
  });

  it("with one line edited (the actor's name), names that entry and its line", async () => {
    const lines = text.trimEnd().split("\n");
    const entry = JSON.parse(lines[3]!);
    entry.actor.displayName = "Someone else";
    lines[3] = JSON.stringify(entry);
    const res = await postFile(channelId, `${lines.join("\n")}\n`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ ok: false, entries: 6, firstBroken: 4, line: 4, reason: expect.stringContaining("changed"), matchesStore: false });
    // A blank line before it moves the line, not the seq.
    expect((await postFile(channelId, `\n${lines.join("\n")}`)).json).toMatchObject({ firstBroken: 4, line: 5 });
  });

  it("rewritten with recomputed hashes holds on its own, but not against the store", async () => {
    const entries: AuditEntryDto[] = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    entries[1]!.data = { i: 2, note: "approved by the board" };
    let prev = GENESIS;
    for (const e of entries) {
      e.prevHash = prev;
      e.hash = await entryHash(prev, e);
      prev = e.hash;
    }
    const forged = entries.map((e) => JSON.stringify(e)).join("\n");
    expect((await postFile(channelId, forged)).json).toEqual({
      ok: false,
      entries: 6,
      firstBroken: 2,
      line: 2,
      reason: expect.stringContaining("not the stored entry 2"),
      matchesStore: false,
    });
    // Another agent's log, intact, is not this one's.
    const other = await newAgent("Other log");
    await fill(other, 2);
    expect((await postFile(channelId, (await exportOf(other)).text)).json).toMatchObject({ ok: false, firstBroken: 1, line: 1, matchesStore: false });
  });

  it("a deleted or moved line is named", async () => {
    const lines = text.trimEnd().split("\n");
    const deleted = [...lines.slice(0, 2), ...lines.slice(3)];
    expect((await postFile(channelId, deleted.join("\n"))).json).toMatchObject({ ok: false, entries: 5, firstBroken: 3, line: 3 });
    const moved = [lines[0], lines[2], lines[1], ...lines.slice(3)];
    expect((await postFile(channelId, moved.join("\n"))).json).toMatchObject({ ok: false, firstBroken: 2, line: 2 });
  });

  it("a malformed line is a 400 that names it", async () => {
    const lines = text.trimEnd().split("\n");
    const notJson = [...lines.slice(0, 2), "{not json", ...lines.slice(3)].join("\n");
    const res = await postFile(channelId, notJson);
    expectError(res, 400, ["line.3"]);
    expect(res.json.message).toMatch(/^Line 3 /);

    const { hash: _dropped, ...noHash } = JSON.parse(lines[4]!);
    const missing = [...lines.slice(0, 4), JSON.stringify(noHash), lines[5]].join("\n");
    expectError(await postFile(channelId, missing), 400, ["line.5.hash"]);

    const extra = [...lines.slice(0, 1), JSON.stringify({ ...JSON.parse(lines[1]!), approvedBy: "me" }), ...lines.slice(2)].join("\n");
    expectError(await postFile(channelId, extra), 400, ["line.2"]);

    const badAction = [JSON.stringify({ ...JSON.parse(lines[0]!), action: "deleted" }), ...lines.slice(1)].join("\n");
    expectError(await postFile(channelId, badAction), 400, ["line.1.action"]);

    // A file is a request body like any other: at most 1 MiB.
    expect((await postFile(channelId, `${lines[0]}\n`.repeat(Math.ceil(1_100_000 / lines[0]!.length)))).status).toBe(413);

    const deep = `${"[".repeat(100)}${"]".repeat(100)}`;
    expectError(await postFile(channelId, `${lines[0]}\n${deep}`), 400, ["line.2"]);
  });

  it("is streamed in pages: a log longer than a page exports and verifies whole", async () => {
    const long = await newAgent("Long log");
    const n = PAGE * 2 + 37;
    // Written straight into D1 (the same hash chain the writer makes), in batches: faster than n appends.
    const statements: D1PreparedStatement[] = [];
    let prev = GENESIS;
    for (let seq = 1; seq <= n; seq++) {
      const content = {
        channelId: long,
        seq,
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
        action: "reminded" as const,
        actor: { type: "system" as const, id: null, displayName: null },
        messageId: `m${seq % 10}`,
        data: { seq },
        ip: null,
        userAgent: null,
      };
      const hash = await entryHash(prev, content);
      statements.push(
        env.DB.prepare(
          "INSERT INTO audit_log (channel_id, seq, at, action, actor_type, actor_id, actor_name, message_id, data, ip, user_agent, prev_hash, hash) VALUES (?, ?, ?, ?, 'system', NULL, NULL, ?, ?, NULL, NULL, ?, ?)",
        ).bind(long, seq, content.at, content.action, content.messageId, JSON.stringify(content.data), prev, hash),
      );
      prev = hash;
    }
    for (let i = 0; i < statements.length; i += 200) await env.DB.batch(statements.slice(i, i + 200));

    const res = await raw("GET", `/api/agents/${long}/audit/export`, { cookie: owner.cookie });
    expect(res.status).toBe(200);
    // Read as a stream: more than one chunk arrives (one per page).
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let chunks = 0;
    let body = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      body += decoder.decode(value, { stream: true });
    }
    expect(chunks).toBeGreaterThanOrEqual(3);
    const lines = body.trimEnd().split("\n");
    expect(lines).toHaveLength(n);
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(await verify(long)).toEqual({ ok: true, entries: n, firstBroken: null, reason: null });
    expect((await postFile(long, body)).json).toMatchObject({ ok: true, entries: n, matchesStore: true });
    await sql("UPDATE audit_log SET data = '{\"seq\":0}' WHERE channel_id = ? AND seq = ?", long, PAGE + 1);
    expect(await verify(long)).toMatchObject({ ok: false, entries: n, firstBroken: PAGE + 1 });
  });
});

describe("who may read the log", () => {
  const routes = (id: string) =>
    [
      ["GET", `/api/agents/${id}/audit`],
      ["GET", `/api/agents/${id}/audit/export`],
      ["GET", `/api/agents/${id}/audit/verify`],
      ["POST", `/api/agents/${id}/audit/verify`],
    ] as const;
  /** A person's request, its body read as bytes (the export is not text to the runtime). */
  const send = async (p: Person | null, method: string, path: string) => {
    const headers: Record<string, string> = p ? { cookie: p.cookie, origin: BASE } : {};
    if (method === "POST") headers["content-type"] = "application/x-ndjson";
    const res = await raw(method, path, headers, method === "POST" ? "" : undefined);
    const text = new TextDecoder().decode(await res.arrayBuffer());
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json } as Res;
  };

  it("the owner and a member: 200 on all four routes", async () => {
    for (const p of [owner, member]) {
      for (const [method, path] of routes(bot.agent.id)) expect((await send(p, method, path)).status, `${method} ${path}`).toBe(200);
    }
  });

  it("anyone else: 404 on all four, as for an agent that does not exist; without a session: 401", async () => {
    for (const [method, path] of [...routes(bot.agent.id), ...routes("no-such-agent")]) {
      expectError(await send(stranger, method, path), 404);
    }
    for (const [method, path] of routes(bot.agent.id)) expect((await send(null, method, path)).status, `${method} ${path}`).toBe(401);
  });

  it("a removed member: 404 again", async () => {
    const channelId = await newAgent("Briefly shared");
    expect((await owner.as("POST", `/api/agents/${channelId}/members`, { userId: stranger.id })).status).toBeLessThan(300);
    expect((await send(stranger, "GET", `/api/agents/${channelId}/audit`)).status).toBe(200);
    expect((await owner.as("DELETE", `/api/agents/${channelId}/members`, { userId: stranger.id })).status).toBeLessThan(300);
    for (const [method, path] of routes(channelId)) expectError(await send(stranger, method, path), 404);
  });

  it("an API key does not open the person's routes", async () => {
    expect((await call("GET", `/api/agents/${bot.agent.id}/audit`, { headers: { "x-api-key": bot.apiKey } })).status).toBe(401);
  });
});

describe("appends", () => {
  it("30 at once get seq 1..30, no gaps, and a valid chain", async () => {
    const channelId = await newAgent("Busy");
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        record(channelId, { action: "voted", actor: { type: "user", id: `u${i}`, displayName: `Voter ${i}` }, data: { i } }),
      ),
    );
    const { data } = await list(channelId, "?limit=100");
    expect(data.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(data.map((e) => e.data.i)).size).toBe(30);
    expect(await verify(channelId)).toEqual({ ok: true, entries: 30, firstBroken: null, reason: null });
  });

  it("the hash covers the entry as stored: extra actor fields and undefined data are left out before hashing", async () => {
    const channelId = await newAgent("Loose input");
    const actor = { type: "user", id: owner.id, displayName: "Owner", email: "owner@example.com" } as AuditInput["actor"];
    await record(channelId, { action: "assigned", actor, data: { who: ["a"], maybe: undefined } });
    const [entry] = (await list(channelId)).data;
    expect(entry!.actor).toEqual({ type: "user", id: owner.id, displayName: "Owner" });
    expect(entry!.data).toEqual({ who: ["a"] });
    expect(await verify(channelId)).toMatchObject({ ok: true, entries: 1 });
  });
});

describe("webhook attempts", () => {
  it("each attempt is an entry: event, the receiver's host only, status code, attempt; no path, query or credentials", async () => {
    const channelId = await newAgent("Hooked");
    const set = await owner.as("PATCH", `/api/agents/${channelId}`, { webhookUrl: "https://hooks.example.com/in/s3cret-path?token=s3cret-token" });
    expect(set.status, set.text).toBe(200);
    const posted = await bot.v1("POST", "/messages", { channelId, text: "hello" });
    expect(posted.status, posted.text).toBe(201);
    const messageId: string = posted.json.id;

    // The room's deliveries with the audit append it is given (ChannelRoom passes its writer's append).
    await runInDurableObject(roomStub(channelId), async (room, state) => {
      const deliveries = new Deliveries(
        env,
        db(env.DB),
        new Timers(state.storage),
        () => {},
        (ch, input) => (room as ChannelRoom).recordAudit(ch, input),
      );
      const sent = await deliveries.resend(channelId, messageId, "message:created");
      await sent!.firstAttempt;
      // No retries behind the test's back: the room's alarm would otherwise try again.
      state.storage.sql.exec("DELETE FROM timers WHERE key = ?", `webhook:${messageId}:message:created`);
    });

    const trail = (await list(channelId, `?messageId=${messageId}`)).data.filter((e) => e.action.startsWith("webhook_"));
    expect(trail).toHaveLength(1);
    const [entry] = trail;
    // The test's outbound service answers hosts under example.com as a receiver that is down (503).
    expect(entry).toMatchObject({
      action: "webhook_failed",
      actor: { type: "system", id: null, displayName: null },
      messageId,
      data: { event: "message:created", host: "hooks.example.com", statusCode: 503, attempt: 1, retrying: true },
    });
    expect(JSON.stringify(entry)).not.toMatch(/s3cret|token|\/in\//);
    expect(await verify(channelId)).toMatchObject({ ok: true });
  });
});

describe("webhook attempts of the room", () => {
  it("the room's own delivery of an answer is on record, with the host only", async () => {
    const channelId = await newAgent("Hooked through the room");
    const posted = await bot.v1("POST", "/messages", {
      channelId,
      text: "Go?",
      review: approval,
      webhookUrl: "https://answers.example.com/hook?secret=abc123",
    });
    expect(posted.status, posted.text).toBe(201);
    const messageId: string = posted.json.id;
    expect((await owner.as("POST", `/api/messages/${messageId}/respond`, { response: { selectedOption: "approve" } })).status).toBe(200);
    await expect
      .poll(async () => (await list(channelId, `?messageId=${messageId}`)).data.find((e) => e.action === "webhook_failed")?.data)
      .toMatchObject({ event: "review:responded", host: "answers.example.com", statusCode: 503, attempt: 1 });
    const trail = (await list(channelId, `?messageId=${messageId}`)).data;
    expect(JSON.stringify(trail)).not.toMatch(/abc123|secret/);
    expect(await verify(channelId)).toMatchObject({ ok: true });
  });
});

describe("the OpenAPI document", () => {
  it("lists the four routes, the page's query and the export's line schema", async () => {
    const doc = (await call("GET", "/api/openapi.json")).json;
    const base = "/api/agents/{id}/audit";
    expect(doc.paths[base].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["id", "messageId", "cursor", "limit"]));
    expect(doc.paths[`${base}/export`].get.summary).toMatch(/JSON Lines/);
    expect(doc.paths[`${base}/verify`].get).toBeDefined();
    const line = doc.paths[`${base}/verify`].post.requestBody.content["application/json"].schema;
    expect(Object.keys(line.properties)).toEqual(["channelId", "seq", "at", "action", "actor", "messageId", "data", "ip", "userAgent", "prevHash", "hash"]);
    expect(line.properties.action.enum).toContain("webhook_failed");
  });
});
