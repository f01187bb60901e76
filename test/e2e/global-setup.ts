// Starts the whole app as `wrangler dev` does (workerd, local D1/R2/Durable Objects, static assets)
// on a free port, with a fresh migrated database, and creates the owner. Tests get the URL and the
// owner's session cookie through `inject`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    nodUrl: string;
    ownerCookie: string;
  }
}

export default async function setup(project: TestProject) {
  if (!existsSync("web/dist/index.html")) throw new Error("Build the SPA first: npm run build:web");
  process.env.WRANGLER_SEND_METRICS = "false";
  const persist = mkdtempSync(join(tmpdir(), "nod-e2e-"));
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: { ALLOW_LOOPBACK_WEBHOOKS: { type: "plain_text", value: "true" } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist, watch: false, logLevel: "warn" },
  });
  await worker.ready;
  const url = (await worker.url).toString().replace(/\/$/, "");

  const res = await fetch(`${url}/api/auth/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery", displayName: "Owner" }),
  });
  if (res.status !== 201) throw new Error(`owner setup failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("set-cookie")?.match(/nod_session=[^;]+/)?.[0];
  if (!cookie) throw new Error("no session cookie from setup");

  project.provide("nodUrl", url);
  project.provide("ownerCookie", cookie);
  return async () => {
    await worker.dispose();
    rmSync(persist, { recursive: true, force: true });
  };
}
