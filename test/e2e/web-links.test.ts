// Links an agent plants in its messages, in Debian's Chromium against the real `wrangler dev` server.
// The SPA decodes its route parameters, and Chat built API paths from its id: with the route
// /chat/..%2Fauth%2Flogout%3F the mark-as-read call became /api/agents/../auth/logout?/read, which the
// browser resolves to POST /api/auth/logout with the person's cookie (or, aimed elsewhere, rotates an
// agent's webhook secret or an API key). A full page load of such a link is redirected by the static
// asset server (it decodes %2F), but the app's own navigation is not: signing in through
// /login?next=<that route> lands on it. Such a route now renders the not-found view and calls no API,
// and every API path segment built from a variable is encoded (apiPath). Also: a PDF attachment's
// preview still renders in Chromium.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { apiPath, request } from "../../web/src/lib/api";
import { createAgent, http, launchBrowser, login, openApp, OWNER, type Opened, type TestAgent } from "./web-helpers";
import { sleep } from "../common";

const url = () => inject("nodUrl");

let browser: Browser;
const opened: Opened[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const o of opened.splice(0)) await o.context.close();
  await browser?.close();
});

/** A browser context on the app, signed in with `cookie` (none when empty). */
async function open(cookie: string) {
  const o = await openApp(browser, url(), cookie ? { cookie } : {});
  opened.push(o);
  return o;
}

/** Every request the context's pages make to the app's origin, as `METHOD /path?query`. */
function recordRequests(context: BrowserContext) {
  const seen: string[] = [];
  context.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin === url()) seen.push(`${r.method()} ${u.pathname}${u.search}`);
  });
  return seen;
}

/** The API calls any page of the app makes on load, whatever the route. */
const SHELL_CALLS = [
  /^GET \/api\/auth\/me$/,
  /^GET \/api\/preferences$/,
  /^GET \/api\/agents$/,
  /^GET \/api\/reviews\/count\?status=pending&view=assigned-to-me$/,
  /^POST \/api\/auth\/ws-ticket$/,
];
/** Requests that are not API calls: the page, its assets, the live socket. */
const NOT_API = /^GET \/(?!api\/)|^POST \/socket\.io\//;

/** A minimal one-page PDF: a black rectangle on a white page. */
function onePagePdf(): Uint8Array<ArrayBuffer> {
  const content = "0 0 0 rg 50 50 500 700 re f";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out) as Uint8Array<ArrayBuffer>;
}

describe("apiPath", () => {
  it("encodes each interpolated value as exactly one path segment", () => {
    expect(apiPath`/api/agents/${"abc"}/read`).toBe("/api/agents/abc/read");
    expect(apiPath`/api/agents/${"../auth/logout?"}/read`).toBe("/api/agents/..%2Fauth%2Flogout%3F/read");
    expect(apiPath`/api/files/${"a#b c"}/download`).toBe("/api/files/a%23b%20c/download");
  });

  it("refuses values the URL parser would resolve as a segment of their own (even percent-encoded)", () => {
    for (const bad of ["", ".", ".."]) expect(() => apiPath`/api/agents/${bad}/read`).toThrow(/path segment/);
    // `%2e%2e` is resolved like `..` by URL parsing, but a value's `%` is encoded, so it stays inert.
    expect(apiPath`/api/agents/${"%2e%2e"}/read`).toBe("/api/agents/%252e%252e/read");
  });
});

