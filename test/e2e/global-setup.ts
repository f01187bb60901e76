// Starts the whole app as `wrangler dev` does (workerd, local D1/R2/Durable Objects, static assets)
// on a free port, with a fresh migrated database, and creates the owner. Tests get the URL and the
// owner's session cookie through `inject`. It also makes a self-signed certificate for 127.0.0.1 and
// names it in NODE_EXTRA_CA_CERTS, which the test processes inherit: a Worker a test file starts there
// trusts it, so Web Push can reach a local HTTPS push service (push.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { sessionCookie } from "../common";
import { startDevServer } from "./dev-server";

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
  const server = await startDevServer("e2e");
  const tls = { cert: join(server.persist, "local-cert.pem"), key: join(server.persist, "local-key.pem") };
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
  const url = server.url;

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
  return () => server.dispose();
}
