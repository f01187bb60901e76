import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Two projects: `worker` runs inside workerd (the real runtime, real D1/R2/Durable Objects from
// miniflare); `e2e` runs in Node against a real `wrangler dev` server with stock clients.
/** A project of tests inside workerd, with the Worker's real bindings (plus `miniflare` overrides). */
function workerd(name: string, include: string[], miniflare: Record<string, unknown> = {}) {
  return {
    plugins: [
      cloudflareTest(async () => ({
        // The real Worker behind a D1 wrapper that refuses what production D1 refuses (test/d1-limits).
        main: "./test/d1-limits/entry.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { TEST_MIGRATIONS: await readD1Migrations("./migrations") }, ...miniflare },
      })),
    ],
    test: { name, include, setupFiles: ["./test/worker/setup.ts"], testTimeout: 20_000 },
  };
}

export default defineConfig({
  test: {
    projects: [
      workerd("worker", ["test/worker/**/*.test.ts"]),
      // The same Worker with a rate limit small enough to reach in a test.
      workerd("limits", ["test/limits/**/*.test.ts"], { ratelimits: { API_RATE_LIMIT: { simple: { limit: 20, period: 60 } } } }),
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["./test/e2e/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
