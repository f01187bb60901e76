// API requests are limited per key by Workers' rate-limiting binding (here configured at 20 a minute).
import { describe, expect, it } from "vitest";
import { agentWithKey, setupOwner } from "../worker/helpers";

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
    expect((await calm.v1("GET", "/agents")).status).toBe(200);
  });
});
