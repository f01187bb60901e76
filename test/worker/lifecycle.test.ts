// The review lifecycle inside workerd: expiry through the room's one alarm (driven with
// runDurableObjectAlarm), surviving a restart of the room, and the SSRF guard on webhook URLs.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { roomOf } from "../../worker/room";
import { Timers } from "../../worker/room/timers";
import { refuseWebhookUrl } from "../../worker/webhooks/ssrf";
import { agentWithKey, approval, setupOwner, type Person } from "./helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;
const room = (channelId: string) => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId));

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
});

async function askExpiring(seconds: number, text = "Expiring?") {
  const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text, review: { ...approval, expiresInSeconds: seconds } });
  expect(res.status).toBe(201);
  return res.json as { id: string; review: { expiresAt: string } };
}

describe("review expiry", () => {
  it("arms the room's alarm at the review's expiry, and an early alarm expires nothing", async () => {
    const msg = await askExpiring(60);
    const alarm = await runInDurableObject(room(bot.agent.id), (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.parse(msg.review.expiresAt));
    expect(await runDurableObjectAlarm(room(bot.agent.id))).toBe(true);
    const after = await bot.v1("GET", `/reviews/${msg.id}`);
    expect(after.json.review.status).toBe("pending");
    // The early run re-armed the alarm for the review.
    expect(await runInDurableObject(room(bot.agent.id), (_o, state) => state.storage.getAlarm())).not.toBeNull();
  });

  it("when the alarm fires: expired in storage, parked waits answered, later waits expired, answers 410, event sent", async () => {
    const msg = await askExpiring(1);
    const parked = bot.v1("GET", `/reviews/${msg.id}/wait?channel=${bot.agent.id}&timeout=30000`);
    await sleep(Date.parse(msg.review.expiresAt) - Date.now() + 20);
    await runDurableObjectAlarm(room(bot.agent.id));
    const released = await parked;
    expect(released.json.status).toBe("expired");
    expect(released.json.message.review.status).toBe("expired");
    expect((await bot.v1("GET", `/reviews/${msg.id}`)).json.review.status).toBe("expired");
    expect((await bot.v1("GET", `/reviews/${msg.id}/wait?channel=${bot.agent.id}&timeout=5000`)).json.status).toBe("expired");
    const late = await owner.as("POST", `/api/messages/${msg.id}/respond`, { response: { selectedOption: "approve" } });
    expect(late.status).toBe(410);
    const events = await roomOf(env, bot.agent.id).recentEvents();
    expect(events.filter((e) => e.name === "review:expired" && (e.data as { messageId: string }).messageId === msg.id)).toHaveLength(1);
    // Running the alarm again changes nothing and sends no second event.
    await runDurableObjectAlarm(room(bot.agent.id));
    const again = await roomOf(env, bot.agent.id).recentEvents();
    expect(again.filter((e) => e.name === "review:expired" && (e.data as { messageId: string }).messageId === msg.id)).toHaveLength(1);
  });

  it("timers survive a restart of the room between arming and firing", async () => {
    const msg = await askExpiring(1, "Survive a restart?");
    await abortAllDurableObjects(); // the room's memory is gone; its storage is not
    await sleep(Date.parse(msg.review.expiresAt) - Date.now() + 20);
    await runDurableObjectAlarm(room(bot.agent.id));
    expect((await bot.v1("GET", `/reviews/${msg.id}`)).json.review.status).toBe("expired");
  });

  it("an answered review's timer is gone: the alarm does not expire it", async () => {
    const msg = await askExpiring(1, "Answer before expiry");
    expect((await owner.as("POST", `/api/messages/${msg.id}/respond`, { response: { selectedOption: "reject" } })).status).toBe(200);
    await sleep(Date.parse(msg.review.expiresAt) - Date.now() + 20);
    await runDurableObjectAlarm(room(bot.agent.id));
    const stored = await bot.v1("GET", `/reviews/${msg.id}`);
    expect(stored.json.review).toMatchObject({ status: "completed", response: { selectedOption: "reject" } });
  });

  it("ten thousand timers in one room use one alarm, set to the earliest", async () => {
    const stub = env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName("timer-load"));
    const { count, alarm, first } = await runInDurableObject(stub, async (_o, state) => {
      const timers = new Timers(state.storage);
      const base = Date.now() + 3_600_000;
      for (let i = 0; i < 10_000; i++) {
        await timers.set({
          key: `expire:${i}`,
          kind: "expire",
          channelId: "timer-load",
          dueAt: base + ((i * 7919) % 10_000) * 1000,
          data: { messageId: `m${i}` },
        });
      }
      return { count: timers.count(), alarm: await state.storage.getAlarm(), first: base };
    });
    expect(count).toBe(10_000);
    expect(alarm).toBe(first);
  });
});

