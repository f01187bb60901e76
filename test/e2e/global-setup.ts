// Starts the whole app as `wrangler dev` does (workerd, local D1/R2/Durable Objects, static assets)
// on a free port, with a fresh migrated database, and creates the owner. Tests get the URL and the
// owner's session cookie through `inject`. It also makes a self-signed certificate for 127.0.0.1 and
// names it in NODE_EXTRA_CA_CERTS, which the test processes inherit: a Worker a test file starts there
// trusts it, so Web Push can reach a local HTTPS push service (push.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import type { TestProject } from "vitest/node";
import { sessionCookie } from "../common";

declare module "vitest" {
  export interface ProvidedContext {
    nodUrl: string;
    ownerCookie: string;
    /** PEM files of the self-signed certificate for 127.0.0.1 (also in NODE_EXTRA_CA_CERTS). */
    localTls: { cert: string; key: string };
  }
}

export default async function setup(project: TestProject) {
  if (!existsSync("web/dist/index.html")) throw new Error("Build the SPA first: npm run build:web");
  process.env.WRANGLER_SEND_METRICS = "false";
  const persist = mkdtempSync(join(tmpdir(), "nod-e2e-"));
  const tls = { cert: join(persist, "local-cert.pem"), key: join(persist, "local-key.pem") };
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      tls.key,
      "-out",
      tls.cert,
    ],
    { stdio: "pipe" },
  );
  // Read by miniflare when it is first loaded: in the test processes, spawned after this.
  process.env.NODE_EXTRA_CA_CERTS = tls.cert;
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    // The real Worker, its D1 binding behind the production-limits wrapper (test/d1-limits).
    entrypoint: "test/d1-limits/entry.ts",
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
  const cookie = sessionCookie(res);

  project.provide("nodUrl", url);
  project.provide("ownerCookie", cookie);
  project.provide("localTls", tls);
  return async () => {
    await worker.dispose();
    rmSync(persist, { recursive: true, force: true });
  };
}