describe("request", () => {
  it("refuses a path the browser would send somewhere else than it names", async () => {
    vi.stubGlobal("location", { origin: "http://127.0.0.1:1" });
    try {
      for (const path of [
        "/api/agents/../auth/logout?/read",
        "/api/agents/%2e%2E/read",
        "/api/agents/x/..",
        "/api/agents/..\\auth\\logout",
        "//evil.example/api/x",
      ]) {
        await expect(request("POST", path), path).rejects.toThrow(/Refused to send/);
      }
      // Paths sent as written go out (and find no server on port 1).
      for (const path of ["/api/agents/abc/read", apiPath`/api/agents/${"../auth/logout?"}/read`, "/api/messages?channel=..%2Fx&limit=30"]) {
        await expect(request("POST", path), path).rejects.toThrow(/cannot be reached/);
      }
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("links an agent plants in a message", () => {
  let cookie: string;
  let agent: TestAgent;
  let keyId: string;
  let keyPrefix: string;
  let webhookSecret: string;
  let links: string[];

  beforeAll(async () => {
    // A session of its own: should the attack work, it signs out this one, not the shared owner's.
    cookie = await login(url(), OWNER.email, OWNER.password);
    const label = `Link planter ${Date.now()}`;
    agent = await createAgent(url(), cookie, label);
    const key = (await http(url(), "GET", "/api/api-keys", undefined, { cookie })).json.data.find((k: { label: string }) => k.label === label);
    keyId = key.id;
    keyPrefix = key.keyPrefix;
    webhookSecret = (await http(url(), "GET", `/api/agents/${agent.id}`, undefined, { cookie })).json.webhookSecret;
    expect(webhookSecret).toMatch(/^whsec_/);
    links = [
      "/chat/..%2Fauth%2Flogout%3F",
      "/chat/%2E%2E%2Fauth%2Flogout%23",
      `/chat/..%2Fagents%2F${agent.id}%2Frotate-webhook-secret%3F`,
      `/chat/..%2Fapi-keys%2F${keyId}%2Frotate%3F`,
    ];
    await agent.post({ text: `Build finished. ${links.map((l, i) => `[details ${i + 1}](${l})`).join(" · ")}` });
  });

  /** Nothing happened: still signed in, the secret and the key unchanged and working. */
  async function expectNothingHappened() {
    expect((await http(url(), "GET", "/api/auth/me", undefined, { cookie })).status).toBe(200);
    const now = await http(url(), "GET", `/api/agents/${agent.id}`, undefined, { cookie });
    expect(now.json.webhookSecret).toBe(webhookSecret);
    const key = (await http(url(), "GET", "/api/api-keys", undefined, { cookie })).json.data.find((k: { id: string }) => k.id === keyId);
    expect(key.keyPrefix).toBe(keyPrefix);
    await agent.ping("active"); // throws unless the key still works
  }

  function expectOnly(requests: string[], allowed: RegExp[]) {
    const unexpected = requests.filter((r) => !NOT_API.test(r) && !allowed.some((a) => a.test(r)));
    expect(unexpected, `unexpected requests:\n${requests.join("\n")}`).toEqual([]);
  }

  /** Waits for the not-found view, then long enough for anything the page would send (Chat marks read after 300 ms). */
  async function notFound(page: Page) {
    await page.getByRole("heading", { name: "Not found", exact: true }).waitFor({ timeout: 15_000 });
    await sleep(1000);
  }

  it("clicking them opens the not-found view and calls no API built from them", async () => {
    const { context, page, problems } = await open(cookie);
    const requests = recordRequests(context);
    await page.goto(`/chat/${agent.id}`);
    const chatCalls = [...SHELL_CALLS, new RegExp(`^GET /api/messages\\?channel=${agent.id}&limit=30$`), new RegExp(`^POST /api/agents/${agent.id}/read$`)];

    for (const [i, link] of links.entries()) {
      const anchor = page.getByRole("link", { name: `details ${i + 1}` });
      expect(await anchor.getAttribute("href")).toBe(link);
      const [popup] = await Promise.all([context.waitForEvent("page"), anchor.click()]);
      await notFound(popup);
      await popup.close();
    }
    expectOnly(requests, chatCalls);
    await expectNothingHappened();
    // The first page is still in the app, signed in.
    await page.getByRole("link", { name: "details 1" }).waitFor();
    await expect(page.getByRole("heading", { name: "Sign in to Nod" }).count()).resolves.toBe(0);
    expect(problems).toEqual([]);
  });

  it("visiting them directly does the same", async () => {
    const { context, page, problems } = await open(cookie);
    const requests = recordRequests(context);
    for (const link of links) {
      await page.goto(link);
      await notFound(page);
    }
    expectOnly(requests, SHELL_CALLS);
    await expectNothingHappened();
    await page.goto("/");
    await page.getByRole("heading", { name: "Inbox" }).waitFor();
    expect(problems).toEqual([]);
  });

  it("signing in through /login?next=<such a route>, then coming back to the tab, calls no API built from it", async () => {
    for (const link of links) {
      const { context, page, problems } = await open(""); // signed out, as the person who follows the link
      const requests = recordRequests(context);
      await page.goto(`/login?next=${encodeURIComponent(link)}`);
      await page.getByLabel(/^Email/).fill(OWNER.email);
      await page.getByLabel(/^Password/).fill(OWNER.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await notFound(page);
      expect(new URL(page.url()).pathname).toBe(link);
      // The person switches to another tab and back (Chat marks the conversation read then).
      await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await sleep(1000);
      expectOnly(requests, [/^GET \/api\/auth\/setup$/, /^POST \/api\/auth\/login$/, ...SHELL_CALLS]);
      // This sign-in's own session is still there.
      const session = (await context.cookies()).find((c) => c.name === "access_token");
      expect((await http(url(), "GET", "/api/auth/me", undefined, { cookie: `access_token=${session?.value}` })).status).toBe(200);
      await expectNothingHappened();
      expect(problems).toEqual([]);
    }
  });

  it("a route id outside the id alphabet, or not decodable, is not found", async () => {
    const { context, page, problems } = await open(cookie);
    const requests = recordRequests(context);
    for (const link of [`/chat/${agent.id.toUpperCase()}`, `/chat/${agent.id}%3F`, "/chat/%E0%A4%A"]) {
      await page.goto(link);
      await notFound(page);
    }
    expectOnly(requests, SHELL_CALLS);
    // A well-formed id that names no agent still opens the chat view, which says so.
    await page.goto("/chat/000000000aaaaaaaaaaaa");
    await page.getByRole("heading", { name: "Agent not found" }).waitFor();
    expect(problems).toEqual([]);
  });
});

describe("PDF preview", () => {
  it("a PDF attachment's preview renders in Chromium's PDF viewer", async () => {
    const cookie = await login(url(), OWNER.email, OWNER.password);
    const agent = await createAgent(url(), cookie, `PDF sender ${Date.now()}`);
    await agent.upload("report.pdf", "application/pdf", onePagePdf(), "The report");
    const { page, problems } = await open(cookie);
    await page.goto(`/chat/${agent.id}`);
    const served = page.waitForResponse((r) => /\/api\/files\/\w+\/view$/.test(r.url()));
    await page.getByRole("button", { name: "Preview PDF" }).click();
    // The PDF document is sandboxed by its own response header (an iframe `sandbox` attribute would stop Chromium rendering it).
    const servedHeaders = await (await served).allHeaders();
    expect(servedHeaders["content-security-policy"]).toMatch(/^sandbox;/);
    const frame = page.locator("iframe.pdf-frame");
    await frame.waitFor();
    expect(await frame.getAttribute("title")).toBe("PDF report.pdf");
    // Chromium renders a PDF with its viewer (an extension frame inside the preview frame); a frame it
    // refuses to render (as it does in any sandboxed iframe) shows chrome-error://chromewebdata/ instead.
    const pdfFrame = await (await frame.elementHandle())!.contentFrame();
    let viewer = false;
    for (let i = 0; i < 100 && !viewer; i++) {
      viewer = page.frames().some((f) => f.url().startsWith("chrome-extension://") && f.parentFrame() === pdfFrame);
      if (!viewer) await sleep(100);
    }
    expect(pdfFrame!.url()).toMatch(/\/api\/files\/\w+\/view$/);
    expect(
      viewer,
      `frames: ${page
        .frames()
        .map((f) => f.url())
        .join(", ")}`,
    ).toBe(true);
    expect(page.frames().some((f) => f.url().startsWith("chrome-error:"))).toBe(false);
    expect(problems).toEqual([]);
  });
});