describe("events", () => {
  it("posts, answers, deletions and heartbeats become room events", async () => {
    const msg = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Evented", review: approval });
    await owner.as("POST", `/api/messages/${msg.json.id}/respond`, { response: { selectedOption: "approve" } });
    await bot.v1("POST", "/status/ping", { agentId: bot.agent.id, status: "busy", message: "crunching" });
    const info = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "to delete" });
    await bot.v1("DELETE", `/messages/${info.json.id}`);
    await bot.v1("POST", `/messages/${msg.json.id}/ack`);
    const events = await roomOf(env, bot.agent.id).recentEvents();
    const names = events.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["message:created", "review:responded", "agent:status", "message:deleted", "message:delivery"]));
    const responded = events.find((e) => e.name === "review:responded" && (e.data as { id: string }).id === msg.json.id)!;
    expect((responded.data as { review: { response: unknown } }).review.response).toEqual({ selectedOption: "approve" });
    expect(events.find((e) => e.name === "agent:status")!.data).toMatchObject({ agentId: bot.agent.id, status: "busy", statusMessage: "crunching" });
    expect(events.find((e) => e.name === "message:delivery")!.data).toEqual({ messageId: msg.json.id, deliveryStatus: "agent_received" });
  });
});

describe("SSRF guard", () => {
  const policy = { allowHosts: [], allowLoopback: false };
  const refused = [
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "gopher://example.com/",
    "javascript:alert(1)",
    "not a url",
    "http://127.0.0.1/",
    "http://127.1/",
    "http://127.0.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    "http://0xc0a80101/",
    "http://3232235777/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.0.1/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://localhost/",
    "http://LOCALHOST:8080/",
    "http://api.localhost/",
    "http://localhost./",
    "http://metadata.google.internal/",
    "http://metadata/",
    "http://instance-data/",
    "http://printer.local/",
    "http://intranet/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
  ];
  const accepted = [
    "https://example.com/webhook",
    "http://hooks.example.org:8080/x?y=1",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://93.184.216.34/",
  ];

  it(`refuses ${refused.length} internal or non-http URLs in every spelling`, () => {
    expect(refused.length).toBeGreaterThanOrEqual(40);
    for (const url of refused) expect(refuseWebhookUrl(url, policy), url).not.toBeNull();
  });

  it("accepts public URLs", () => {
    for (const url of accepted) expect(refuseWebhookUrl(url, policy), url).toBeNull();
  });

  it("loopback only when allowed, and WEBHOOK_ALLOW_HOSTS exceptions", () => {
    const dev = { allowHosts: [], allowLoopback: true };
    expect(refuseWebhookUrl("http://127.0.0.1:9999/hook", dev)).toBeNull();
    expect(refuseWebhookUrl("http://localhost:9999/hook", dev)).toBeNull();
    expect(refuseWebhookUrl("http://10.0.0.1/hook", dev)).not.toBeNull();
    expect(refuseWebhookUrl("http://10.1.2.3/hook", { allowHosts: ["10.1.2.3"], allowLoopback: false })).toBeNull();
  });

  it("is applied when a URL is accepted: 400 on messages, callbacks and agents", async () => {
    const onMessage = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "x", webhookUrl: "http://169.254.169.254/" });
    expect(onMessage.status).toBe(400);
    expect(onMessage.json.errors[0].path).toBe("webhookUrl");
    const onCallback = await bot.v1("POST", "/messages", { channelId: bot.agent.id, review: { ...approval, callback: { url: "http://10.0.0.1/cb" } } });
    expect(onCallback.status).toBe(400);
    expect(onCallback.json.errors[0].path).toBe("review.callback.url");
    const onAgent = await owner.as("PATCH", `/api/agents/${bot.agent.id}`, { webhookUrl: "http://[::1]/" });
    expect(onAgent.status).toBe(400);
    expect((await owner.as("POST", "/api/agents", { name: "x", webhookUrl: "http://0x7f000001/" })).status).toBe(400);
    expect((await owner.as("PATCH", `/api/agents/${bot.agent.id}`, { webhookUrl: "https://example.com/hook" })).status).toBe(200);
  });
});
