// The MCP endpoint on the real server (wrangler dev: the Worker bundled as it is deployed, behind the static
// assets), driven by the official SDK client over real HTTP, as an MCP client such as Claude Code would.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { answerWhenAsked, newAgent, nodUrl } from "./helpers";

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** Reads every answer whole before the SDK client sees it. The client leaves some bodies unread (the 405 to its
 *  optional GET stream, a 401), and closing it then drops the connection mid-answer under wrangler dev (a
 *  "Broken pipe" in the log). The server answers JSON, never a stream, so nothing is lost. */
async function bufferedFetch(url: string | URL, init?: RequestInit) {
  const res = await fetch(url, init);
  const body = await res.arrayBuffer();
  return new Response(body.byteLength ? body : null, { status: res.status, headers: res.headers });
}

async function connect(headers: Record<string, string>) {
  const client = new Client({ name: "nod-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${nodUrl()}/mcp`), { requestInit: { headers }, fetch: bufferedFetch }));
  clients.push(client);
  return client;
}

describe("MCP over HTTP against wrangler dev", () => {
  it("lists tools, asks an approval, the person answers, and wait_for_review returns the answer", async () => {
    const { channelId, apiKey } = await newAgent("MCP e2e");
    const client = await connect({ authorization: `Bearer ${apiKey}` });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["ask_approval", "wait_for_review", "list_pending_reviews", "upload_file"]));

    const asked: any = await client.callTool({
      name: "ask_approval",
      arguments: {
        text: "Rotate the database credentials?",
        payload: {
          options: [
            { id: "yes", label: "Yes", style: "primary" },
            { id: "no", label: "No", style: "danger" },
          ],
        },
      },
    });
    expect(asked.isError, JSON.stringify(asked)).toBeFalsy();
    expect(asked.structuredContent.channelId).toBe(channelId); // the key is scoped to this one agent

    // The person answers while the agent waits: loop as an MCP client would, until not "timeout".
    const person = answerWhenAsked(channelId, /^Rotate the database credentials\?$/, { selectedOption: "no" });
    let result: any;
    for (let i = 0; i < 5; i++) {
      result = await client.callTool({ name: "wait_for_review", arguments: { messageId: asked.structuredContent.messageId, timeoutSeconds: 10 } });
      if (result.structuredContent?.status !== "timeout") break;
    }
    expect((await person).status).toBe(200);
    expect(result.isError, JSON.stringify(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: "completed", reviewType: "approval", response: { selectedOption: "no" } });
  });

  it("the endpoint reaches the Worker, not the single-page app: 401 without a key, 405 for GET", async () => {
    const post = await fetch(`${nodUrl()}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(post.status).toBe(401);
    expect(await post.json()).toMatchObject({ statusCode: 401 });
    const { apiKey } = await newAgent("MCP e2e get");
    const get = await fetch(`${nodUrl()}/mcp`, { headers: { accept: "text/event-stream", "x-api-key": apiKey } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    await get.text();
    await expect(connect({ "x-api-key": "hp_wrong" })).rejects.toThrow();
  });
});
