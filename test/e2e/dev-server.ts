// One way to start the app as `wrangler dev` does (workerd, local D1/R2/Durable Objects, static assets)
// on a free port with a fresh migrated database: the shared server (global-setup.ts) and the browser
// tests' first-run servers (web-helpers.ts) both come from here.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";

export interface DevServer {
  url: string;
  /** The folder of its local state (D1, R2, Durable Objects); removed by dispose. */
  persist: string;
  dispose(): Promise<void>;
}

/** A port free right now (the kernel's pick, released at once), for a server that must know its URL before it starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * `publicUrl`: the server knows its own URL as `PUBLIC_URL` (on a port picked beforehand), as a deployment
 * does, so what it sends outside a request (notification channels' answer links) carries absolute links.
 */
export async function startDevServer(name: string, { publicUrl = false } = {}): Promise<DevServer> {
  process.env.WRANGLER_SEND_METRICS = "false";
  const persist = mkdtempSync(join(tmpdir(), `nod-${name}-`));
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  // The SPA from a private copy: wrangler restarts a server whenever its assets folder changes, so a
  // rebuild of web/dist during a test run (or a stray file event there) must not reach this one.
  const assets = join(persist, "assets");
  cpSync("web/dist", assets, { recursive: true });
  const port = publicUrl ? await freePort() : 0;
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    // The real Worker, its D1 binding behind the production-limits wrapper (test/d1-limits).
    entrypoint: "test/d1-limits/entry.ts",
    // Bundled as wrangler.toml's nodejs_compat says (unstable_startWorker does not take it from there): the
    // entry's round-trip counter imports node:async_hooks.
    build: { nodejsCompatMode: "v2" },
    assets,
    bindings: {
      ALLOW_LOOPBACK_WEBHOOKS: { type: "plain_text", value: "true" },
      ...(port ? { PUBLIC_URL: { type: "plain_text", value: `http://127.0.0.1:${port}` } } : {}),
    },
    dev: { server: { hostname: "127.0.0.1", port }, inspector: false, persist, watch: false, logLevel: "warn" },
  });
  await worker.ready;
  const url = (await worker.url).toString().replace(/\/$/, "");
  // The proxy answers before the Worker itself has started; one request waits for that first start, so
  // what reportRestarts sees after it is a restart.
  await fetch(`${url}/api/openapi.json`).then((res) => res.arrayBuffer());
  reportRestarts(worker.raw, name);
  return {
    url,
    persist,
    dispose: async () => {
      await worker.dispose();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/**
 * wrangler rebuilds and restarts a running server when its bundler sees a change, even with
 * `watch: false`; a restart drops every socket and answers an in-flight POST with a 503 ("Your worker
 * restarted mid-request"). Nothing in a test run should cause one, so when one happens it is said
 * loudly, to tell such a failure from a bug of Nod's.
 */
function reportRestarts(devEnv: { dispatch(event: { type: string }): void }, name: string) {
  const dispatch = devEnv.dispatch.bind(devEnv);
  devEnv.dispatch = (event) => {
    if (event.type === "bundleStart" || event.type === "reloadStart") {
      const cause = event.type === "bundleStart" ? "a source file changed" : "its assets or config changed";
      console.error(`[e2e] ${new Date().toISOString()} wrangler is restarting the ${name} server (${event.type}: ${cause}): expect dropped sockets and 503s`);
    }
    dispatch(event);
  };
}
