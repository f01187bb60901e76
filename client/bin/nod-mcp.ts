// nod-mcp: Nod's MCP tools over stdio, for MCP clients that only start local servers (Claude Desktop, …).
// It defines no tool of its own: tools/list and tools/call go to the Worker's /mcp (Streamable HTTP) as they
// are, so the stdio server lists exactly the tools, schemas and errors the HTTP endpoint has.
//
//   NOD_URL=https://nod.example.com NOD_API_KEY=hp_… NOD_CHANNEL=<agent id> npx nod-mcp --stdio
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";

const USAGE = `Usage: nod-mcp --stdio

Serves Nod's MCP tools over stdio, calling the Nod server's /mcp endpoint. Environment:
  NOD_URL       the Nod server, e.g. https://nod.example.com (or its /mcp URL)   (or PLACET_API_URL)
  NOD_API_KEY   an API key (hp_…)                                                (or PLACET_API_KEY)
  NOD_CHANNEL   optional: the channel (agent id) of calls that name none         (or PLACET_DEFAULT_CHANNEL)
`;

/** The longest tool call: send_review_message with waitInline waits up to 280 s on the server. */
const CALL_TIMEOUT_MS = 300_000;

function fail(message: string, code = 1): never {
  process.stderr.write(`nod-mcp: ${message}\n`);
  process.exit(code);
}

function config() {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const unknown = args.filter((a) => a !== "--stdio");
  if (unknown.length) fail(`unknown argument ${unknown[0]}\n\n${USAGE}`, 2);
  const env = process.env;
  const url = env.NOD_URL || env.PLACET_API_URL;
  const apiKey = env.NOD_API_KEY || env.PLACET_API_KEY;
  const channel = env.NOD_CHANNEL || env.PLACET_DEFAULT_CHANNEL;
  if (!url) fail(`NOD_URL is not set\n\n${USAGE}`, 2);
  if (!apiKey) fail(`NOD_API_KEY is not set\n\n${USAGE}`, 2);
  let endpoint: URL;
  try {
    endpoint = new URL(url);
  } catch {
    fail(`NOD_URL is not a URL: ${url}`, 2);
  }
  // The server's URL or its /mcp endpoint: both work.
  if (!endpoint.pathname.replace(/\/+$/, "").endsWith("/mcp")) endpoint.pathname = `${endpoint.pathname.replace(/\/+$/, "")}/mcp`;
  const headers: Record<string, string> = { "x-api-key": apiKey };
  if (channel) headers["x-nod-channel"] = channel;
  return { endpoint, headers };
}

/** Reads a JSON answer whole before the SDK sees it: the SDK leaves some bodies unread (the 405 to its optional
 *  GET stream, a 202), and closing then cuts the connection mid-answer. An event stream is passed on as it comes. */
async function readWhole(url: string | URL, init?: RequestInit) {
  const res = await fetch(url, init);
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) return res;
  const body = await res.arrayBuffer();
  return new Response(body.byteLength ? body : null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

async function main() {
  const { endpoint, headers } = config();
  const remote = new Client({ name: "nod-mcp-stdio", version: "0.1.0" });
  try {
    await remote.connect(new StreamableHTTPClientTransport(endpoint, { requestInit: { headers }, fetch: readWhole }));
  } catch (err) {
    fail(`cannot reach Nod's MCP endpoint ${endpoint.href}: ${err instanceof Error ? err.message : String(err)}`);
  }

  const info = remote.getServerVersion();
  const server = new Server(
    { name: info?.name ?? "nod", version: info?.version ?? "0.1.0" },
    { capabilities: { tools: {} }, instructions: remote.getInstructions() },
  );
  server.setRequestHandler(ListToolsRequestSchema, (request, extra) => remote.listTools(request.params, { signal: extra.signal }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    try {
      return await remote.callTool(request.params, undefined, { signal: extra.signal, timeout: CALL_TIMEOUT_MS });
    } catch (err) {
      // A protocol error (unknown tool, bad params) stays one; a network failure is the tool's error, which the model sees.
      if (err instanceof McpError) throw err;
      return {
        isError: true,
        content: [{ type: "text" as const, text: `Could not reach Nod at ${endpoint.origin}: ${err instanceof Error ? err.message : String(err)}` }],
      };
    }
  });

  const close = async () => {
    await Promise.allSettled([server.close(), remote.close()]);
    process.exit(0);
  };
  process.stdin.on("end", close);
  process.on("SIGINT", close);
  process.on("SIGTERM", close);
  await server.connect(new StdioServerTransport());
  process.stderr.write(`nod-mcp: serving ${endpoint.href} over stdio\n`);
}

main().catch((err: unknown) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
