// Body limits over real HTTP (wrangler dev): an oversized JSON body to the unauthenticated login is
// refused with 413 before it is read, and the server answers the next request at once. (A chunked
// upload over the limit is refused while it streams in: test/worker/hardening.test.ts, in workerd.)
import { describe, expect, it } from "vitest";
import { asOwner, nodUrl } from "./helpers";

async function timed<T>(work: () => Promise<T>) {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe("body limits on the real server", () => {
  it("a 12 MiB JSON body to /api/auth/login: 413, and the server answers the next request at once", async () => {
    const body = JSON.stringify({ email: "owner@example.com", password: "x".repeat(12 * 1024 * 1024) });
    const refused = await timed(() => fetch(`${nodUrl()}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body }));
    expect(refused.value.status).toBe(413);
    expect(await refused.value.json()).toMatchObject({ statusCode: 413 });
    const next = await timed(() => asOwner("GET", "/api/auth/me"));
    expect(next.value.status).toBe(200);
    expect(next.ms).toBeLessThan(1000); // "at once": not after reading or parsing 12 MiB
  });
});
