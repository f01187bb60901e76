import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { readFile } from "node:fs/promises";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * The MCP SDK publishes source maps that name its `src/` files, which its npm package does not ship:
 * loading them printed ~50 "Sourcemap … points to missing source files" warnings a run. Its modules are
 * loaded without their map comment instead (stack traces in the SDK show its compiled JavaScript).
 */
const skipBrokenSourceMaps: Plugin = {
  name: "nod:skip-mcp-sdk-source-maps",
  enforce: "pre",
  async load(id) {
    if (!/\/node_modules\/@modelcontextprotocol\/sdk\/.*\.js$/.test(id)) return null;
    const code = await readFile(id, "utf8");
    return { code: code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"), map: null };
  },
};

/**
 * The Worker's own outbound requests in the workerd projects. Tests store webhook and push URLs on hosts
 * under example.com, which this sandbox cannot resolve: each attempt made workerd print a "DNS lookup
 * failed" stack. Those hosts answer here as a receiver that is down (503), the failed attempt the tests
 * expect; every other host is fetched for real.
 */
const exampleHostsAreDown = (request: Request) =>
  /(^|\.)example\.(com|org)$/.test(new URL(request.url).hostname) ? new Response("receiver down", { status: 503 }) : fetch(request);

/** A project of tests inside workerd, with the Worker's real bindings (plus `miniflare` overrides). */
function workerd(name: string, include: string[], miniflare: Record<string, unknown> = {}) {
  return {
    plugins: [
      skipBrokenSourceMaps,
      cloudflareTest(async () => ({
        // The real Worker behind a D1 wrapper that refuses what production D1 refuses (test/d1-limits).
        main: "./test/d1-limits/entry.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { TEST_MIGRATIONS: await readD1Migrations("./migrations") }, outboundService: exampleHostsAreDown, ...miniflare },
      })),
    ],
    test: { name, include, setupFiles: ["./test/worker/setup.ts"], testTimeout: 20_000 },
  };
}

export default defineConfig({
  test: {
    // A passing test's logs (expected errors of fault tests, figures) stay quiet; a failing test shows its own.
    silent: "passed-only",
    // Two files at a time (vitest's default on 2 cores is one): the workerd projects and the e2e files,
    // which mostly wait on a browser or a server, overlap instead of running one after another.
    maxWorkers: 2,
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
          // A live update crosses a room and a gateway shard to a browser on a machine busy with the rest of the
          // suite: an `expect.poll` waits up to 5 s for it (vitest's default, 1 s, flaked under load).
          expect: { poll: { timeout: 5_000 } },
          fileParallelism: false,
        },
      },
    ],
  },
});
