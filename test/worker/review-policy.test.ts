// Team decisions inside workerd (issue 16): who may answer (assignees, 403), N-of-M votes decided in the
// channel's room (one outcome however many answers race), the default answer at expiry, reminders and
// escalation as timers of the room's storage (fired by its alarm, across a restart, stopped once settled),
// and one 400 for every problem of a review's policy. What the agent's webhook would get is read from the
// delivery's timer (its body is fixed at the first attempt; the receiver, under example.com, is down here).
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { roomOf } from "../../worker/room";
import { Timers, escalateKey, expiryKey, remindKey } from "../../worker/room/timers";
import { deliveryKey } from "../../worker/room/deliveries";
import { addMember, agentWithKey, approval, setupOwner, type Person } from "./helpers";
import { browser, expectError, pathsOf, type Bot, type Res } from "./api-helpers";
import { sleep } from "../common";

let owner: Person;
let ann: Person;
let bob: Person;
let bot: Bot;
const HOOK = "https://hooks.example.com/nod";
const stub = () => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(bot.agent.id));

beforeAll(async () => {
  owner = browser(await setupOwner());
  ann = browser(await addMember(owner));
  bob = browser(await addMember(owner));
  bot = await agentWithKey(owner, "Team bot");
  // Ann and Bob are members of the agent (inserted as the members API would).
  const now = new Date().toISOString();
  for (const p of [ann, bob]) {
    await env.DB.prepare("INSERT INTO agent_members (agent_id, user_id, added_by, created_at) VALUES (?, ?, ?, ?)")
      .bind(bot.agent.id, p.id, owner.id, now)
      .run();
  }
});

const nameOf = (p: Person) => (p === owner ? "Owner" : p === ann ? "Member 1" : "Member 2");

async function ask(review: Record<string, unknown>, text = "Ship it?") {
  const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text, webhookUrl: HOOK, review: { ...approval, ...review } });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; createdAt: string; review: Record<string, any> };
}

const answer = (p: Person, id: string, selectedOption: string, feedback?: string) =>
  p.as("POST", `/api/messages/${id}/respond`, { response: { selectedOption }, ...(feedback ? { feedback } : {}) });

const wait = (id: string, timeout = 10_000) => bot.v1("GET", `/reviews/${id}/wait?channel=${bot.agent.id}&timeout=${timeout}`);

/** Whether a promise is still pending after `ms`. */
async function stillPending(p: Promise<unknown>, ms = 300) {
  return (await Promise.race([p.then(() => "settled"), sleep(ms).then(() => "pending")])) === "pending";
}

