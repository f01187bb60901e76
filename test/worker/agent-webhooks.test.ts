// Agent management as Placet has it: the tag (the sidebar's group) and the webhook with its own headers
// and basic auth, through the agent API (setTag, setWebhook, deleteWebhook, PATCH) and the owner's user
// API. The password is write-only: no answer ever carries it. What the webhook receiver gets is
// test/e2e/agent-webhooks.test.ts (it needs a real receiver).
import { beforeAll, describe, expect, it } from "vitest";
import { addMember, agentWithKey, setupOwner, type Person } from "./helpers";
import { browser, expectError, keyClient, type Res, type Bot } from "./api-helpers";
import { webhookTarget } from "../../worker/webhooks/deliver";
import type { MessageRow } from "../../worker/services/messages";

const PASSWORD = "pw-Zq8-never-shown";

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Main bot");
});

async function newChannel(body: Record<string, unknown> = {}) {
  const res = await bot.v1("POST", "/agents", { name: "Channel", ...body });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

/** The agent as the agent API lists it. */
async function listed(id: string) {
  const list = await bot.v1("GET", "/agents");
  expect(list.status).toBe(200);
  expect(Array.isArray(list.json), "GET /agents answers a bare array").toBe(true);
  return list.json.find((a: { id: string }) => a.id === id);
}

/** The agent as its owner sees it (user API), with the webhook secret. */
async function owned(id: string) {
  const res = await owner.as("GET", `/api/agents/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** A 400 whose errors name each path, with a code. */
function expect400(res: Res, paths: string[]) {
  expectError(res, 400, paths);
}

describe("tag", () => {
  it("is set on create, by setTag, by PATCH (agent API and user API), trimmed, and cleared by null or an empty string", async () => {
    const id = await newChannel({ tag: "Deploys" });
    expect((await listed(id)).tag).toBe("Deploys");

    const set = await bot.v1("POST", "/agents/setTag", { channelId: id, tag: "  Ops team " });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toMatchObject({ id, tag: "Ops team" });
    expect(set.json).not.toHaveProperty("webhookSecret");
    expect((await listed(id)).tag).toBe("Ops team");
    expect((await owned(id)).tag).toBe("Ops team");

    const patched = await bot.v1("PATCH", `/agents/${id}`, { tag: "Infra" });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.tag).toBe("Infra");
    expect((await listed(id)).tag).toBe("Infra");

    const byOwner = await owner.as("PATCH", `/api/agents/${id}`, { tag: "Billing" });
    expect(byOwner.status, byOwner.text).toBe(200);
    expect(byOwner.json.tag).toBe("Billing");
    const ownerList = await owner.as("GET", "/api/agents");
    expect(ownerList.json.data.find((a: { id: string }) => a.id === id).tag).toBe("Billing");
    expect((await listed(id)).tag).toBe("Billing");

    expect((await owner.as("PATCH", `/api/agents/${id}`, { tag: "" })).json.tag).toBeNull();
    expect((await listed(id)).tag).toBeNull();
    await bot.v1("POST", "/agents/setTag", { channelId: id, tag: "Back" });
    const cleared = await bot.v1("POST", "/agents/setTag", { channelId: id, tag: null });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.json.tag).toBeNull();
    expect((await listed(id)).tag).toBeNull();

    const viaOwner = await owner.as("POST", "/api/agents", { name: "Owner-made", tag: "Research" });
    expect(viaOwner.status, viaOwner.text).toBe(201);
    expect((await listed(viaOwner.json.id)).tag).toBe("Research");
  });

  it("refuses a bad tag with a 400 naming it, and changes nothing", async () => {
    const id = await newChannel({ tag: "Kept" });
    const long = "x".repeat(41);
    expect400(await bot.v1("POST", "/agents/setTag", { channelId: id, tag: long }), ["tag"]);
    expect400(await bot.v1("POST", "/agents/setTag", { channelId: id, tag: 5 }), ["tag"]);
    expect400(await bot.v1("POST", "/agents/setTag", { channelId: id, tag: ["a"] }), ["tag"]);
    expect400(await bot.v1("POST", "/agents/setTag", { channelId: id }), ["tag"]);
    expect400(await bot.v1("POST", "/agents/setTag", { tag: "No channel" }), ["channelId"]);
    const unknown = await bot.v1("POST", "/agents/setTag", { channelId: id, tag: "Fine", colour: "red" });
    expect400(unknown, []);
    expect(unknown.json.errors.map((e: { code: string }) => e.code)).toContain("unrecognized_keys");
    expect(unknown.json.message).toContain("colour");
    expect400(await bot.v1("PATCH", `/agents/${id}`, { tag: long }), ["tag"]);
    expect400(await owner.as("PATCH", `/api/agents/${id}`, { tag: 12 }), ["tag"]);
    expect400(await owner.as("POST", "/api/agents", { name: "Too long", tag: long }), ["tag"]);
    expect400(await bot.v1("POST", "/agents", { name: "Too long", tag: long }), ["tag"]);
    expect((await listed(id)).tag).toBe("Kept");
    const names = (await bot.v1("GET", "/agents")).json.map((a: { name: string }) => a.name);
    expect(names).not.toContain("Too long");
  });
});

describe("webhook (setWebhook, deleteWebhook)", () => {
  const headers = { "X-Api-Token": "tok-123", "x-tenant": "acme" };

  it("setWebhook stores url, headers and auth; the password is in no answer; setWebhook replaces all three", async () => {
    const id = await newChannel();
    const set = await bot.v1("POST", "/agents/setWebhook", {
      channelId: id,
      url: "https://hooks.example.com/nod",
      headers,
      auth: { username: "nod", password: PASSWORD },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toMatchObject({ id, webhookUrl: "https://hooks.example.com/nod", webhookHeaders: headers, webhookAuth: { username: "nod" } });
    expect(set.json.webhookAuth).toEqual({ username: "nod" });
    expect(await listed(id)).toMatchObject({ webhookUrl: "https://hooks.example.com/nod", webhookHeaders: headers, webhookAuth: { username: "nod" } });
    expect(await owned(id)).toMatchObject({ webhookHeaders: headers, webhookAuth: { username: "nod" } });

    // Every answer that shows the agent, to the agent and to its owner: none carries the password.
    const answers = [
      set,
      await bot.v1("GET", "/agents"),
      await bot.v1("PATCH", `/agents/${id}`, { description: "with auth" }),
      await bot.v1("POST", "/agents/setTag", { channelId: id, tag: "Secretive" }),
      await bot.v1("POST", "/status/ping", { agentId: id, status: "active" }),
      await owner.as("GET", "/api/agents"),
      await owner.as("GET", `/api/agents/${id}`),
      await owner.as("PATCH", `/api/agents/${id}`, { name: "Renamed" }),
      await owner.as("POST", `/api/agents/${id}/rotate-webhook-secret`),
      await bot.v1("POST", "/agents/setWebhook", { channelId: id, url: "https://hooks.example.com/nod", auth: { username: "nod", password: `${PASSWORD}\n` } }),
    ];
    for (const res of answers) {
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.text).not.toContain(PASSWORD);
    }

    // A second setWebhook without headers and auth removes them.
    const replaced = await bot.v1("POST", "/agents/setWebhook", { channelId: id, url: "https://other.example.com/hook" });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json).toMatchObject({ webhookUrl: "https://other.example.com/hook", webhookHeaders: null, webhookAuth: null });
    expect(await listed(id)).toMatchObject({ webhookUrl: "https://other.example.com/hook", webhookHeaders: null, webhookAuth: null });
  });

  it("deleteWebhook clears url, headers and auth", async () => {
    const id = await newChannel();
    await bot.v1("POST", "/agents/setWebhook", { channelId: id, url: "https://hooks.example.com/a", headers, auth: { username: "u", password: "p" } });
    const deleted = await bot.v1("POST", "/agents/deleteWebhook", { channelId: id });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json).toMatchObject({ id, webhookUrl: null, webhookHeaders: null, webhookAuth: null });
    expect(await listed(id)).toMatchObject({ webhookUrl: null, webhookHeaders: null, webhookAuth: null });
    expect(await owned(id)).toMatchObject({ webhookUrl: null, webhookHeaders: null, webhookAuth: null });
    // Deleting again is harmless.
    expect((await bot.v1("POST", "/agents/deleteWebhook", { channelId: id })).status).toBe(200);
  });

  it("refuses each bad field with a 400 naming it, and changes nothing", async () => {
    const id = await newChannel();
    const good = { channelId: id, url: "https://hooks.example.com/kept", headers: { "X-Kept": "1" }, auth: { username: "kept", password: "kept" } };
    expect((await bot.v1("POST", "/agents/setWebhook", good)).status).toBe(200);
    const before = await listed(id);

    const cases: [Record<string, unknown>, string[]][] = [
      [{ url: "ftp://hooks.example.com/x" }, ["url"]],
      [{ url: "not a url" }, ["url"]],
      [{ url: "http://169.254.169.254/latest" }, ["url"]], // the SSRF guard
      [{ url: undefined }, ["url"]],
      [{ headers: { "bad name": "x" } }, ["headers.bad name"]],
      [{ headers: { "X-Line": "a\r\nInjected: yes" } }, ["headers.X-Line"]],
      [{ headers: { Host: "evil.example" } }, ["headers.Host"]],
      [{ headers: { "Content-Length": "1" } }, ["headers.Content-Length"]],
      [{ headers: { "content-type": "text/plain" } }, ["headers.content-type"]],
      [{ headers: { Authorization: "Bearer x" } }, ["headers.Authorization"]],
      [{ headers: { "webhook-signature": "v1,forged" } }, ["headers.webhook-signature"]],
      [{ headers: { "X-Twice": "a", "x-twice": "b" } }, ["headers.x-twice"]],
      [{ headers: "X-A: 1" }, ["headers"]],
      [{ headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "v"])) }, ["headers"]],
      [{ auth: { username: "a:b", password: "p" } }, ["auth.username"]],
      [{ auth: { username: "", password: "p" } }, ["auth.username"]],
      [{ auth: { username: "u" } }, ["auth.password"]],
      [{ auth: { username: "u", password: "p", realm: "x" } }, ["auth"]],
      [{ auth: "u:p" }, ["auth"]],
      [{ channelId: undefined }, ["channelId"]],
    ];
    for (const [change, paths] of cases) expect400(await bot.v1("POST", "/agents/setWebhook", { ...good, ...change }), paths);
    // All at once: one 400 lists every problem.
    const all = await bot.v1("POST", "/agents/setWebhook", {
      channelId: id,
      url: "ftp://x.example.com/",
      headers: { Authorization: "x", "bad name": "y" },
      auth: { username: "a:b" },
      extra: true,
    });
    expect400(all, ["url", "headers.Authorization", "headers.bad name", "auth.username", "auth.password"]);
    expect(all.json.errors.map((e: { code: string }) => e.code)).toContain("unrecognized_keys");
    expect(all.json.message).toContain("extra");

    expect400(await bot.v1("POST", "/agents/deleteWebhook", { channelId: id, url: "https://x.example.com" }), []);
    expect400(await bot.v1("POST", "/agents/deleteWebhook", {}), ["channelId"]);

    // The owner's PATCH refuses the same, and a new username without a password when none is stored.
    expect400(await owner.as("PATCH", `/api/agents/${id}`, { webhookHeaders: { Host: "x" } }), ["webhookHeaders.Host"]);
    expect400(await owner.as("PATCH", `/api/agents/${id}`, { webhookAuth: { username: "a:b", password: "p" } }), ["webhookAuth.username"]);
    expect400(await owner.as("PATCH", `/api/agents/${id}`, { webhookAuth: "u:p" }), ["webhookAuth"]);
    expect400(await owner.as("PATCH", `/api/agents/${id}`, { webhookUrl: "ftp://x.example.com/" }), ["webhookUrl"]);
    expect(await listed(id)).toEqual(before);

    const bare = await newChannel();
    const noPassword = await owner.as("PATCH", `/api/agents/${bare}`, { webhookAuth: { username: "new" } });
    expect400(noPassword, ["webhookAuth.password"]);
    expect((await listed(bare)).webhookAuth).toBeNull();
  });

  it("the owner edits headers and auth in the settings: a username without a password keeps the password; null removes them", async () => {
    const id = await newChannel();
    await owner.as("PATCH", `/api/agents/${id}`, { webhookUrl: "https://hooks.example.com/owner" });
    const withAuth = await owner.as("PATCH", `/api/agents/${id}`, { webhookHeaders: headers, webhookAuth: { username: "first", password: PASSWORD } });
    expect(withAuth.status, withAuth.text).toBe(200);
    expect(withAuth.json).toMatchObject({ webhookHeaders: headers, webhookAuth: { username: "first" } });
    expect(withAuth.text).not.toContain(PASSWORD);

    const renamed = await owner.as("PATCH", `/api/agents/${id}`, { webhookAuth: { username: "second" } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json.webhookAuth).toEqual({ username: "second" });
    expect(renamed.text).not.toContain(PASSWORD);

    const removed = await owner.as("PATCH", `/api/agents/${id}`, { webhookHeaders: null, webhookAuth: null });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json).toMatchObject({ webhookUrl: "https://hooks.example.com/owner", webhookHeaders: null, webhookAuth: null });
    expect(await listed(id)).toMatchObject({ webhookHeaders: null, webhookAuth: null });
  });
});

describe("another person's agent", () => {
  it("setTag, setWebhook and deleteWebhook answer 404 for a foreign, unknown or out-of-scope channelId, and change nothing", async () => {
    const member = browser(await addMember(owner));
    const theirs = await agentWithKey(member, "Their bot");
    await theirs.v1("POST", "/agents/setWebhook", { channelId: theirs.agent.id, url: "https://theirs.example.com/hook" });
    await theirs.v1("POST", "/agents/setTag", { channelId: theirs.agent.id, tag: "Theirs" });

    const mine = await newChannel();
    const other = await newChannel();
    const scopedKey = await owner.as("POST", "/api/api-keys", { label: "only mine", agentIds: [mine] });
    const scoped = keyClient(scopedKey.json.key);

    for (const [client, channelId] of [
      [bot.v1, theirs.agent.id],
      [bot.v1, "no-such-agent"],
      [scoped, other],
    ] as const) {
      expectError(await client("POST", "/agents/setTag", { channelId, tag: "Hijacked" }), 404);
      expectError(await client("POST", "/agents/setWebhook", { channelId, url: "https://evil.example.com/", auth: { username: "x", password: "y" } }), 404);
      expectError(await client("POST", "/agents/deleteWebhook", { channelId }), 404);
    }
    const still = await member.as("GET", `/api/agents/${theirs.agent.id}`);
    expect(still.json).toMatchObject({ tag: "Theirs", webhookUrl: "https://theirs.example.com/hook", webhookAuth: null });
    expect((await listed(other)).tag).toBeNull();
    // The scoped key may manage its own agent.
    expect((await scoped("POST", "/agents/setTag", { channelId: mine, tag: "Mine" })).json.tag).toBe("Mine");
  });
});

describe("where the headers and auth go (webhookTarget)", () => {
  const agent = {
    webhookUrl: "https://agent.example.com/hook",
    webhookHeaders: { "X-Api-Token": "tok" },
    webhookAuth: { username: "nod", password: "p:w" },
  };
  const message = (m: Partial<Pick<MessageRow, "webhookUrl" | "reviewCallback">>) => ({ webhookUrl: null, reviewCallback: null, ...m });
  const basic = `Basic ${btoa("nod:p:w")}`;

  it("the agent's own webhook carries them, for a person's message and for an answer", () => {
    expect(webhookTarget("message:created", message({}), agent)).toEqual({
      url: agent.webhookUrl,
      method: "POST",
      headers: { "X-Api-Token": "tok", authorization: basic },
    });
    expect(webhookTarget("review:responded", message({}), agent)?.headers).toEqual({ "X-Api-Token": "tok", authorization: basic });
    expect(webhookTarget("review:expired", message({}), agent)?.headers).toEqual({ "X-Api-Token": "tok", authorization: basic });
  });

  it("a message's own webhookUrl and a review callback do not", () => {
    expect(webhookTarget("review:responded", message({ webhookUrl: "https://msg.example.com/" }), agent)).toEqual({
      url: "https://msg.example.com/",
      method: "POST",
      headers: {},
    });
    const callback = { url: "https://cb.example.com/", method: "PUT", headers: { "X-Cb": "1" } };
    expect(webhookTarget("review:responded", message({ reviewCallback: callback }), { ...agent, webhookUrl: null })).toEqual(callback);
  });
});
