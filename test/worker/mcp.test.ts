// The MCP server at /mcp, driven by the official SDK client (Client + StreamableHTTPClientTransport) whose
// fetch calls the Worker in process. Workers forbid code generation, so the client checks JSON Schemas
// with the SDK's @cfworker provider, as the server does.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker-provider.js";
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { browser, raw } from "./api-helpers";
import { agentWithKey, BASE, setupOwner, type Person } from "./helpers";
import { sleep, base64 } from "../common";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;
const clients: Client[] = [];

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "MCP bot");
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** An SDK client connected to /mcp (or `path`, e.g. with ?channel=) with these headers. */
async function mcpClient(headers: Record<string, string> = { "x-api-key": bot.apiKey }, path = "/mcp") {
  const client = new Client({ name: "nod-test", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}${path}`), {
    requestInit: { headers },
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type Result = CallToolResult & { structuredContent?: any };
const callTool = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<Result>;
const textOf = (r: Result) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

const approvalPayload = {
  options: [
    { id: "approve", label: "Approve", style: "primary" },
    { id: "reject", label: "Reject", style: "danger" },
  ],
  allowComment: true,
};

/** The tools of Placet's MCP server (docs/connections/mcp.mdx), with the built-in plugins' tools. */
const PLACET_TOOLS = [
  "list_channels",
  "create_channel",
  "send_message",
  "get_messages",
  "get_message",
  "delete_message",
  "get_iteration_chain",
  "send_review_message",
  "wait_for_review",
  "get_pending_reviews",
  "ping_status",
  "list_plugins",
  "send_form_submit_message",
  "send_diff_message",
];
/** Nod's own tools and names: list_pending_reviews and report_status are aliases of Placet's. */
const NOD_TOOLS = ["ask_approval", "ask_form", "ask_freeform", "ask_selection", "ask_text", "list_pending_reviews", "report_status", "upload_file"];

const inbox = async (channelId: string) =>
  (await owner.as("GET", `/api/reviews?status=pending&channel=${channelId}`)).json.data as { id: string; text: string }[];

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
};
const mcpHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe("MCP: authentication", () => {
  it("refuses a request without a key, with an unknown key, and with a key that is not an API key (401)", async () => {
    for (const headers of [{}, { "x-api-key": "hp_not-a-real-key" }, { authorization: "Bearer nope" }] as Record<string, string>[]) {
      const res = await raw("POST", "/mcp", { ...mcpHeaders, ...headers }, JSON.stringify(initialize));
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(await res.json()).toMatchObject({ statusCode: 401 });
    }
    await expect(mcpClient({ "x-api-key": "hp_wrong" })).rejects.toThrow();
  });

  it("accepts the key as x-api-key and as Authorization: Bearer", async () => {
    for (const headers of [{ "x-api-key": bot.apiKey }, { authorization: `Bearer ${bot.apiKey}` }] as Record<string, string>[]) {
      const client = await mcpClient(headers);
      expect(client.getServerVersion()?.name).toBe("nod");
      const channels = await callTool(client, "list_channels");
      expect(channels.structuredContent.channels.map((c: { id: string }) => c.id)).toContain(bot.agent.id);
    }
  });

  it("answers JSON (not a stream) and refuses GET with 405: it keeps no sessions", async () => {
    const res = await raw("POST", "/mcp", { ...mcpHeaders, "x-api-key": bot.apiKey }, JSON.stringify(initialize));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect(((await res.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe("nod");
    const get = await raw("GET", "/mcp", { accept: "text/event-stream", "x-api-key": bot.apiKey });
    expect(get.status).toBe(405);
  });
});

describe("MCP: tools", () => {
  it("lists Placet's tools and Nod's, with input schemas generated from the API's zod schemas", async () => {
    const client = await mcpClient();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...PLACET_TOOLS, ...NOD_TOOLS].sort());
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema as any]));
    for (const t of tools) expect(t.description?.length, t.name).toBeGreaterThan(20);
    // ask_approval: the approval payload of contract/requests/review.ts (options with their four styles).
    const approval = byName.ask_approval;
    expect(approval.required).toEqual(expect.arrayContaining(["text", "payload"]));
    expect(approval.properties.payload.required).toEqual(["options"]);
    const option = approval.properties.payload.properties.options.items;
    expect(option.properties.style.enum.sort()).toEqual(["danger", "ghost", "primary", "secondary"]);
    expect(approval.properties.payload.properties.options.maxItems).toBe(20);
    // ask_form: the twelve field types.
    const field = byName.ask_form.properties.payload.properties.fields.items;
    expect(field.properties.type.enum).toHaveLength(12);
    expect(field.properties.type.enum).toContain("datetime");
    expect(byName.ask_selection.properties.payload.properties.mode.enum.sort()).toEqual(["multi", "single"]);
    expect(byName.ask_text.properties.payload.properties).toHaveProperty("maxLength");
    expect(byName.report_status.properties.status.enum.sort()).toEqual(["active", "busy", "error", "offline"]);
    expect(byName.wait_for_review.properties.timeoutSeconds.maximum).toBe(25);
  });

  it("asks an approval through MCP; the person answers in the web API; wait_for_review returns the answer", async () => {
    const client = await mcpClient();
    const asked = await callTool(client, "ask_approval", {
      channelId: bot.agent.id,
      text: "Deploy v2.1 to production?",
      payload: approvalPayload,
      expiresInSeconds: 3600,
    });
    expect(asked.isError, textOf(asked)).toBeFalsy();
    const { messageId } = asked.structuredContent;
    expect(asked.structuredContent).toMatchObject({ channelId: bot.agent.id, reviewType: "approval", reviewStatus: "pending" });
    const expiresIn = Date.parse(asked.structuredContent.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);

    // The person sees it in the inbox.
    expect((await inbox(bot.agent.id)).find((m) => m.id === messageId)?.text).toBe("Deploy v2.1 to production?");

    // Not answered yet: a short wait times out and says to call again.
    const early = await callTool(client, "wait_for_review", { messageId, timeoutSeconds: 0 });
    expect(early.structuredContent).toMatchObject({ status: "timeout", messageId });

    // A parked wait returns the moment the person answers.
    const waiting = callTool(client, "wait_for_review", { messageId, channelId: bot.agent.id });
    await sleep(200);
    const answered = await owner.as("POST", `/api/messages/${messageId}/respond`, { response: { selectedOption: "approve", comment: "Ship it" } });
    expect(answered.status, answered.text).toBe(200);
    const started = Date.now();
    const done = await waiting;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(done.structuredContent).toMatchObject({
      status: "completed",
      messageId,
      reviewType: "approval",
      response: { selectedOption: "approve", comment: "Ship it" },
    });
    expect(JSON.parse(textOf(done))).toEqual(done.structuredContent);
    expect(await inbox(bot.agent.id)).not.toContainEqual(expect.objectContaining({ id: messageId }));
  });

  it("each ask_* tool stores its review type, and list_pending_reviews lists them until answered", async () => {
    const other = await agentWithKey(owner, "MCP asks");
    const client = await mcpClient({ "x-api-key": other.apiKey });
    const asks: [string, Record<string, unknown>, string][] = [
      ["ask_approval", approvalPayload, "approval"],
      [
        "ask_selection",
        {
          mode: "multi",
          items: [
            { id: "a", label: "A" },
            { id: "b", label: "B" },
          ],
        },
        "selection",
      ],
      ["ask_form", { fields: [{ name: "env", type: "select", label: "Env", required: true, options: [{ value: "prod", label: "Prod" }] }] }, "form"],
      ["ask_text", { placeholder: "Why?", minLength: 2 }, "text-input"],
      ["ask_freeform", { plugin: "rating" }, "freeform"],
    ];
    const ids: Record<string, string> = {};
    for (const [tool, payload, type] of asks) {
      const r = await callTool(client, tool, { channelId: other.agent.id, text: `Question for ${tool}`, payload });
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(r.structuredContent.reviewType).toBe(type);
      ids[type] = r.structuredContent.messageId;
      const stored = await other.v1("GET", `/reviews/${r.structuredContent.messageId}`);
      expect(stored.json.review.type).toBe(type);
      expect(stored.json.text).toBe(`Question for ${tool}`);
    }
    const pending = await callTool(client, "list_pending_reviews", { channelId: other.agent.id });
    expect(pending.structuredContent.reviews.map((r: { messageId: string }) => r.messageId).sort()).toEqual(Object.values(ids).sort());

    // Answers of each shape come back through wait_for_review.
    const answers: Record<string, unknown> = {
      selection: { selectedIds: ["a", "b"] },
      form: { env: "prod" },
      "text-input": { text: "Because." },
      freeform: { stars: 5 },
    };
    for (const [type, response] of Object.entries(answers)) {
      const res = await owner.as("POST", `/api/messages/${ids[type]}/respond`, { response });
      expect(res.status, res.text).toBe(200);
      const done = await callTool(client, "wait_for_review", { messageId: ids[type], timeoutSeconds: 5 });
      expect(done.structuredContent).toMatchObject({ status: "completed", reviewType: type, response });
    }
    const left = await callTool(client, "list_pending_reviews", {});
    expect(left.structuredContent.reviews.map((r: { messageId: string }) => r.messageId)).toEqual([ids.approval]);
  });

  it("refuses a bad payload with every problem listed, and stores nothing", async () => {
    const client = await mcpClient();
    const before = (await inbox(bot.agent.id)).length;
    const dup = await callTool(client, "ask_approval", {
      channelId: bot.agent.id,
      text: "Dup?",
      payload: {
        options: [
          { id: "x", label: "X" },
          { id: "x", label: "Again" },
        ],
      },
    });
    expect(dup.isError).toBe(true);
    expect(textOf(dup)).toMatch(/duplicate option id "x"/);
    const form = await callTool(client, "ask_form", {
      channelId: bot.agent.id,
      text: "Form?",
      payload: { fields: [{ name: "s", type: "select", label: "S" }] },
    });
    expect(form.isError).toBe(true);
    expect(textOf(form)).toMatch(/a select field needs options/);
    const noText = await callTool(client, "ask_text", { channelId: bot.agent.id, payload: {} });
    expect(noText.isError).toBe(true);
    expect(textOf(noText)).toMatch(/text/);
    expect((await inbox(bot.agent.id)).length).toBe(before);
  });

  it("the revision loop: feedback comes back with the answer, iterationOf chains the next version, get_iteration_chain lists them", async () => {
    const client = await mcpClient();
    const first = await callTool(client, "ask_approval", { channelId: bot.agent.id, text: "Tagline: *Fast.*", payload: approvalPayload });
    const r1 = first.structuredContent.messageId;
    const answered = await owner.as("POST", `/api/messages/${r1}/respond`, { response: { selectedOption: "reject" }, feedback: "Say what is fast" });
    expect(answered.status, answered.text).toBe(200);
    const done = await callTool(client, "wait_for_review", { messageId: r1, timeoutSeconds: 5 });
    expect(done.structuredContent).toMatchObject({ status: "completed", response: { selectedOption: "reject" }, feedback: "Say what is fast" });

    const second = await callTool(client, "ask_approval", {
      channelId: bot.agent.id,
      text: "Tagline: *Fast deploys.*",
      payload: approvalPayload,
      iterationOf: r1,
    });
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(second.structuredContent).toMatchObject({ iteration: 2, iterationGroupId: r1 });
    const r2 = second.structuredContent.messageId;
    // A pending review cannot be revised yet: the tool error says why.
    const early = await callTool(client, "send_message", { channelId: bot.agent.id, text: "too soon", iterationOf: r2 });
    expect(early.isError).toBe(true);
    expect(textOf(early)).toMatch(/iterationOf: .*pending/);

    const chain = await callTool(client, "get_iteration_chain", { channelId: bot.agent.id, messageId: r2 });
    expect(chain.isError, textOf(chain)).toBeFalsy();
    expect(chain.structuredContent).toMatchObject({
      groupId: r1,
      iterations: [
        { messageId: r1, iteration: 1, reviewStatus: "completed", response: { selectedOption: "reject" }, feedback: "Say what is fast" },
        { messageId: r2, iteration: 2, reviewStatus: "pending", response: null, feedback: null },
      ],
    });
  });

  it("an expired review: wait_for_review says expired", async () => {
    const client = await mcpClient();
    const asked = await callTool(client, "ask_approval", { channelId: bot.agent.id, text: "Quick?", payload: approvalPayload, expiresInSeconds: 1 });
    const { messageId, expiresAt } = asked.structuredContent;
    await sleep(Date.parse(expiresAt) - Date.now() + 20);
    await runDurableObjectAlarm(env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(bot.agent.id)));
    const done = await callTool(client, "wait_for_review", { messageId, timeoutSeconds: 5 });
    expect(done.structuredContent).toMatchObject({ status: "expired", messageId, reviewType: "approval" });
  });

  it("a channel the key may not use is a tool error (404), and so is an unknown message", async () => {
    const stranger = await agentWithKey(owner, "Someone else");
    const scoped = await owner.as("POST", "/api/api-keys", { label: "scoped", agentIds: [bot.agent.id] });
    const client = await mcpClient({ "x-api-key": scoped.json.key });
    const r = await callTool(client, "send_message", { channelId: stranger.agent.id, text: "hi" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/\(404\)/);
    const w = await callTool(client, "wait_for_review", { messageId: "no-such-message", timeoutSeconds: 0 });
    expect(w.isError).toBe(true);
    expect(textOf(w)).toMatch(/\(404\)/);
    // Scoped to one agent, the channel may be left out.
    const sent = await callTool(client, "send_message", { text: "Build **green**", status: "success", metadata: { build: 7 } });
    expect(sent.isError, textOf(sent)).toBeFalsy();
    expect(sent.structuredContent.channelId).toBe(bot.agent.id);
    const msg = await bot.v1("GET", `/messages/${sent.structuredContent.messageId}`);
    expect(msg.json).toMatchObject({ text: "Build **green**", status: "success", metadata: { build: 7 }, senderType: "agent" });
  });

  it("send_message with textAttachments: the text becomes files of the message, with their textContent", async () => {
    const client = await mcpClient();
    const sent = await callTool(client, "send_message", {
      channelId: bot.agent.id,
      text: "The report",
      textAttachments: [{ content: "# Report\nAll green" }, { content: "a,b", filename: "t.csv", mimeType: "text/csv" }],
    });
    expect(sent.isError, textOf(sent)).toBeFalsy();
    expect(sent.structuredContent.attachments).toEqual([
      expect.objectContaining({ filename: "content.md", mimeType: "text/markdown", textContent: "# Report\nAll green" }),
      expect.objectContaining({ filename: "t.csv", mimeType: "text/csv", textContent: "a,b" }),
    ]);
    const bad = await callTool(client, "send_message", { channelId: bot.agent.id, text: "x", textAttachments: [{ content: "x", mimeType: "image/png" }] });
    expect(bad.isError).toBe(true);
  });

  it("send_message with a clientId is idempotent", async () => {
    const client = await mcpClient();
    const a = await callTool(client, "send_message", { channelId: bot.agent.id, text: "once", clientId: "mcp-once-1" });
    const b = await callTool(client, "send_message", { channelId: bot.agent.id, text: "once", clientId: "mcp-once-1" });
    expect(b.structuredContent.messageId).toBe(a.structuredContent.messageId);
  });

  it("report_status changes the agent's status", async () => {
    const client = await mcpClient();
    const r = await callTool(client, "report_status", { agentId: bot.agent.id, status: "busy", message: "Crunching" });
    expect(r.isError, textOf(r)).toBeFalsy();
    const agents = (await owner.as("GET", "/api/agents")).json.data as { id: string; status: string; statusMessage: string }[];
    expect(agents.find((a) => a.id === bot.agent.id)).toMatchObject({ status: "busy", statusMessage: "Crunching" });
    const bad = await callTool(client, "report_status", { agentId: bot.agent.id, status: "sleepy" });
    expect(bad.isError).toBe(true);
  });

  it("upload_file stores the bytes (kept for later, or posted with text) and they download unchanged", async () => {
    const client = await mcpClient();
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x80, 0xe2, 0x0a]);
    const b64 = base64(bytes);
    const stored = await callTool(client, "upload_file", { channelId: bot.agent.id, filename: "report.pdf", mimeType: "application/pdf", contentBase64: b64 });
    expect(stored.isError, textOf(stored)).toBeFalsy();
    expect(stored.structuredContent.file).toMatchObject({ filename: "report.pdf", mimeType: "application/pdf", size: bytes.length });
    const fileId = stored.structuredContent.file.id;
    const dl = await raw("GET", `/api/v1/files/${fileId}/download`, { "x-api-key": bot.apiKey });
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(bytes);

    // Attached to a question.
    const asked = await callTool(client, "ask_approval", { channelId: bot.agent.id, text: "Report ok?", payload: approvalPayload, attachmentIds: [fileId] });
    expect(asked.structuredContent.attachments).toEqual([expect.objectContaining({ id: fileId, filename: "report.pdf" })]);

    // With text: a message carrying the file.
    const posted = await callTool(client, "upload_file", {
      channelId: bot.agent.id,
      filename: "log.txt",
      mimeType: "text/plain",
      contentBase64: btoa("all good\n"),
      text: "The log",
    });
    expect(posted.isError, textOf(posted)).toBeFalsy();
    const msg = await bot.v1("GET", `/messages/${posted.structuredContent.messageId}`);
    expect(msg.json.text).toBe("The log");
    expect(msg.json.attachments).toEqual([expect.objectContaining({ filename: "log.txt", mimeType: "text/plain", size: 9 })]);

    const bad = await callTool(client, "upload_file", { channelId: bot.agent.id, filename: "x.bin", contentBase64: "not base64!!" });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/base64/);
  });

  it("upload_file takes files past the 1 MiB JSON cap of other routes (the /mcp cap is the upload limit, base64-encoded)", async () => {
    const client = await mcpClient();
    const size = 3 * 1024 * 1024;
    const bytes = new Uint8Array(size).map((_, i) => i % 251);
    const stored = await callTool(client, "upload_file", { channelId: bot.agent.id, filename: "big.bin", contentBase64: base64(bytes) });
    expect(stored.isError, textOf(stored)).toBeFalsy();
    expect(stored.structuredContent.file).toMatchObject({ filename: "big.bin", size });
  });
});

describe("MCP: Placet's tools", () => {
  /** Polls the person's inbox until a pending review with this text shows up (the MCP call posting it is in flight). */
  async function pendingWithText(channelId: string, text: string) {
    for (let i = 0; i < 100; i++) {
      const found = (await inbox(channelId)).find((m) => m.text === text);
      if (found) return found;
      await sleep(50);
    }
    throw new Error(`no pending review "${text}"`);
  }

  it("Nod's older names are aliases: the same input schema, a description naming Placet's tool", async () => {
    const client = await mcpClient();
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const [alias, of] of [
      ["list_pending_reviews", "get_pending_reviews"],
      ["report_status", "ping_status"],
    ] as const) {
      expect(byName[alias]!.inputSchema).toEqual(byName[of]!.inputSchema);
      expect(byName[alias]!.description).toMatch(new RegExp(`^Alias of ${of}\\.`));
      expect(byName[of]!.description).not.toMatch(/^Alias/);
    }
    const review = byName.send_review_message!.inputSchema as any;
    expect(review.required).toEqual(expect.arrayContaining(["reviewType", "reviewPayload"]));
    expect(review.properties.reviewType.enum.sort()).toEqual(["approval", "form", "freeform", "selection", "text-input"]);
    expect(review.properties).toHaveProperty("waitInline");
    expect(review.properties).toHaveProperty("iterationOf");
    expect(review.properties).toHaveProperty("webhookUrl");
    // A plugin's tool takes the plugin's own fields (not `plugin`: the tool names it), with text and channelId.
    const diff = byName.send_diff_message!.inputSchema as any;
    expect(Object.keys(diff.properties).sort()).toEqual(["channelId", "diff", "expiresInSeconds", "filename", "language", "text"]);
    expect(diff.required).toEqual(["diff"]);
  });

  it("send_review_message with waitInline returns the person's answer in the same call", async () => {
    const client = await mcpClient();
    const call = callTool(client, "send_review_message", {
      channelId: bot.agent.id,
      text: "Merge the release branch?",
      reviewType: "approval",
      reviewPayload: approvalPayload,
      waitInline: true,
    });
    const asked = await pendingWithText(bot.agent.id, "Merge the release branch?");
    const answered = await owner.as("POST", `/api/messages/${asked.id}/respond`, { response: { selectedOption: "approve" }, feedback: "Tag it too" });
    expect(answered.status, answered.text).toBe(200);
    const done = await call;
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(done.structuredContent).toEqual({
      status: "completed",
      messageId: asked.id,
      reviewType: "approval",
      response: { selectedOption: "approve" },
      feedback: "Tag it too",
      completedAt: expect.any(String),
    });
  });

  it("send_review_message without waitInline returns the pending review at once; waitInline with a short limit says it is still pending", async () => {
    const client = await mcpClient();
    const sent = await callTool(client, "send_review_message", {
      channelId: bot.agent.id,
      text: "Which region?",
      reviewType: "selection",
      reviewPayload: { mode: "single", items: [{ id: "eu", label: "EU" }] },
      expiresInSeconds: 600,
    });
    expect(sent.isError, textOf(sent)).toBeFalsy();
    expect(sent.structuredContent).toMatchObject({ status: "pending", reviewType: "selection", reviewStatus: "pending", channelId: bot.agent.id });
    const stored = await bot.v1("GET", `/reviews/${sent.structuredContent.messageId}`);
    expect(stored.json.review).toMatchObject({ type: "selection", payload: { mode: "single", items: [{ id: "eu", label: "EU" }] } });

    const started = Date.now();
    const waited = await callTool(client, "send_review_message", {
      channelId: bot.agent.id,
      text: "Nobody answers this",
      reviewType: "text-input",
      reviewPayload: {},
      waitInline: true,
      waitTimeoutSeconds: 1,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(waited.isError, textOf(waited)).toBeFalsy();
    expect(waited.structuredContent).toMatchObject({ status: "timeout", next: expect.stringMatching(/wait_for_review/) });
    const later = await callTool(client, "get_message", { channelId: bot.agent.id, messageId: waited.structuredContent.messageId });
    expect(later.structuredContent.message).toMatchObject({ text: "Nobody answers this", review: { type: "text-input", status: "pending" } });
  });

  it("bad tool input is an MCP tool error naming the field, and stores nothing", async () => {
    const client = await mcpClient();
    const before = (await inbox(bot.agent.id)).length;
    const badType = await callTool(client, "send_review_message", { channelId: bot.agent.id, text: "?", reviewType: "maybe", reviewPayload: {} });
    expect(badType.isError).toBe(true);
    expect(textOf(badType)).toMatch(/reviewType/);
    // The payload is checked by the API against its review type: the error names the tool's own argument.
    const badPayload = await callTool(client, "send_review_message", {
      channelId: bot.agent.id,
      text: "?",
      reviewType: "approval",
      reviewPayload: { options: [{ id: "a" }] },
    });
    expect(badPayload.isError).toBe(true);
    expect(textOf(badPayload)).toMatch(/reviewPayload\.options\.0\.label/);
    const noDiff = await callTool(client, "send_diff_message", { channelId: bot.agent.id, text: "Review", filename: "a.ts" });
    expect(noDiff.isError).toBe(true);
    expect(textOf(noDiff)).toMatch(/diff/);
    const badPing = await callTool(client, "ping_status", { agentId: bot.agent.id, status: "sleepy" });
    expect(badPing.isError).toBe(true);
    expect(textOf(badPing)).toMatch(/status/);
    expect((await inbox(bot.agent.id)).length).toBe(before);
  });

  it("a plugin's tool posts a freeform review whose payload names the plugin", async () => {
    const client = await mcpClient();
    const diff = "--- a/app.ts\n+++ b/app.ts\n@@ -1 +1 @@\n-const a = 1;\n+const a = 2;\n";
    const sent = await callTool(client, "send_diff_message", { channelId: bot.agent.id, text: "Review this change", diff, filename: "app.ts" });
    expect(sent.isError, textOf(sent)).toBeFalsy();
    expect(sent.structuredContent).toMatchObject({ plugin: "diff", reviewType: "freeform" });
    const stored = await bot.v1("GET", `/reviews/${sent.structuredContent.messageId}`);
    expect(stored.json).toMatchObject({
      text: "Review this change",
      review: { type: "freeform", status: "pending", payload: { plugin: "diff", diff, filename: "app.ts" } },
    });

    const form = await callTool(client, "send_form_submit_message", { channelId: bot.agent.id, name: "Ada", seats: 3, vip: true });
    expect(form.isError, textOf(form)).toBeFalsy();
    const storedForm = await bot.v1("GET", `/reviews/${form.structuredContent.messageId}`);
    expect(storedForm.json.review.payload).toEqual({ plugin: "form-submit", name: "Ada", seats: 3, vip: true });

    const plugins = await callTool(client, "list_plugins");
    expect(plugins.structuredContent.plugins.map((p: { name: string }) => p.name).sort()).toEqual(["diff", "form-submit"]);
  });

  it("the default channel: the x-nod-channel header or ?channel= on the URL, so channelId can be left out", async () => {
    // This key can use every agent of the owner (several): without a channel a post would not know where to go.
    const a = await agentWithKey(owner, "Default A");
    const b = await agentWithKey(owner, "Default B");
    const plain = await mcpClient({ "x-api-key": a.apiKey });
    const lost = await callTool(plain, "send_message", { text: "where?" });
    expect(lost.isError).toBe(true);

    const viaHeader = await mcpClient({ "x-api-key": a.apiKey, "x-nod-channel": a.agent.id });
    const viaQuery = await mcpClient({ "x-api-key": a.apiKey }, `/mcp?channel=${b.agent.id}`);
    const toA = await callTool(viaHeader, "send_message", { text: "to A by header" });
    const toB = await callTool(viaQuery, "send_message", { text: "to B by query" });
    expect(toA.structuredContent.channelId).toBe(a.agent.id);
    expect(toB.structuredContent.channelId).toBe(b.agent.id);
    expect((await a.v1("GET", `/messages?channel=${a.agent.id}`)).json.data.map((m: { text: string }) => m.text)).toEqual(["to A by header"]);
    expect((await a.v1("GET", `/messages?channel=${b.agent.id}`)).json.data.map((m: { text: string }) => m.text)).toEqual(["to B by query"]);

    // Every tool takes it: a review, its wait, the pending list, the messages, the status ping.
    const asked = await callTool(viaQuery, "send_review_message", { text: "B asks", reviewType: "freeform", reviewPayload: {} });
    expect(asked.structuredContent.channelId).toBe(b.agent.id);
    const pending = await callTool(viaQuery, "get_pending_reviews", {});
    expect(pending.structuredContent.reviews.map((r: { messageId: string }) => r.messageId)).toEqual([asked.structuredContent.messageId]);
    // Placet's connectionTimeoutMs is taken too (capped at 25 s, like timeoutSeconds).
    const waitStarted = Date.now();
    const waited = await callTool(viaQuery, "wait_for_review", { messageId: asked.structuredContent.messageId, connectionTimeoutMs: 100 });
    expect(waited.structuredContent).toMatchObject({ status: "timeout" });
    expect(Date.now() - waitStarted).toBeLessThan(5000);
    const listed = await callTool(viaHeader, "get_messages", {});
    expect(listed.structuredContent.messages.map((m: { text: string }) => m.text)).toEqual(["to A by header"]);
    const pinged = await callTool(viaQuery, "ping_status", { status: "busy", message: "On B" });
    expect(pinged.isError, textOf(pinged)).toBeFalsy();
    const agents = (await owner.as("GET", "/api/agents")).json.data as { id: string; status: string; statusMessage: string }[];
    expect(agents.find((x) => x.id === b.agent.id)).toMatchObject({ status: "busy", statusMessage: "On B" });
    // A call's own channelId wins over the default.
    const explicit = await callTool(viaHeader, "send_message", { channelId: b.agent.id, text: "to B explicitly" });
    expect(explicit.structuredContent.channelId).toBe(b.agent.id);
  });

  it("get_messages, get_message, delete_message and create_channel", async () => {
    const c = await agentWithKey(owner, "Messages bot");
    const client = await mcpClient({ "x-api-key": c.apiKey, "x-nod-channel": c.agent.id });
    const first = await callTool(client, "send_message", { text: "first **note**" });
    const reply = await owner.as("POST", "/api/messages", { channelId: c.agent.id, text: "the person's reply" });
    expect(reply.status, reply.text).toBe(201);
    const page = await callTool(client, "get_messages", { limit: 1 });
    expect(page.structuredContent.messages).toEqual([expect.objectContaining({ text: "the person's reply", senderType: "user" })]);
    const older = await callTool(client, "get_messages", { limit: 1, cursor: page.structuredContent.nextCursor });
    expect(older.structuredContent.messages.map((m: { id: string }) => m.id)).toEqual([first.structuredContent.messageId]);
    const found = await callTool(client, "get_messages", { search: "note" });
    expect(found.structuredContent.messages.map((m: { text: string }) => m.text)).toEqual(["first **note**"]);

    const one = await callTool(client, "get_message", { messageId: first.structuredContent.messageId });
    expect(one.structuredContent.message).toMatchObject({ id: first.structuredContent.messageId, text: "first **note**", senderType: "agent" });
    const deleted = await callTool(client, "delete_message", { messageId: first.structuredContent.messageId });
    expect(deleted.isError, textOf(deleted)).toBeFalsy();
    const gone = await c.v1("GET", `/messages/${first.structuredContent.messageId}`);
    expect(gone.status).toBe(404);
    const again = await callTool(client, "get_message", { messageId: first.structuredContent.messageId });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/\(404\)/);

    const created = await callTool(client, "create_channel", { name: "Made by MCP", description: "from a tool" });
    expect(created.isError, textOf(created)).toBeFalsy();
    expect(created.structuredContent.channel).toMatchObject({ name: "Made by MCP", description: "from a tool" });
    const agents = (await owner.as("GET", "/api/agents")).json.data as { id: string; name: string }[];
    expect(agents).toContainEqual(expect.objectContaining({ id: created.structuredContent.channel.id, name: "Made by MCP" }));
  });
});
