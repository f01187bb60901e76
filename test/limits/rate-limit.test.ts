// API requests are limited per key by Workers' rate-limiting binding (here configured at 20 a minute).
import { describe, expect, it } from "vitest";
import { agentWithKey, call, setupOwner } from "../worker/helpers";

describe("rate limit per API key", () => {
  it("answers 429 with Retry-After past the limit, and other keys are unaffected", async () => {
    const owner = await setupOwner();
    const busy = await agentWithKey(owner, "Busy");
    const calm = await agentWithKey(owner, "Calm");
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await busy.v1("GET", "/agents")).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const limited = await busy.v1("GET", "/agents");
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ statusCode: 429 });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const mcp = await call("POST", "/mcp", {
      body: { jsonrpc: "2.0", id: 1, method: "tools/list" },
      headers: { "x-api-key": busy.apiKey, accept: "application/json, text/event-stream" },
    });
    expect(mcp.status).toBe(429); // the MCP endpoint counts against the same key
    expect((await calm.v1("GET", "/agents")).status).toBe(200);
  });
});
