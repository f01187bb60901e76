// Slash commands: an agent publishes its commands (PUT /api/v1/agents/:id/commands), subscribers hear
// `agent:commands`, and a person's command reaches the agent as their message with metadata {command, args}
// in the list, the live event and the webhook payload. The palette itself is test/e2e/web-commands.test.ts.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { NodClient, NodError } from "../../client/src/index";
import { addMember, agentWithKey, BASE, setupOwner, type Person } from "./helpers";
import { browser, expectError, webhookBody, type Bot } from "./api-helpers";
import { connectSocket } from "./socket-helpers";

let owner: Person;
let bot: Bot;

const DEPLOY = { command: "deploy", description: "Deploy to an environment", acceptsArgs: true, argHint: "<env>" };
const STATUS = { command: "status", description: "Show the current status" };

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Ops bot");
});

const putCommands = (agentId: string, body: unknown, as: Bot = bot) => as.v1("PUT", `/agents/${agentId}/commands`, body);

/** A channel of the bot's owner with a webhook receiver the test runtime cannot reach (so each body stays in its timer). */
async function newChannel(webhookUrl?: string) {
  const res = await owner.as("POST", "/api/agents", { name: "Commands", ...(webhookUrl ? { webhookUrl } : {}) });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

describe("PUT /api/v1/agents/:id/commands", () => {
  it("stores the whole list (slash stripped, defaults filled), returned by both APIs, and replaces it on the next PUT", async () => {
    const id = await newChannel();
    expect((await owner.as("GET", `/api/agents/${id}`)).json.commands).toEqual([]);

    const res = await putCommands(id, [{ ...DEPLOY, command: "/deploy" }, STATUS]);
    expect(res.status, res.text).toBe(200);
    const stored = [DEPLOY, { ...STATUS, acceptsArgs: false, argHint: null }];
    expect(res.json).toMatchObject({ id, commands: stored });
    expect(res.json).not.toHaveProperty("webhookSecret");
    expect((await owner.as("GET", `/api/agents/${id}`)).json.commands).toEqual(stored);
    const listed = (await bot.v1("GET", "/agents")).json.find((a: { id: string }) => a.id === id);
    expect(listed.commands).toEqual(stored);

    const replaced = await putCommands(id, [STATUS]);
    expect(replaced.status, replaced.text).toBe(200);
    expect((await owner.as("GET", `/api/agents/${id}`)).json.commands).toEqual([{ ...STATUS, acceptsArgs: false, argHint: null }]);
    const emptied = await putCommands(id, []);
    expect(emptied.json.commands).toEqual([]);
    expect((await owner.as("GET", `/api/agents/${id}`)).json.commands).toEqual([]);
  });

  it("sends agent:commands to the channel's subscribers", async () => {
    const id = await newChannel();
    const socket = await connectSocket();
    expect(await socket.sioConnect({ apiKey: bot.apiKey })).toMatch(/^40\/ws/);
    expect((await socket.subscribe(id)).ok).toBe(true);
    expect((await putCommands(id, [DEPLOY])).status).toBe(200);
    const frame = await socket.next((f) => f.includes('"agent:commands"'));
    expect(JSON.parse(frame.slice("42/ws,".length))).toEqual(["agent:commands", { agentId: id, commands: [DEPLOY] }]);
    socket.ws.close();
  });

  it("refuses each bad value with a 400 naming it, and changes nothing", async () => {
    const id = await newChannel();
    expect((await putCommands(id, [DEPLOY])).status).toBe(200);
    const many = Array.from({ length: 51 }, (_, i) => ({ command: `c${i}`, description: "x" }));
    const cases: [unknown, string[]][] = [
      [[{ command: "Deploy!", description: "x" }], ["0.command"]],
      [[{ command: "", description: "x" }], ["0.command"]],
      [[{ command: "a".repeat(33), description: "x" }], ["0.command"]],
      [many, ["(root)"]],
      [[STATUS, { command: "/status", description: "again" }], ["1.command"]],
      [[{ command: "deploy" }], ["0.description"]],
      [[{ command: "deploy", description: "   " }], ["0.description"]],
      [[{ command: "deploy", description: "x".repeat(201) }], ["0.description"]],
      [{ command: "deploy", description: "x" }, ["(root)"]],
      [[{ ...DEPLOY, hidden: true }], ["0"]],
      [[{ ...DEPLOY, acceptsArgs: "yes" }], ["0.acceptsArgs"]],
    ];
    for (const [body, paths] of cases) {
      const res = await putCommands(id, body);
      expectError(res, 400, paths);
    }
    expect((await owner.as("GET", `/api/agents/${id}`)).json.commands).toEqual([DEPLOY]);
  });

  it("is 404 for another user's agent and for an agent outside the key's scope", async () => {
    const member = await addMember(owner);
    const theirs = await agentWithKey(member, "Their bot");
    const res = await putCommands(theirs.agent.id, [STATUS]);
    expectError(res, 404);
    expect((await member.as("GET", `/api/agents/${theirs.agent.id}`)).json.commands).toEqual([]);

    const other = await newChannel();
    const scoped = await owner.as("POST", "/api/api-keys", { label: "scoped", agentIds: [bot.agent.id] });
    expect(scoped.status, scoped.text).toBe(201);
    const scopedBot = { ...bot, v1: (m: string, p: string, b?: unknown) => bot.v1(m, p, b, { "x-api-key": scoped.json.key }) };
    expectError(await putCommands(other, [STATUS], scopedBot), 404);
    expect((await owner.as("GET", `/api/agents/${other}`)).json.commands).toEqual([]);
    expectError(await putCommands("no-such-agent", [STATUS]), 404);
  });
});

describe("a person runs a command", () => {
  it("reaches the agent with metadata {command, args} in the list, the live event and the webhook", async () => {
    const id = await newChannel("https://hooks.example.com/nod");
    expect((await putCommands(id, [DEPLOY, STATUS])).status).toBe(200);
    const socket = await connectSocket();
    expect(await socket.sioConnect({ apiKey: bot.apiKey })).toMatch(/^40\/ws/);
    expect((await socket.subscribe(id)).ok).toBe(true);

    const sent = await owner.as("POST", "/api/messages", { channelId: id, text: "/deploy prod", command: { name: "deploy", args: " prod " } });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json).toMatchObject({ senderType: "user", text: "/deploy prod", metadata: { command: "deploy", args: "prod" } });

    const live = await socket.next((f) => f.includes('"message:created"') && f.includes(sent.json.id));
    expect(JSON.parse(live.slice("42/ws,".length))[1]).toMatchObject({ id: sent.json.id, text: "/deploy prod", metadata: { command: "deploy", args: "prod" } });

    const list = await bot.v1("GET", `/messages?channel=${id}`);
    expect(list.json.data.find((m: { id: string }) => m.id === sent.json.id)).toMatchObject({ metadata: { command: "deploy", args: "prod" } });

    expect(await webhookBody(id, sent.json.id, "message:created")).toMatchObject({
      event: "message:created",
      channelId: id,
      message: { id: sent.json.id, text: "/deploy prod", metadata: { command: "deploy", args: "prod" } },
    });

    // Without arguments: args is "", the text the command alone (the server writes it when text is left out).
    const status = await owner.as("POST", "/api/messages", { channelId: id, command: { name: "/status" } });
    expect(status.status, status.text).toBe(201);
    expect(status.json).toMatchObject({ text: "/status", metadata: { command: "status", args: "" } });
    expect(await webhookBody(id, status.json.id, "message:created")).toMatchObject({ message: { metadata: { command: "status", args: "" } } });
    socket.ws.close();
  });

  it("a plain message never carries metadata, even when it looks like a command", async () => {
    const id = await newChannel();
    expect((await putCommands(id, [STATUS])).status).toBe(200);
    const plain = await owner.as("POST", "/api/messages", { channelId: id, text: "/status" });
    expect(plain.status, plain.text).toBe(201);
    expect(plain.json.metadata).toBeNull();
    const spoofed = await owner.as("POST", "/api/messages", { channelId: id, text: "hi", metadata: { command: "status" } });
    expectError(spoofed, 400);
  });

  it("refuses an unknown command, arguments to a command without them, and a text that is not the command", async () => {
    const id = await newChannel();
    expect((await putCommands(id, [DEPLOY, STATUS])).status).toBe(200);
    const before = (await owner.as("GET", `/api/messages?channel=${id}`)).json.data.length;

    const unknown = await owner.as("POST", "/api/messages", { channelId: id, command: { name: "rollback" } });
    expectError(unknown, 400, ["command.name"]);
    expect(unknown.json.message).toContain("rollback");

    const args = await owner.as("POST", "/api/messages", { channelId: id, command: { name: "status", args: "now" } });
    expectError(args, 400, ["command.args"]);
    expect(args.json.message).toContain("status");

    expectError(await owner.as("POST", "/api/messages", { channelId: id, text: "/deploy staging", command: { name: "deploy", args: "prod" } }), 400, ["text"]);
    expectError(await owner.as("POST", "/api/messages", { channelId: id, command: { name: "Deploy!" } }), 400, ["command.name"]);

    // A command the agent dropped is unknown from then on.
    expect((await putCommands(id, [STATUS])).status).toBe(200);
    expectError(await owner.as("POST", "/api/messages", { channelId: id, command: { name: "deploy", args: "prod" } }), 400, ["command.name"]);
    expect((await owner.as("GET", `/api/messages?channel=${id}`)).json.data.length).toBe(before);
  });
});

describe("the typed client", () => {
  it("setCommands replaces the agent's commands and returns the agent; a bad list is a NodError naming it", async () => {
    const id = await newChannel();
    const nod = new NodClient({ url: BASE, apiKey: bot.apiKey, fetch: (url, init) => exports.default.fetch(new Request(url, init)) });
    const agent = await nod.setCommands(id, [DEPLOY, { command: "/status", description: STATUS.description }]);
    expect(agent).toMatchObject({ id, commands: [DEPLOY, { ...STATUS, acceptsArgs: false, argHint: null }] });
    expect((await owner.as("GET", `/api/agents/${id}`)).json.commands).toEqual(agent.commands);
    const refused = await nod.setCommands(id, [STATUS, STATUS]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NodError);
    expect((refused as NodError).status).toBe(400);
    expect((refused as NodError).errors.map((e) => e.path)).toContain("1.command");
  });
});
