// Races through the ChannelRoom: it serialises every write to a channel, so concurrent requests
// still give one winner per review and a gapless seq.
import { beforeAll, describe, expect, it } from "vitest";
import { agentWithKey, approval, setupOwner, type Person } from "./helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
});

describe("concurrency", () => {
  it("30 concurrent answers to one review: exactly one 200, the rest 409", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Ship it?", review: approval });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: i % 2 ? "approve" : "reject", comment: `answer ${i}` } }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(29);
    const winner = answers.find((a) => a.status === 200)!.json.review.response;
    const stored = await bot.v1("GET", `/reviews/${posted.json.id}`);
    expect(stored.json.review.response).toEqual(winner);
  });

  it("200 concurrent posts to one channel: seq is 1..200 with no gap and no duplicate", async () => {
    const channel = await owner.as("POST", "/api/agents", { name: "Busy bot" });
    const posts = await Promise.all(Array.from({ length: 200 }, (_, i) => bot.v1("POST", "/messages", { channelId: channel.json.id, text: `m${i}` })));
    expect(posts.every((p) => p.status === 201)).toBe(true);
    const seqs = posts.map((p) => p.json.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // And D1 agrees: listing after seq 0 returns all 200 in seq order.
    const first = await bot.v1("GET", `/messages?channel=${channel.json.id}&after=0&limit=100`);
    const second = await bot.v1("GET", `/messages?channel=${channel.json.id}&after=100&limit=100`);
    expect([...first.json.data, ...second.json.data].map((m: { seq: number }) => m.seq)).toEqual(seqs);
  });

  it("concurrent retries with one Idempotency-Key store one message", async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "once" }, { "Idempotency-Key": "job-42" })),
    );
    expect(new Set(replies.map((r) => r.json.id)).size).toBe(1);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    const list = await bot.v1("GET", `/messages?channel=${bot.agent.id}&search=once`);
    expect(list.json.data).toHaveLength(1);
  });

  it("replays found by the insert itself (no read first) leave no gap in seq, alone or mixed with new posts in one group", async () => {
    const channelId = bot.agent.id;
    const first = await bot.v1("POST", "/messages", { channelId, text: "keyed", clientId: "gapless-1" });
    expect(first.status).toBe(201);
    // One group: retries of the stored key between new posts, some keyed, one twice.
    const group = await Promise.all([
      bot.v1("POST", "/messages", { channelId, text: "keyed", clientId: "gapless-1" }),
      bot.v1("POST", "/messages", { channelId, text: "new a", clientId: "gapless-2" }),
      bot.v1("POST", "/messages", { channelId, text: "keyed", clientId: "gapless-1" }),
      bot.v1("POST", "/messages", { channelId, text: "new b" }),
      bot.v1("POST", "/messages", { channelId, text: "new a", clientId: "gapless-2" }),
    ]);
    expect(group.map((r) => r.status).sort()).toEqual([200, 200, 200, 201, 201]);
    for (const i of [0, 2]) expect(group[i]!.json).toEqual(first.json);
    expect(group[4]!.json.id).toBe(group[1]!.json.id);
    const seqs = [first, group[1]!, group[3]!].map((r) => r.json.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    const next = await bot.v1("POST", "/messages", { channelId, text: "after" });
    expect(next.json.seq).toBe(seqs[0]! + 3);
  });

  it("a parked wait returns the moment the review is answered", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Wait for me", review: approval });
    const waiting = bot.v1("GET", `/reviews/${posted.json.id}/wait?channel=${bot.agent.id}&timeout=30000`);
    await sleep(50);
    const answered = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } });
    expect(answered.status).toBe(200);
    const result = await waiting;
    expect(result.json.status).toBe("completed");
    expect(result.json.message.review.response).toEqual({ selectedOption: "approve" });
  });

  it("120 parked waits released in slices, and waits arriving during the release: every one gets the answer once", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Many waiters", review: approval });
    const wait = () => bot.v1("GET", `/reviews/${posted.json.id}/wait?channel=${bot.agent.id}&timeout=30000`);
    const parked = Array.from({ length: 120 }, wait);
    await sleep(300);
    const answering = owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } });
    // More waits while the answer is written and the parked ones are handed out, slice by slice.
    const late: ReturnType<typeof wait>[] = [];
    let answered = false;
    void answering.finally(() => (answered = true));
    while (!answered || late.length < 20) {
      late.push(wait());
      await sleep(1);
    }
    expect((await answering).status).toBe(200);
    const results = await Promise.all([...parked, ...late]);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.json.status).toBe("completed");
      expect(r.json.message.id).toBe(posted.json.id);
      expect(r.json.message.review.response).toEqual({ selectedOption: "approve" });
    }
  });
});
