// Helpers for the browser tests: Debian's Chromium driven by playwright-core, a fresh server for the
// first run, agents that speak the agent API with their own key, and a watch on page errors and
// Content-Security-Policy violations.
import { mkdirSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page, type Request as PlaywrightRequest } from "playwright-core";
import { sessionCookie } from "../common";
import { startDevServer } from "./dev-server";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export const launchBrowser = () => chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });

export const OWNER = { email: "owner@example.com", password: "correct horse battery" };

/** A second app server with its own empty database, started as global-setup.ts starts the shared one. */
export const startFreshServer = () => startDevServer("web");

export interface Opened {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and CSP violations seen so far. */
  problems: string[];
}

/** A browser context on the app, signed in with `cookie` when given. */
export async function openApp(
  browser: Browser,
  baseUrl: string,
  opts: { cookie?: string; colorScheme?: "light" | "dark"; viewport?: { width: number; height: number } } = {},
): Promise<Opened> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 820 },
    colorScheme: opts.colorScheme ?? "light",
    baseURL: baseUrl,
  });
  if (opts.cookie) {
    const [name, value] = opts.cookie.split("=") as [string, string];
    await context.addCookies([{ name, value, url: baseUrl }]);
  }
  const page = await context.newPage();
  explainNavigationTimeouts(page);
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  return { context, page, problems };
}

/** How long a first navigation may wait for "load" before its stalled static files count as wrangler's. */
const FIRST_NAVIGATION_MS = 15_000;

/**
 * A navigation that times out says which of the page's requests were still in flight, and for how long.
 *
 * In full runs on two cores, `wrangler dev` now and then leaves a page's static files (`/assets/*.js`,
 * `.css`) unanswered for the whole 30 s, with no restart and nothing in its log, while the same page's
 * HTML and API calls are answered; the same load a moment later takes a second. When every request left
 * in flight is such a file, the navigation is made once more (logged with the test).
 * Anything else still in flight (an API call, the HTML) fails the test at once, named.
 */
function explainNavigationTimeouts(page: Page) {
  const inFlight = new Map<PlaywrightRequest, number>();
  page.on("request", (r) => inFlight.set(r, Date.now()));
  page.on("requestfinished", (r) => inFlight.delete(r));
  page.on("requestfailed", (r) => inFlight.delete(r));
  const pending = () =>
    [...inFlight].map(([r, at]) => {
      const path = new URL(r.url()).pathname;
      return { path, line: `${r.method()} ${path} (${Date.now() - at} ms)` };
    });
  const goto = page.goto.bind(page);
  page.goto = async (url, options) => {
    try {
      return await goto(url, { ...options, timeout: Math.min(options?.timeout ?? 30_000, FIRST_NAVIGATION_MS) });
    } catch (err) {
      if (!(err instanceof Error && err.name === "TimeoutError")) throw err;
      const stalled = pending();
      if (stalled.length === 0 || !stalled.every((p) => p.path.startsWith("/assets/"))) {
        err.message += `\nrequests still in flight: ${stalled.map((p) => p.line).join(", ") || "none"}`;
        throw err;
      }
      console.error(
        `[e2e] ${new Date().toISOString()} wrangler dev left static files unanswered (${stalled.map((p) => p.line).join(", ")}): loading ${url} again`,
      );
      try {
        return await goto(url, options);
      } catch (again) {
        if (again instanceof Error && again.name === "TimeoutError") {
          again.message += `\nrequests still in flight (second try): ${
            pending()
              .map((p) => p.line)
              .join(", ") || "none"
          }`;
        }
        throw again;
      }
    }
  };
}

export async function http(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Signs in through the API and returns the session cookie (`access_token=…`). */
export async function login(baseUrl: string, email: string, password: string) {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return sessionCookie(res);
}

export interface TestAgent {
  id: string;
  key: string;
  /** POST /api/v1/messages as this agent; returns the stored message. */
  post(body: Record<string, unknown>): Promise<{ id: string; seq: number }>;
  /** The long-poll, as an agent runs it (one call, up to `timeout` ms). */
  wait(messageId: string, timeout?: number): Promise<{ status: string; message?: { review: { status: string; response: Record<string, unknown> | null } } }>;
  ping(status: "active" | "busy" | "error" | "offline", message?: string): Promise<unknown>;
  /** Posts a file as a message (POST /api/v1/files/upload); the message. */
  upload(filename: string, type: string, content: string | Uint8Array<ArrayBuffer>, text?: string): Promise<{ id: string }>;
}

/** A new agent of the person with `cookie`, with an API key scoped to it. */
export async function createAgent(baseUrl: string, cookie: string, name: string, extra: Record<string, unknown> = {}): Promise<TestAgent> {
  const agent = await http(baseUrl, "POST", "/api/agents", { name, ...extra }, { cookie });
  if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${JSON.stringify(agent.json)}`);
  const key = await http(baseUrl, "POST", "/api/api-keys", { label: name, agentIds: [agent.json.id] }, { cookie });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.json)}`);
  const id = agent.json.id as string;
  const apiKey = key.json.key as string;
  const asAgent = { "x-api-key": apiKey };
  return {
    id,
    key: apiKey,
    async post(body) {
      const res = await http(baseUrl, "POST", "/api/v1/messages", { channelId: id, ...body }, asAgent);
      if (res.status !== 201) throw new Error(`post: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json;
    },
    async wait(messageId, timeout = 30_000) {
      const res = await http(baseUrl, "GET", `/api/v1/reviews/${messageId}/wait?channel=${id}&timeout=${timeout}`, undefined, asAgent);
      return res.json;
    },
    async ping(status, message) {
      const res = await http(baseUrl, "POST", "/api/v1/status/ping", { agentId: id, status, ...(message ? { message } : {}) }, asAgent);
      if (res.status !== 200) throw new Error(`ping: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json;
    },
    async upload(filename, type, content, text) {
      const form = new FormData();
      form.set("channelId", id);
      if (text) form.set("text", text);
      form.set("file", new Blob([content], { type }), filename);
      const res = await fetch(`${baseUrl}/api/v1/files/upload`, { method: "POST", headers: asAgent, body: form });
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      // The answer is the first file, with the message that carries it under `message`.
      return ((await res.json()) as { message: { id: string } }).message;
    },
  };
}

/** README's screenshots are rewritten only when asked (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? join(process.cwd(), "docs", "screenshots") : join(tmpdir(), "nod-screenshots");
export function screenshotDir() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return SCREENSHOTS;
}

/** A PNG of `width`×`height` pixels, each coloured by `rgb(x, y)`. */
export function png(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): Uint8Array<ArrayBuffer> {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0); // filter: none
    for (let x = 0; x < width; x++) rows.push(...rgb(x, y));
  }
  const file = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  return new Uint8Array(file);
}
