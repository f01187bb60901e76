// `nod-mcp --stdio` (client/bin/nod-mcp.ts, built to client/dist/nod-mcp.js) as an MCP client that only starts
// local servers runs it: a child process configured by NOD_URL, NOD_API_KEY and NOD_CHANNEL, spoken to over its
// stdin/stdout by the SDK's own StdioClientTransport, against the real server (wrangler dev).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { answerWhenAsked, asOwner, nodUrl } from "./helpers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(root, "client", "dist", "nod-mcp.js");

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

beforeAll(() => {
  execFileSync("npm", ["run", "--silent", "build:client"], { cwd: root, stdio: "pipe" });
});

/** The bin as Claude Desktop starts it: `node nod-mcp.js --stdio` with the three variables, nothing else. */
async function stdioClient(env: Record<string, string>) {
  const client = new Client({ name: "nod-e2e-stdio", version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "--stdio"],
    env: { PATH: process.env.PATH ?? "", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await client.connect(transport).catch((err: unknown) => {
    throw new Error(`nod-mcp did not start: ${String(err)}\n${stderr}`);
  });
  clients.push(client);
  return client;
}

/** An agent of the owner's and a key for all of them: NOD_CHANNEL picks the channel. */
async function agentAndUnscopedKey(name: string) {
  const agent = await asOwner("POST", "/api/agents", { name });
  const key = await asOwner("POST", "/api/api-keys", { label: `${name} (all agents)` });
  expect(agent.status).toBe(201);
  expect(key.status).toBe(201);
  return { channelId: agent.json.id as string, apiKey: key.json.key as string };
}

describe("nod-mcp --stdio against wrangler dev", () => {
  it("lists the same tools as /mcp over HTTP, and a call lands in NOD_CHANNEL", async () => {
    const { channelId, apiKey } = await agentAndUnscopedKey("Stdio bot");
    await asOwner("POST", "/api/agents", { name: "Stdio other" }); // so the key alone names no channel
    const stdio = await stdioClient({ NOD_URL: nodUrl(), NOD_API_KEY: apiKey, NOD_CHANNEL: channelId });
    expect(stdio.getServerVersion()?.name).toBe("nod");
    expect(stdio.getInstructions()).toMatch(/human-in-the-loop/);

    const http = new Client({ name: "nod-e2e-http", version: "1.0.0" });
    const readWhole = async (url: string | URL, init?: RequestInit) => {
      const res = await fetch(url, init);
      const body = await res.arrayBuffer();
      return new Response(body.byteLength ? body : null, { status: res.status, headers: res.headers });
    };
    await http.connect(new StreamableHTTPClientTransport(new URL(`${nodUrl()}/mcp`), { requestInit: { headers: { "x-api-key": apiKey } }, fetch: readWhole }));
    clients.push(http);
    const [viaStdio, viaHttp] = await Promise.all([stdio.listTools(), http.listTools()]);
    expect(viaStdio.tools.map((t) => t.name)).toEqual(viaHttp.tools.map((t) => t.name));
    expect(viaStdio.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["send_review_message", "ping_status", "send_message", "send_diff_message"]));

    const sent: any = await stdio.callTool({ name: "send_message", arguments: { text: "Hello over **stdio**", status: "success" } });
    expect(sent.isError, JSON.stringify(sent)).toBeFalsy();
    expect(sent.structuredContent.channelId).toBe(channelId);
    const listed = await fetch(`${nodUrl()}/api/v1/messages?channel=${channelId}`, { headers: { "x-api-key": apiKey } });
    const page = (await listed.json()) as { data: { id: string; text: string; status: string }[] };
    expect(page.data).toEqual([expect.objectContaining({ id: sent.structuredContent.messageId, text: "Hello over **stdio**", status: "success" })]);

    const pinged: any = await stdio.callTool({ name: "ping_status", arguments: { status: "busy", message: "Working over stdio" } });
    expect(pinged.isError, JSON.stringify(pinged)).toBeFalsy();
    const agents = await asOwner("GET", "/api/agents");
    expect(agents.json.data.find((a: { id: string }) => a.id === channelId)).toMatchObject({ status: "busy", statusMessage: "Working over stdio" });

    // A bad argument comes back as the tool's error, naming the field, as over HTTP.
    const bad: any = await stdio.callTool({ name: "send_review_message", arguments: { text: "?", reviewType: "maybe", reviewPayload: {} } });
    expect(bad.isError).toBe(true);
    expect(bad.content[0].text).toMatch(/reviewType/);
  });

  it("send_review_message with waitInline waits through the bin for the person's answer", async () => {
    const { channelId, apiKey } = await agentAndUnscopedKey("Stdio asker");
    const stdio = await stdioClient({ NOD_URL: `${nodUrl()}/mcp`, NOD_API_KEY: apiKey, NOD_CHANNEL: channelId });
    const person = answerWhenAsked(channelId, /^Ship it over stdio\?$/, { selectedOption: "yes" });
    const done: any = await stdio.callTool({
      name: "send_review_message",
      arguments: {
        text: "Ship it over stdio?",
        reviewType: "approval",
        reviewPayload: { options: [{ id: "yes", label: "Yes" }] },
        waitInline: true,
        waitTimeoutSeconds: 60,
      },
    });
    expect((await person).status).toBe(200);
    expect(done.isError, JSON.stringify(done)).toBeFalsy();
    expect(done.structuredContent).toMatchObject({ status: "completed", reviewType: "approval", response: { selectedOption: "yes" } });
  });

  it("refuses to start without NOD_API_KEY, and says why", () => {
    let out = "";
    try {
      execFileSync(process.execPath, [bin, "--stdio"], { env: { PATH: process.env.PATH ?? "", NOD_URL: nodUrl() }, stdio: "pipe" });
    } catch (err) {
      out = String((err as { stderr?: Buffer }).stderr);
      expect((err as { status?: number }).status).toBe(2);
    }
    expect(out).toMatch(/NOD_API_KEY is not set/);
  });
});