async function stored(id: string) {
  const res = await bot.v1("GET", `/reviews/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.json.review;
}

/** The body of the review:responded webhook, as its first attempt built it (waits for that attempt). */
async function webhookBody(id: string) {
  for (let i = 0; i < 100; i++) {
    const body = await runInDurableObject(stub(), async (_o, state) => new Timers(state.storage).get(deliveryKey(id, "review:responded"))?.data.body);
    if (typeof body === "string") return JSON.parse(body);
    await sleep(50);
  }
  throw new Error("no webhook attempt");
}

async function audit(id: string) {
  const { results } = await env.DB.prepare("SELECT action, actor_type, actor_id, data FROM audit_log WHERE message_id = ? ORDER BY seq").bind(id).all();
  return results.map((r) => ({ action: r.action as string, actorType: r.actor_type, actorId: r.actor_id, data: JSON.parse(r.data as string) }));
}
const actions = async (id: string) => (await audit(id)).map((e) => e.action).filter((a) => !a.startsWith("webhook_"));

const timerOf = (key: string) => runInDurableObject(stub(), async (_o, state) => new Timers(state.storage).get(key));

/** Brings a timer's due time to now (as if its time had come) in the room's storage; the alarm stays where it was (runDurableObjectAlarm runs it). */
const makeDue = (key: string) =>
  runInDurableObject(stub(), async (_o, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = ? WHERE key = ?", Date.now() - 1, key);
  });

const eventsOf = async (id: string, name: string) =>
  (await roomOf(env, bot.agent.id).recentEvents()).filter(
    (e) => e.name === name && ((e.data as { id?: string; messageId?: string }).id ?? (e.data as { messageId?: string }).messageId) === id,
  );

describe("assignees", () => {
  it("only assignees may answer: anyone else gets 403 naming them and who is waited on, and nothing changes", async () => {
    const msg = await ask({ assignees: [ann.email, bob.id] });
    expect(msg.review.assignees).toEqual([
      { id: ann.id, displayName: "Member 1" },
      { id: bob.id, displayName: "Member 2" },
    ]);
    const refused = await answer(owner, msg.id, "approve");
    expectError(refused, 403);
    expect(refused.json.message).toBe("This review is assigned to Member 1 and Member 2; waiting for Member 1 and Member 2");
    const review = await stored(msg.id);
    expect(review).toMatchObject({ status: "pending", response: null, respondedBy: null, resolution: null, votes: [] });

    const ok = await answer(bob, msg.id, "reject");
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.review).toMatchObject({ status: "completed", respondedBy: { id: bob.id, displayName: "Member 2" }, resolution: "person", via: "app" });
    expect(await actions(msg.id)).toEqual(["posted", "assigned", "answered"]);
  });
});

describe("quorum", () => {
  it("2 of 3: the first vote keeps the agent's wait parked (the vote is seen live), the second completes it with both votes everywhere", async () => {
    const msg = await ask({ quorum: { count: 2 } });
    const parked = wait(msg.id);
    await sleep(50);
    const first = await answer(ann, msg.id, "approve", "looks fine");
    expect(first.status, first.text).toBe(200);
    expect(first.json.review).toMatchObject({
      status: "pending",
      response: null,
      votes: [{ userId: ann.id, displayName: "Member 1", response: { selectedOption: "approve" } }],
    });
    expect(await stillPending(parked)).toBe(true);
    const updated = await eventsOf(msg.id, "message:updated");
    expect(updated).toHaveLength(1);
    expect((updated[0]!.personData as any).review.votes).toHaveLength(1);
    expect(await timerOf(deliveryKey(msg.id, "review:responded"))).toBeUndefined(); // no webhook yet
    // A second answer of the same person is not a second vote.
    expectError(await answer(ann, msg.id, "approve"), 409);

    const second = await answer(owner, msg.id, "approve");
    expect(second.status, second.text).toBe(200);
    const done = await parked;
    expect(done.json.status).toBe("completed");
    const review = done.json.message.review;
    expect(review).toMatchObject({
      status: "completed",
      response: { selectedOption: "approve" },
      resolution: "quorum",
      respondedBy: { id: owner.id, displayName: "Owner" },
      via: "app",
    });
    expect(review.votes.map((v: { userId: string }) => v.userId)).toEqual([ann.id, owner.id]);
    expect(review.quorumFailed).toBeUndefined();
    expect(await stored(msg.id)).toEqual(review);
    const hook = await webhookBody(msg.id);
    expect(hook).toMatchObject({
      event: "review:responded",
      response: { selectedOption: "approve" },
      resolution: "quorum",
      respondedBy: { id: owner.id },
      via: "app",
    });
    expect(hook.votes).toEqual(review.votes);
    expect(await eventsOf(msg.id, "review:responded")).toHaveLength(1);
    expect(await actions(msg.id)).toEqual(["posted", "voted", "voted", "answered"]);
    const trail = await audit(msg.id);
    expect(trail.find((e) => e.action === "answered")).toMatchObject({ actorType: "user", actorId: owner.id, data: { resolution: "quorum" } });
    // Settled: a late vote is refused.
    expectError(await answer(bob, msg.id, "reject"), 409);
  });

  it("a veto option completes the review at once", async () => {
    const msg = await ask({ quorum: { count: 2, veto: ["reject"] } });
    const parked = wait(msg.id);
    const res = await answer(bob, msg.id, "reject");
    expect(res.status, res.text).toBe(200);
    expect(res.json.review).toMatchObject({ status: "completed", response: { selectedOption: "reject" }, resolution: "quorum", respondedBy: { id: bob.id } });
    expect((await parked).json).toMatchObject({ status: "completed", message: { review: { resolution: "quorum", votes: [{ userId: bob.id }] } } });
  });

  it("when no option can reach the count any more, the leading one wins and quorumFailed is set", async () => {
    const msg = await ask({ assignees: [owner.email, ann.email, bob.email], quorum: { count: 3 } });
    const first = await answer(owner, msg.id, "approve");
    expect(first.json.review.status).toBe("pending");
    const second = await answer(ann, msg.id, "reject"); // 1 + 1 and one voter left: 3 is out of reach
    expect(second.status, second.text).toBe(200);
    expect(second.json.review).toMatchObject({
      status: "completed",
      response: { selectedOption: "approve" },
      resolution: "quorum",
      quorumFailed: true,
      respondedBy: { id: ann.id },
    });
    expect((await webhookBody(msg.id)).message.review.quorumFailed).toBe(true);
  });

  it("a selection's vote is the set of items it selects: the same items in another order are the same vote", async () => {
    const selection = {
      type: "selection",
      payload: {
        mode: "multi",
        items: [
          { id: "a", label: "A" },
          { id: "b", label: "B" },
          { id: "c", label: "C" },
        ],
      },
    };
    const msg = await ask({ ...selection, quorum: { count: 2, veto: ["c"] } }, "Which?");
    const pick = (p: Person, selectedIds: string[]) => p.as("POST", `/api/messages/${msg.id}/respond`, { response: { selectedIds } });
    expect((await pick(owner, ["b", "a"])).json.review.status).toBe("pending");
    expect((await pick(ann, ["a"])).json.review.status).toBe("pending"); // another set
    const done = await pick(bob, ["a", "b"]);
    expect(done.json.review).toMatchObject({ status: "completed", response: { selectedIds: ["a", "b"] }, resolution: "quorum", respondedBy: { id: bob.id } });

    const vetoed = await ask({ ...selection, quorum: { count: 3, veto: ["c"] } }, "Which, with a veto?");
    const res = await owner.as("POST", `/api/messages/${vetoed.id}/respond`, { response: { selectedIds: ["a", "c"] } });
    expect(res.json.review).toMatchObject({ status: "completed", response: { selectedIds: ["a", "c"] }, resolution: "quorum" });
  });

  it("20 concurrent answers from 3 people: one vote each at most, exactly one outcome, and every side agrees", async () => {
    const msg = await ask({ quorum: { count: 2 } }, "Race?");
    const parked = wait(msg.id);
    await sleep(50);
    const people = [owner, ann, bob];
    const choices = ["approve", "reject"];
    const results: { person: Person; res: Res }[] = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const person = people[i % 3]!;
        return { person, res: await answer(person, msg.id, choices[(i * 7) % 2]!) };
      }),
    );
    const oks = results.filter((r) => r.res.status === 200);
    for (const r of results) expect([200, 409], r.res.text).toContain(r.res.status);
    expect(new Set(oks.map((r) => r.person.id)).size).toBe(oks.length); // each person at most one vote
    expect(oks.length).toBeGreaterThanOrEqual(2);
    expect(oks.length).toBeLessThanOrEqual(3);
    const completedAnswers = oks.filter((r) => r.res.json.review.status === "completed");
    expect(completedAnswers).toHaveLength(1);

    const waited = (await parked).json;
    expect(waited.status).toBe("completed");
    const review = waited.message.review;
    expect(review.votes).toHaveLength(oks.length);
    expect(review.votes.map((v: { userId: string }) => v.userId).sort()).toEqual(oks.map((r) => r.person.id).sort());
    const winner = review.response.selectedOption;
    expect(review.votes.filter((v: { response: { selectedOption: string } }) => v.response.selectedOption === winner).length).toBe(2);
    expect(completedAnswers[0]!.res.json.review).toEqual(review);
    expect(await stored(msg.id)).toEqual(review);
    const responded = await eventsOf(msg.id, "review:responded");
    expect(responded).toHaveLength(1);
    expect((responded[0]!.data as any).review).toEqual(review);
    const hook = await webhookBody(msg.id);
    expect(hook).toMatchObject({ response: review.response, resolution: "quorum", respondedBy: review.respondedBy, votes: review.votes });
    expect(await actions(msg.id)).toEqual(["posted", ...review.votes.map(() => "voted"), "answered"]);
  });
});

describe("the default answer at expiry (onExpire)", () => {
  it("completes the review with the default within 0.5 s of its expiry: wait, store, event and webhook say resolution default", async () => {
    const msg = await ask({ expiresInSeconds: 2, onExpire: { response: { selectedOption: "reject" } } }, "Default?");
    const expiresAt = Date.parse(msg.review.expiresAt);
    const started = Date.now();
    const waited = await wait(msg.id, 8000);
    const late = Date.now() - expiresAt;
    console.log(`default-on-expiry: the wait returned ${late} ms after the expiry (waited ${Date.now() - started} ms)`);
    expect(waited.json.status).toBe("completed");
    expect(late).toBeLessThan(500);
    const review = waited.json.message.review;
    expect(review).toMatchObject({ status: "completed", response: { selectedOption: "reject" }, resolution: "default", respondedBy: null, via: null });
    expect(await stored(msg.id)).toEqual(review);
    expect(await eventsOf(msg.id, "review:responded")).toHaveLength(1);
    expect(await eventsOf(msg.id, "review:expired")).toHaveLength(0);
    const hook = await webhookBody(msg.id);
    expect(hook).toMatchObject({ event: "review:responded", response: { selectedOption: "reject" }, resolution: "default", respondedBy: null, via: null });
    expect(await actions(msg.id)).toEqual(["posted", "defaulted"]);
    // An answer after the default is refused, the default stands.
    expectError(await answer(owner, msg.id, "approve"), 409);
  });

  it("past its expiry, before the alarm gives it the default, a review with onExpire reads pending everywhere (one without reads expired)", async () => {
    const withDefault = await ask({ expiresInSeconds: 3600, onExpire: { response: { selectedOption: "reject" } } }, "Default soon?");
    const plain = await ask({ expiresInSeconds: 3600 }, "Expire soon?");
    // Both pass their expiry in D1 while their rooms' timers still say an hour: the moment before the alarm.
    const past = new Date(Date.now() - 1000).toISOString();
    for (const id of [withDefault.id, plain.id]) await env.DB.prepare("UPDATE messages SET review_expires_at = ? WHERE id = ?").bind(past, id).run();
    expect((await stored(withDefault.id)).status).toBe("pending");
    expect((await stored(plain.id)).status).toBe("expired");
    const inbox = async (status: string) =>
      ((await owner.as("GET", `/api/reviews?status=${status}&channel=${bot.agent.id}&limit=100`)).json.data as { id: string }[]).map((m) => m.id);
    expect(await inbox("pending")).toContain(withDefault.id);
    expect(await inbox("pending")).not.toContain(plain.id);
    expect(await inbox("expired")).toContain(plain.id);
    expect(await inbox("expired")).not.toContain(withDefault.id);
    // The alarm then gives it its default.
    await makeDue(expiryKey(withDefault.id));
    await runDurableObjectAlarm(stub());
    expect(await stored(withDefault.id)).toMatchObject({ status: "completed", resolution: "default", response: { selectedOption: "reject" } });
  });

  it("without onExpire a review still expires as before", async () => {
    const msg = await ask({ expiresInSeconds: 1, quorum: { count: 2 } }, "Expire?");
    const waited = await wait(msg.id, 5000);
    expect(waited.json.status).toBe("expired");
    expect(waited.json.message.review).toMatchObject({ status: "expired", resolution: null, respondedBy: null });
    expect(await actions(msg.id)).toEqual(["posted", "expired"]);
  });
});

describe("reminders and escalation", () => {
  it("a reminder is due everySeconds after the post, fires through the alarm across a restart, re-arms until max, and names who has not answered", async () => {
    const msg = await ask({ assignees: [ann.email, bob.email], quorum: { count: 2 }, remind: { everySeconds: 300, max: 2 }, expiresInSeconds: 3600 });
    const timer = await timerOf(remindKey(msg.id));
    expect(timer).toMatchObject({ kind: "remind", dueAt: Date.parse(msg.createdAt) + 300_000 });
    // An alarm before its time reminds nobody.
    await runDurableObjectAlarm(stub());
    expect(await actions(msg.id)).toEqual(["posted", "assigned"]);

    expect((await answer(ann, msg.id, "approve")).json.review.status).toBe("pending");
    await makeDue(remindKey(msg.id));
    await abortAllDurableObjects(); // the room's memory is gone; its storage keeps the timer
    await runDurableObjectAlarm(stub());
    const first = (await audit(msg.id)).filter((e) => e.action === "reminded");
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ actorType: "system", data: { reminder: 1, max: 2, to: [bob.id] } });
    // Re-armed everySeconds after the last one.
    expect((await timerOf(remindKey(msg.id)))?.dueAt).toBeGreaterThan(Date.now() + 250_000);

    await makeDue(remindKey(msg.id));
    await runDurableObjectAlarm(stub());
    expect((await audit(msg.id)).filter((e) => e.action === "reminded").map((e) => e.data.reminder)).toEqual([1, 2]);
    expect(await timerOf(remindKey(msg.id))).toBeUndefined(); // max reached
  });

  it("escalation adds the people to the assignees, tells them and the chat, across a restart; they may then answer", async () => {
    const msg = await ask({ assignees: [ann.email], escalate: { afterSeconds: 3600, to: [bob.email] }, expiresInSeconds: 7200 }, "Escalate?");
    expect(await timerOf(escalateKey(msg.id))).toMatchObject({ kind: "escalate", dueAt: Date.parse(msg.createdAt) + 3_600_000 });
    expectError(await answer(bob, msg.id, "approve"), 403);
    await runDurableObjectAlarm(stub()); // early: nothing
    expect((await stored(msg.id)).assignees).toHaveLength(1);

    await makeDue(escalateKey(msg.id));
    await abortAllDurableObjects();
    await runDurableObjectAlarm(stub());
    const review = await stored(msg.id);
    expect(review.assignees).toEqual([
      { id: ann.id, displayName: "Member 1" },
      { id: bob.id, displayName: "Member 2" },
    ]);
    expect(review.escalate).toEqual({ afterSeconds: 3600, to: [{ id: bob.id, displayName: "Member 2" }] });
    expect(await timerOf(escalateKey(msg.id))).toBeUndefined();
    const updated = await eventsOf(msg.id, "message:updated");
    expect((updated.at(-1)!.data as any).review.assignees).toHaveLength(2);
    const list = await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=5`);
    const line = list.json.data.find(
      (m: { metadata: { system?: string; messageId?: string } | null }) => m.metadata?.system === "escalated" && m.metadata.messageId === msg.id,
    );
    expect(line).toMatchObject({ senderType: "agent", text: "Escalated to Member 2: no answer after 1 h" });
    expect(await actions(msg.id)).toEqual(["posted", "assigned", "escalated"]);

    // The alarm again (at-least-once) escalates nothing twice.
    await runDurableObjectAlarm(stub());
    const again = await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=10`);
    expect(again.json.data.filter((m: { metadata: { messageId?: string } | null }) => m.metadata?.messageId === msg.id)).toHaveLength(1);

    const res = await answer(bob, msg.id, "approve");
    expect(res.status, res.text).toBe(200);
    expect(res.json.review).toMatchObject({ status: "completed", respondedBy: { id: bob.id }, resolution: "person" });
  });

  it("an answer stops the reminders and the escalation; so does a retraction", async () => {
    const policy = { remind: { everySeconds: 300 }, escalate: { afterSeconds: 600, to: [bob.email] }, expiresInSeconds: 3600 };
    const msg = await ask(policy, "Stop?");
    expect(await timerOf(remindKey(msg.id))).toBeDefined();
    expect(await timerOf(escalateKey(msg.id))).toBeDefined();
    expect((await answer(ann, msg.id, "approve")).status).toBe(200);
    for (const key of [remindKey(msg.id), escalateKey(msg.id), expiryKey(msg.id)]) expect(await timerOf(key)).toBeUndefined();

    const other = await ask(policy, "Retract?");
    expect((await bot.v1("DELETE", `/messages/${other.id}?channel=${bot.agent.id}`)).status).toBe(200);
    for (const key of [remindKey(other.id), escalateKey(other.id), expiryKey(other.id)]) expect(await timerOf(key)).toBeUndefined();
    expect(await actions(other.id)).toEqual(["posted", "retracted"]);
  });

  it("reminders and an escalation due after the expiry are never armed", async () => {
    const msg = await ask({ remind: { everySeconds: 600 }, escalate: { afterSeconds: 900, to: [bob.id] }, expiresInSeconds: 300 }, "Short?");
    expect(await timerOf(remindKey(msg.id))).toBeUndefined();
    expect(await timerOf(escalateKey(msg.id))).toBeUndefined();
    expect(await timerOf(expiryKey(msg.id))).toBeDefined();
  });
});

describe("a review's policy is checked when it is posted", () => {
  async function count() {
    const list = await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=100`);
    return list.json.data.length as number;
  }

  it("every problem in one 400, nothing stored", async () => {
    const before = await count();
    const res = await bot.v1("POST", "/messages", {
      channelId: bot.agent.id,
      text: "Bad policy",
      review: {
        ...approval,
        assignees: ["nobody@example.com", ann.email],
        quorum: { count: 3, veto: ["maybe"] },
        onExpire: { response: { selectedOption: "nope" } },
        remind: { everySeconds: 60 },
        escalate: { afterSeconds: 60, to: ["stranger@example.com"] },
      },
    });
    expectError(res, 400, [
      "review.assignees.0",
      "review.quorum.count",
      "review.quorum.veto.0",
      "review.onExpire.response.selectedOption",
      "review.remind.everySeconds",
      "review.escalate.to.0",
    ]);
    expect(pathsOf(res)).not.toContain("review.assignees.1");
    expect(await count()).toBe(before);
  });

  it("people who are not members, and a quorum the members cannot reach, in one 400 (the rest of the body being valid)", async () => {
    const before = await count();
    const res = await bot.v1("POST", "/messages", {
      channelId: bot.agent.id,
      text: "Who?",
      review: { ...approval, quorum: { count: 4 }, escalate: { afterSeconds: 60, to: [bob.email, "x@example.com"] } },
    });
    expectError(res, 400, ["review.quorum.count", "review.escalate.to.1"]);
    expect(pathsOf(res)).toHaveLength(2);
    expect(res.json.errors.find((e: { path: string }) => e.path === "review.escalate.to.1")).toMatchObject({ code: "not_member" });
    expect(await count()).toBe(before);
  });

  it("a quorum on a type without options is refused; emails match in any case", async () => {
    const res = await bot.v1("POST", "/messages", {
      channelId: bot.agent.id,
      text: "Text?",
      review: { type: "text-input", payload: {}, quorum: { count: 2 } },
    });
    expectError(res, 400, ["review.quorum"]);
    const ok = await ask({ assignees: [ann.email.toUpperCase()], priority: "high" });
    expect(ok.review).toMatchObject({ assignees: [{ id: ann.id, displayName: nameOf(ann) }], priority: "high", quorum: null });
  });
});
