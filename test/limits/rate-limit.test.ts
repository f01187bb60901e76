// API requests are limited per key by Workers' rate-limiting binding (here configured at 20 a minute).
import { beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../common";
import { agentWithKey, call, setupOwner, type Person } from "../worker/helpers";

const LIMIT = 20;

/**
 * The local binding counts in fixed one-minute windows (miniflare resets every key at each minute): a test
 * that must reach the limit starts early in a window, so that no reset falls in the middle of it.
 */
async function startOfAWindow() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await sleep(left + 100);
}

const mcp = (apiKey: string, body: unknown) => call("POST", "/mcp", { body, headers: { "x-api-key": apiKey, accept: "application/json, text/event-stream" } });

let owner: Person;
beforeAll(async () => {
  owner = await setupOwner();
});

describe("rate limit per API key", () => {
  it("answers 429 with Retry-After past the limit, and other keys are unaffected", async () => {
    const busy = await agentWithKey(owner, "Busy");
    const calm = await agentWithKey(owner, "Calm");
    await startOfAWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await busy.v1("GET", "/agents")).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const limited = await busy.v1("GET", "/agents");
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ statusCode: 429 });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const res = await mcp(busy.apiKey, { jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(res.status).toBe(429); // the MCP endpoint counts against the same key
    expect((await calm.v1("GET", "/agents")).status).toBe(200);
  });

  it("an MCP tool call counts once, however many agent-API calls it makes inside", async () => {
    const bot = await agentWithKey(owner, "Tools");
    await startOfAWindow();
    const half = LIMIT / 2;
    for (let i = 0; i < half; i++) {
      const res = await mcp(bot.apiKey, { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "list_channels", arguments: {} } });
      expect(res.status, res.text).toBe(200);
      expect(res.json.result.isError, res.text).toBeFalsy();
      expect(res.json.result.structuredContent.channels.map((c: { id: string }) => c.id)).toContain(bot.agent.id);
    }
    // Ten /mcp requests used ten of the twenty: ten more agent-API calls fit, the next one does not.
    const statuses: number[] = [];
    for (let i = 0; i < half; i++) statuses.push((await bot.v1("GET", "/agents")).status);
    expect(statuses).toEqual(Array(half).fill(200));
    expect((await bot.v1("GET", "/agents")).status).toBe(429);
  });
});
