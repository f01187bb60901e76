// The web app in Debian's Chromium (playwright-core) against the real `wrangler dev` server: first
// run, sign-in, the five review widgets with the agent waiting on the other side, sanitized markdown,
// the inline HTML sandbox, live updates, the status page, settings, files and plugins. Screenshots of
// the main screens go to docs/screenshots/ when UPDATE_SCREENSHOTS=1 (a temp folder otherwise).
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAgent, http, launchBrowser, login, openApp, OWNER, screenshotDir, startFreshServer, type Opened } from "./web-helpers";
import { sleep } from "../common";

let browser: Browser;
const opened: Opened[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the app; every page is checked for uncaught errors and CSP violations when its test ends. */
async function open(baseUrl: string, opts: Parameters<typeof openApp>[2] = {}) {
  const o = await openApp(browser, baseUrl, opts);
  opened.push(o);
  return o;
}

async function closeAll() {
  for (const o of opened.splice(0)) {
    expect(o.problems, `page errors or CSP violations: ${o.problems.join(" | ")}`).toEqual([]);
    await o.context.close();
  }
}

const approval = (extra: Record<string, unknown> = {}) => ({
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Approve", style: "primary" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
    allowComment: true,
    ...extra,
  },
});

/** Waits until the live connection is up (the dot in the sidebar says so). */
async function live(page: Page) {
  await page.getByRole("img", { name: "Live updates: live" }).waitFor({ timeout: 15_000 });
}

// ================================================================================================
describe("first run, on a server of its own", () => {
  let server: Awaited<ReturnType<typeof startFreshServer>>;
  beforeAll(async () => {
    server = await startFreshServer();
  });
  afterAll(async () => {
    await closeAll();
    await server?.dispose();
  });

  it("creates the owner on the first visit, signs out, and signs in again", async () => {
    expect((await http(server.url, "GET", "/api/auth/setup")).json).toEqual({ needed: true });
    const { page } = await open(server.url);
    await page.goto("/");
    await page.waitForURL("**/setup");
    await page.getByRole("heading", { name: "Welcome to Nod" }).waitFor();

    // A too-short password is caught before anything is sent.
    await page.getByLabel(/^Your name/).fill("Ada Owner");
    await page.getByLabel(/^Email/).fill("ada@example.com");
    await page.getByLabel(/^Password/).fill("short");
    await page.getByLabel(/^Repeat password/).fill("short");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.locator(".field-error", { hasText: "At least 8 characters" }).waitFor();
    expect((await http(server.url, "GET", "/api/auth/setup")).json).toEqual({ needed: true });

    await page.getByLabel(/^Password/).fill("a long enough password");
    await page.getByLabel(/^Repeat password/).fill("a long enough password");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByRole("heading", { name: "Inbox" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
    expect((await http(server.url, "GET", "/api/auth/setup")).json).toEqual({ needed: false });
    await page.getByText("Ada Owner").waitFor();

    // Sign out: the session ends and the app asks to sign in.
    await page.getByRole("button", { name: "Sign out" }).first().click();
    await page.getByRole("heading", { name: "Sign in to Nod" }).waitFor();
    await page.goto("/settings");
    await page.getByRole("heading", { name: "Sign in to Nod" }).waitFor();
    // /setup is no longer offered once the owner exists.
    await page.goto("/setup");
    await page.getByRole("heading", { name: "Sign in to Nod" }).waitFor();

    await page.getByLabel(/^Email/).fill("ada@example.com");
    await page.getByLabel(/^Password/).fill("a long enough password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Inbox" }).waitFor();
  });

  it("screenshots of the main screens, light and dark", async () => {
    const dir = screenshotDir();
    if ((await http(server.url, "GET", "/api/auth/setup")).json.needed) {
      await http(server.url, "POST", "/api/auth/setup", { email: "ada@example.com", password: "a long enough password", displayName: "Ada Owner" });
    }
    const cookie = await login(server.url, "ada@example.com", "a long enough password");
    const demo = await seedDemo(server.url, cookie);

    // Light, desktop.
    const light = await open(server.url, { cookie });
    const page = light.page;
    await page.goto(`/?id=${demo.deployApproval}`);
    await page.locator('[data-review-type="approval"] button', { hasText: "Approve" }).waitFor();
    await settle(page);
    await page.screenshot({ path: join(dir, "inbox.png") });

    await page.goto(`/chat/${demo.deploy.id}`);
    await page.locator('[data-review-type="approval"][data-review-state="pending"]').waitFor();
    await page.locator('iframe[data-plugin="diff"]').waitFor();
    await settle(page);
    await page.screenshot({ path: join(dir, "chat-review.png") });

    await page.goto(`/?agent=${demo.support.id}&id=${demo.supportForm}`);
    const form = page.locator('[data-review-type="form"]');
    await form.getByLabel(/^Amount/).fill("900");
    await form.getByRole("button", { name: "Issue refund" }).click();
    await form.locator(".field-error").first().waitFor();
    await settle(page);
    await page.screenshot({ path: join(dir, "form-review.png") });

    await page.goto("/status");
    await page.locator(".status-card").nth(2).waitFor();
    await page.locator('rect[data-status="error"]').waitFor();
    await settle(page);
    await page.screenshot({ path: join(dir, "status.png") });

    await page.goto("/settings/agents");
    await page.getByRole("button", { name: "Edit" }).first().click();
    await page.getByRole("button", { name: "Show secret" }).click();
    await settle(page);
    await page.screenshot({ path: join(dir, "settings.png") });

    // Dark, desktop (the system's preference with the theme left on "system").
    const dark = await open(server.url, { cookie, colorScheme: "dark" });
    await dark.page.goto(`/?id=${demo.deployApproval}`);
    await dark.page.locator('[data-review-type="approval"] button', { hasText: "Approve" }).waitFor();
    expect(await dark.page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await settle(dark.page);
    await dark.page.screenshot({ path: join(dir, "inbox-dark.png") });
    await dark.page.goto(`/chat/${demo.support.id}`);
    await dark.page.locator('[data-review-type="form"]').waitFor();
    await settle(dark.page);
    await dark.page.screenshot({ path: join(dir, "chat-dark.png") });

    // A phone.
    const phone = await open(server.url, { cookie, viewport: { width: 390, height: 844 } });
    await phone.page.goto(`/?id=${demo.deployApproval}`);
    await phone.page.locator('[data-review-type="approval"] button', { hasText: "Approve" }).waitFor();
    await settle(phone.page);
    await phone.page.screenshot({ path: join(dir, "phone-review.png") });

    for (const name of ["inbox", "chat-review", "form-review", "status", "settings", "inbox-dark", "chat-dark", "phone-review"]) {
      const png = readFileSync(join(dir, `${name}.png`));
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      expect(png.length).toBeGreaterThan(10_000);
    }
  });
});

/** Lets fonts, lazy chunks and frames finish before a screenshot. */
async function settle(page: Page) {
  await page.evaluate(() => document.fonts.ready);
  await sleep(600);
}

/** Agents and messages that make the screenshots look like a working day. */
async function seedDemo(url: string, cookie: string) {
  const deploy = await createAgent(url, cookie, "Deploy bot", { description: "Ships releases to production" });
  const support = await createAgent(url, cookie, "Support agent", { description: "Answers customer tickets" });
  const data = await createAgent(url, cookie, "Data pipeline", { description: "Nightly ETL jobs" });
  await data.ping("active", "Importing 2026-11-21");
  await deploy.ping("busy", "Building #1289");
  await support.ping("active", "Idle");
  await sleep(1500);
  await data.ping("busy", "Transforming 1.2 M rows");
  await support.ping("busy", "Processing 42 tickets");
  await sleep(1500);
  await deploy.ping("active", "Watching main");
  await data.ping("error", "S3 credentials expired");

  await deploy.post({ text: "Build **#1289** passed: 312 tests, coverage 87 %.", status: "success" });
  const staging = await deploy.post({ text: "Deploy **v2.0.9** to staging?", review: approval() });
  await http(url, "POST", `/api/messages/${staging.id}/respond`, { response: { selectedOption: "approve", comment: "Go ahead" } }, { cookie });
  await http(url, "POST", "/api/messages", { channelId: deploy.id, text: "Thanks! Ping me when staging is green." }, { cookie });
  await deploy.post({ text: "Staging is green ✅", status: "info" });
  const deployApproval = await deploy.post({
    text: "Deploy **v2.1.0** to production?\n\n- 14 commits since v2.0.3\n- migration: `add_index_orders_created_at`\n- rollback plan: `nod deploy rollback v2.0.3`",
    status: "warning",
    review: {
      type: "approval",
      payload: {
        options: [
          { id: "approve", label: "Approve", style: "primary" },
          { id: "reject", label: "Reject", style: "danger" },
          { id: "later", label: "Ask me later", style: "ghost" },
        ],
        allowComment: true,
      },
    },
  });
  await deploy.post({
    text: "Review this change before I merge it.",
    metadata: {
      plugin: "diff",
      filename: "src/app.ts",
      diff: "diff --git a/src/app.ts b/src/app.ts\n--- a/src/app.ts\n+++ b/src/app.ts\n@@ -1,5 +1,6 @@\n import { serve } from './server';\n-const port = 3000;\n+const port = Number(process.env.PORT ?? 3000);\n+const host = process.env.HOST ?? '0.0.0.0';\n \n-serve({ port });\n+serve({ port, host });\n",
    },
    review: { type: "freeform", payload: { plugin: "diff" } },
  });
  await support.post({ text: "New signup form submitted", metadata: { plugin: "form-submit", name: "John Doe", email: "john@example.com", plan: "Pro" } });
  await support.post({
    text: "Which reply template fits ticket **#4822**?",
    review: {
      type: "selection",
      payload: {
        mode: "single",
        items: [
          { id: "apology", label: "Apology + voucher", description: "10 % off the next order" },
          { id: "replace", label: "Send a replacement" },
          { id: "escalate", label: "Escalate to a human" },
        ],
      },
    },
  });
  const supportForm = await support.post({
    text: "Customer **#4821** asks for a refund of €129 (order 99812, damaged on arrival). Fill in the refund.",
    review: {
      type: "form",
      payload: {
        submitLabel: "Issue refund",
        fields: [
          { name: "amount", type: "number", label: "Amount (€)", required: true, min: 0, max: 500, step: 0.01, default: 129 },
          {
            name: "reason",
            type: "select",
            label: "Reason",
            required: true,
            options: [
              { value: "damaged", label: "Damaged" },
              { value: "late", label: "Late delivery" },
              { value: "other", label: "Other" },
            ],
          },
          { name: "email", type: "email", label: "Notify email", placeholder: "customer@example.com" },
          { name: "date", type: "date", label: "Refund date" },
          { name: "note", type: "textarea", label: "Note to the customer", placeholder: "Sorry about that…" },
          { name: "confidence", type: "range", label: "Confidence", min: 0, max: 10, step: 1 },
          { name: "restock", type: "checkbox", label: "Put the item back in stock" },
        ],
      },
    },
  });
  await data.post({ text: "Nightly import failed: `AccessDenied` on `s3://warehouse/raw/2026-11-21/`.", status: "error" });
  await data.post({
    text: "Write the incident summary for the status page.",
    review: { type: "text-input", payload: { markdown: true, placeholder: "What happened, impact, next steps", minLength: 20, maxLength: 600 } },
  });
  return { deploy, support, data, deployApproval: deployApproval.id, supportForm: supportForm.id };
}

// ================================================================================================
describe("the app on the shared server", () => {
  const url = () => inject("nodUrl");
  const cookie = () => inject("ownerCookie");
  const owner = (method: string, path: string, body?: unknown) => http(url(), method, path, body, { cookie: cookie() });

  afterAll(closeAll);

  it("the first screen's JavaScript is small (≤ 80 KB gzipped)", () => {
    const html = readFileSync("web/dist/index.html", "utf8");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts (the CSP forbids them)
    const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(join("web/dist", f))).length, 0);
    expect(gz).toBeLessThanOrEqual(80 * 1024);
  });

  it("serves the app with a strict Content-Security-Policy, a manifest, and sandbox frames with their own policy", async () => {
    const res = await fetch(`${url()}/chat/anything`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    const manifest = await (await fetch(`${url()}/manifest.webmanifest`)).json();
    expect(manifest).toMatchObject({ short_name: "Nod", start_url: "/", display: "standalone" });
    expect(manifest.icons.some((i: { sizes: string }) => i.sizes === "512x512")).toBe(true);
    const frame = await fetch(`${url()}/sandbox/inline`);
    expect(frame.status).toBe(200);
    const frameCsp = frame.headers.get("content-security-policy") ?? "";
    expect(frameCsp).toContain("default-src 'none'");
    expect(frameCsp).toContain("frame-ancestors 'self'");
    expect(frameCsp).not.toContain("connect-src");
  });

  it("signs in: a wrong password is refused, the right one opens the inbox", async () => {
    const { page } = await open(url());
    await page.goto("/settings/api-keys");
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel(/^Email/).fill(OWNER.email);
    await page.getByLabel(/^Password/).fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Wrong email or password").waitFor();
    await page.getByLabel(/^Password/).fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Back where the person wanted to go.
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/settings/api-keys");
  });

  it("changes a password: the old one stops working, the new one signs in", async () => {
    const email = `member-${Date.now()}@example.com`;
    expect((await owner("POST", "/api/users", { email, password: "first password 1", displayName: "Mia Member" })).status).toBe(201);
    const { page } = await open(url(), { cookie: await login(url(), email, "first password 1") });
    await page.goto("/settings");
    await page.getByLabel(/^Current password/).fill("wrong current");
    await page.getByLabel(/^New password/).fill("second password 2");
    await page.getByLabel(/^Repeat new password/).fill("second password 2");
    await page.getByRole("button", { name: "Change password" }).click();
    await page
      .getByText(/current password is wrong|wrong password/i)
      .first()
      .waitFor();
    await page.getByLabel(/^Current password/).fill("first password 1");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed").waitFor();
    expect((await http(url(), "POST", "/api/auth/login", { email, password: "first password 1" })).status).toBe(401);
    expect((await http(url(), "POST", "/api/auth/login", { email, password: "second password 2" })).status).toBe(200);
    // A member sees no Users section.
    expect(await page.getByRole("link", { name: "Users" }).count()).toBe(0);
  });

  it("an approval answered by clicking Approve releases the agent's long-poll with approve, then the inbox moves to the next one", async () => {
    const agent = await createAgent(url(), cookie(), "Approval bot");
    const older = await agent.post({ text: "Rotate the database password tonight?", review: approval() });
    const newer = await agent.post({ text: "Deploy **v9.9.9** to production?", status: "warning", review: approval() });
    let settled = false;
    const waiting = agent.wait(newer.id).then((r) => {
      settled = true;
      return r;
    });

    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/?agent=${agent.id}`);
    const detail = page.locator(".inbox-detail-pane");
    await detail.getByText("v9.9.9").waitFor();
    const card = detail.locator('[data-review-type="approval"]');
    await card.getByRole("textbox", { name: /Comment/ }).fill("Ship it");
    await sleep(300);
    expect(settled).toBe(false); // the agent is still waiting
    await card.getByRole("button", { name: "Approve" }).click();

    const result = await waiting;
    expect(result.status).toBe("completed");
    expect(result.message!.review.response).toEqual({ selectedOption: "approve", comment: "Ship it" });
    // Next pending review of the list, with its own widget.
    await detail.getByText("Rotate the database password tonight?").waitFor();
    await detail.locator('[data-review-state="pending"]').waitFor();
    expect(new URL(page.url()).searchParams.get("id")).toBe(older.id);
    await page.locator(".inbox-list").getByText("v9.9.9").waitFor({ state: "detached" });
  });

  it("a form of mixed field types: a bad value is refused in the browser, the good values reach the agent", async () => {
    const agent = await createAgent(url(), cookie(), "Form bot");
    const msg = await agent.post({
      text: "Refund details, please.",
      review: {
        type: "form",
        payload: {
          submitLabel: "Send refund",
          fields: [
            { name: "customer", type: "text", label: "Customer", required: true },
            { name: "amount", type: "number", label: "Amount", required: true, min: 1, max: 500 },
            { name: "email", type: "email", label: "Email" },
            { name: "site", type: "url", label: "Order page" },
            {
              name: "reason",
              type: "select",
              label: "Reason",
              required: true,
              options: [
                { value: "damaged", label: "Damaged" },
                { value: "late", label: "Late" },
              ],
            },
            { name: "note", type: "textarea", label: "Note" },
            { name: "restock", type: "checkbox", label: "Restock" },
            { name: "day", type: "date", label: "Day", min: "2026-01-01" },
            { name: "at", type: "time", label: "At" },
            { name: "when", type: "datetime", label: "When" },
            { name: "score", type: "range", label: "Score", min: 0, max: 10, step: 1, default: 7 },
            { name: "pin", type: "password", label: "PIN", required: true },
          ],
        },
      },
    });
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    const form = page.locator(`[data-message-id="${msg.id}"] [data-review-type="form"]`);
    await form.getByLabel(/^Customer/).fill("Jane Roe");
    await form.getByLabel(/^Amount/).fill("9000");
    await form.getByLabel(/^Email/).fill("not-an-email");
    await form.getByLabel(/^Reason/).selectOption("damaged");
    await form.getByLabel(/^PIN/).fill("4242");
    await form.getByRole("button", { name: "Send refund" }).click();

    // The shared zod schema speaks in the browser: nothing is sent.
    const amountError = form.locator('[data-field="amount"] .field-error');
    await amountError.waitFor();
    expect(await amountError.textContent()).toMatch(/500/);
    expect(await form.locator('[data-field="email"] .field-error').textContent()).toMatch(/email/i);
    expect(await form.getByLabel(/^Amount/).getAttribute("aria-invalid")).toBe("true");
    expect((await http(url(), "GET", `/api/v1/reviews/${msg.id}?channel=${agent.id}`, undefined, { "x-api-key": agent.key })).json.review.status).toBe(
      "pending",
    );

    await form.getByLabel(/^Amount/).fill("129.5");
    await form.getByLabel(/^Email/).fill("jane@example.com");
    await form.getByLabel(/^Order page/).fill("https://shop.example.com/orders/99812");
    await form.getByLabel(/^Note/).fill("Box was crushed");
    await form.getByLabel(/^Restock/).check();
    await form.getByLabel(/^Day/).fill("2026-11-23");
    await form.getByLabel(/^At/).fill("14:30");
    await form.getByLabel(/^When/).fill("2026-11-24T09:15");
    await form.getByLabel(/^Score/).fill("9");
    const waiting = agent.wait(msg.id);
    await form.getByRole("button", { name: "Send refund" }).click();
    const result = await waiting;
    expect(result.status).toBe("completed");
    expect(result.message!.review.response).toEqual({
      customer: "Jane Roe",
      amount: 129.5,
      email: "jane@example.com",
      site: "https://shop.example.com/orders/99812",
      reason: "damaged",
      note: "Box was crushed",
      restock: true,
      day: "2026-11-23",
      at: "14:30",
      when: "2026-11-24T09:15",
      score: 9,
      pin: "4242",
    });
    // Answered, read-only, the password masked for people.
    const answered = page.locator(`[data-message-id="${msg.id}"] [data-review-state="completed"]`);
    await answered.waitFor();
    expect(await answered.textContent()).toContain("Damaged");
    expect(await answered.textContent()).not.toContain("4242");
  });

  it("selection, text input and freeform JSON: each validated in the browser, each answer read by the agent", async () => {
    const agent = await createAgent(url(), cookie(), "Widgets bot");
    const sel = await agent.post({
      text: "Which regions?",
      review: {
        type: "selection",
        payload: {
          mode: "multi",
          items: [
            { id: "eu", label: "Europe" },
            { id: "us", label: "United States" },
            { id: "ap", label: "Asia Pacific" },
          ],
        },
      },
    });
    const txt = await agent.post({
      text: "Summarize the incident.",
      review: { type: "text-input", payload: { markdown: true, minLength: 10, maxLength: 80 } },
    });
    const json = await agent.post({ text: "Config overrides?", review: { type: "freeform", payload: {} } });
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);

    const s = page.locator(`[data-message-id="${sel.id}"] [data-review-type="selection"]`);
    await s.getByRole("button", { name: "Submit" }).click();
    await s.getByText("select at least one item").waitFor();
    await s.getByRole("checkbox", { name: "Europe" }).check();
    await s.getByRole("checkbox", { name: "Asia Pacific" }).check();
    await s.getByRole("button", { name: "Submit" }).click();
    expect((await agent.wait(sel.id)).message!.review.response).toEqual({ selectedIds: ["eu", "ap"] });

    const t = page.locator(`[data-message-id="${txt.id}"] [data-review-type="text-input"]`);
    const area = t.getByRole("textbox", { name: /Your answer/ });
    await area.fill("Too short");
    await t.getByText("9 / 80 characters").waitFor();
    await t.getByRole("button", { name: "Submit" }).click();
    await t.locator(".field-error").waitFor();
    await area.fill("The **cache** was cold");
    await t.locator(".preview strong", { hasText: "cache" }).waitFor(); // live markdown preview
    await area.press("Control+Enter");
    expect((await agent.wait(txt.id)).message!.review.response).toEqual({ text: "The **cache** was cold" });

    const j = page.locator(`[data-message-id="${json.id}"] [data-review-type="freeform"]`);
    const editor = j.getByRole("textbox", { name: "Answer as JSON" });
    await editor.fill('{"retries": 3,');
    await j.locator(".json-state.bad").waitFor();
    expect(await j.getByRole("button", { name: "Submit" }).isDisabled()).toBe(true);
    await editor.fill('{"retries": 3, "regions": ["eu"]}');
    await j.getByText("Valid JSON object").waitFor();
    await j.getByRole("button", { name: "Submit" }).click();
    expect((await agent.wait(json.id)).message!.review.response).toEqual({ retries: 3, regions: ["eu"] });
    await page.locator(`[data-message-id="${json.id}"] [data-review-state="completed"]`).waitFor();
  });

  it("agent text with <img onerror> and <script> is rendered inert", async () => {
    const agent = await createAgent(url(), cookie(), "Evil bot");
    const msg = await agent.post({
      text: 'Hello **friend** <img src=x onerror="window.__pwned=1"> <script>window.__pwned2=1</script> [click](javascript:window.__pwned3=1) <a href="#" onclick="window.__pwned4=1">x</a> <iframe src="javascript:parent.__pwned5=1"></iframe>',
    });
    const { page, problems } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    const body = page.locator(`[data-message-id="${msg.id}"] .msg-text`);
    await body.locator("strong", { hasText: "friend" }).waitFor();
    await sleep(500);
    const report = await page.evaluate((id) => {
      const el = document.querySelector(`[data-message-id="${id}"]`)!;
      const w = window as unknown as Record<string, unknown>;
      return {
        flags: [w.__pwned, w.__pwned2, w.__pwned3, w.__pwned4, w.__pwned5],
        handlers: el.querySelectorAll("[onerror], [onclick], [onload]").length,
        scripts: el.querySelectorAll("script, iframe").length,
        jsLinks: [...el.querySelectorAll("a")].filter((a) => a.getAttribute("href")?.toLowerCase().startsWith("javascript")).length,
        images: el.querySelectorAll("img").length,
      };
    }, msg.id);
    expect(report).toEqual({ flags: [undefined, undefined, undefined, undefined, undefined], handlers: 0, scripts: 0, jsLinks: 0, images: 1 });
    // Chrome reports the hostile handlers as blocked by the CSP when DOMPurify parses them in its
    // inert document: a report, not an execution (the flags above). Anything else would be a problem.
    expect(problems.every((p) => /inline event handler/.test(p))).toBe(true);
    problems.length = 0;
  });

  it("a single text/html attachment renders in an iframe sandboxed with allow-scripts only, behind the Inline HTML setting", async () => {
    await owner("PATCH", "/api/preferences", { inlineHtml: false });
    const agent = await createAgent(url(), cookie(), "HTML bot");
    const html = `<!doctype html><h1 id="t">static</h1><script>
      document.getElementById("t").textContent = "script ran";
      try { window.parent.document.title = "leaked"; window.parent.__leak = 1; } catch (e) { document.body.dataset.blocked = "parent"; }
      try { document.cookie; document.body.dataset.cookie = "readable"; } catch (e) { document.body.dataset.cookie = "blocked"; }
    </script>`;
    const msg = await agent.upload("panel.html", "text/html", html, "A status panel");
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    const item = page.locator(`[data-message-id="${msg.id}"]`);
    await item.getByText("turn on Inline HTML").waitFor();
    expect(await item.locator("iframe").count()).toBe(0);

    // The person turns the setting on.
    await page.goto("/settings/appearance");
    await page.getByRole("switch", { name: /single HTML attachment/ }).check();
    await expect.poll(async () => (await owner("GET", "/api/preferences")).json.inlineHtml).toBe(true);
    await page.goto(`/chat/${agent.id}`);
    const frame = item.locator("iframe.html-frame");
    await frame.waitFor();
    expect(await frame.getAttribute("sandbox")).toBe("allow-scripts");
    const inner = page.frameLocator(`[data-message-id="${msg.id}"] iframe.html-frame`);
    await inner.getByText("script ran").waitFor();
    expect(await inner.locator("body").getAttribute("data-blocked")).toBe("parent");
    expect(await inner.locator("body").getAttribute("data-cookie")).toBe("blocked");
    expect(await page.evaluate(() => [typeof (window as unknown as { __leak?: number }).__leak, document.title])).toEqual([
      "undefined",
      expect.not.stringContaining("leaked"),
    ]);
    await owner("PATCH", "/api/preferences", { inlineHtml: false });
  });

  it("live: new messages, an answer given elsewhere, delivery and agent status arrive without a reload", async () => {
    const agent = await createAgent(url(), cookie(), "Live bot");
    const other = await createAgent(url(), cookie(), "Other live bot");
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    await live(page);
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    await agent.post({ text: "Live **hello** from the agent" });
    await page.locator(".msg-text strong", { hasText: "hello" }).waitFor();

    const review = await agent.post({ text: "Approve from your phone?", review: approval() });
    const card = page.locator(`[data-message-id="${review.id}"] [data-review-type="approval"]`);
    await card.waitFor();
    expect(await card.getAttribute("data-review-state")).toBe("pending");
    await owner("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "reject" } });
    await page.locator(`[data-message-id="${review.id}"] [data-review-state="completed"]`).getByText("Reject").waitFor();

    await agent.ping("busy", "Crunching numbers");
    await page.locator(".chat-sub").getByText("Crunching numbers").waitFor();

    // Another agent's message counts as unread in the sidebar.
    await other.post({ text: "Psst" });
    await page.locator(`.agent-link[data-agent="${other.id}"] .badge`).getByText("1").waitFor();
    // Opening that conversation marks it read.
    await page.locator(`.agent-link[data-agent="${other.id}"]`).click();
    await page.getByRole("heading", { name: "Other live bot" }).waitFor();
    await page.locator(`.agent-link[data-agent="${other.id}"] .badge`).waitFor({ state: "detached" });
    await expect.poll(async () => (await owner("GET", "/api/agents")).json.data.find((a: { id: string }) => a.id === other.id).unreadCount).toBe(0);

    // A review that expires while on screen: the room's alarm expires it, the event updates the card.
    await page.locator(`.agent-link[data-agent="${agent.id}"]`).click();
    const short = await agent.post({ text: "Quick: yes or no?", review: { ...approval(), expiresInSeconds: 2 } });
    const shortCard = page.locator(`[data-message-id="${short.id}"] [data-review-type="approval"]`);
    await shortCard.getByText(/left/).waitFor();
    await page.locator(`[data-message-id="${short.id}"] [data-review-state="expired"]`).getByText("expired without an answer").waitFor({ timeout: 15_000 });

    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  it("older messages load as you scroll up", async () => {
    const agent = await createAgent(url(), cookie(), "Chatty bot");
    for (let i = 1; i <= 45; i++) await agent.post({ text: `Line number ${i}` });
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    await page.getByText("Line number 45").waitFor();
    expect(await page.getByText("Line number 1", { exact: true }).count()).toBe(0); // not on the first page
    for (let i = 0; i < 10 && (await page.getByText("Line number 1", { exact: true }).count()) === 0; i++) {
      await page.locator(".chat-scroll").evaluate((el) => (el.scrollTop = 0));
      await sleep(400);
    }
    await page.getByText("Line number 1", { exact: true }).waitFor();
    await page.getByText("The beginning of the conversation").waitFor();
    expect(await page.locator(".msg").count()).toBe(45);
  });

  it("live: after the connection drops, it reconnects, re-subscribes and shows what it missed", async () => {
    const agent = await createAgent(url(), cookie(), "Reconnect bot");
    const { page, context } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    await live(page);
    await agent.post({ text: "before the drop" });
    await page.getByText("before the drop").waitFor();
    await context.setOffline(true);
    await page.locator(".live-dot:not(.live-live)").waitFor({ timeout: 15_000 });
    await agent.post({ text: "while you were away" });
    await sleep(300);
    await context.setOffline(false);
    await live(page);
    await page.getByText("while you were away").waitFor({ timeout: 15_000 });
    await agent.post({ text: "after the reconnect" });
    await page.getByText("after the reconnect").waitFor();
    expect(await page.getByText("while you were away").count()).toBe(1);
  });

  it("delivery ticks: a failed webhook shows Retry, and Retry delivers it", async () => {
    // A port with nobody listening yet.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const agent = await createAgent(url(), cookie(), "Webhook bot", { webhookUrl: `http://127.0.0.1:${port}/hook` });
    const msg = await agent.post({ text: "Merge the release branch?", review: approval() });
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    await live(page);
    await page.locator(`[data-message-id="${msg.id}"]`).getByRole("button", { name: "Approve" }).click();
    const ticks = page.locator(`[data-message-id="${msg.id}"] .ticks`);
    await ticks.getByText("Answer webhook failed").waitFor({ timeout: 20_000 });
    // The Retry button comes with the failure; the next automatic attempt is 10 s away, so click it now.
    const retry = ticks.getByRole("button", { name: "Retry" });
    await retry.waitFor({ timeout: 5_000 });

    const hits: string[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        hits.push(body);
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(port, "127.0.0.1", r));
    try {
      await retry.click({ timeout: 5_000 });
      await ticks.getByText("Answer delivered by webhook").waitFor({ timeout: 20_000 });
      expect(hits.some((h) => JSON.parse(h).event === "review:responded")).toBe(true);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  it("the status page shows an agent's heartbeat, its counts and a timeline, and follows status changes live", async () => {
    const agent = await createAgent(url(), cookie(), "Heartbeat bot");
    await agent.ping("active", "Indexing 10 documents");
    await agent.post({ text: "One", review: approval() });
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto("/status");
    await live(page);
    const card = page.locator(`.status-card[data-agent="${agent.id}"]`);
    await card.locator(".status-message", { hasText: "Indexing 10 documents" }).waitFor();
    expect(await card.locator("[data-status]").first().getAttribute("data-status")).toBe("active");
    await card.locator('rect[data-status="active"]').waitFor();
    expect(await card.locator('[data-stat="sent"]').textContent()).toBe("1");
    expect(await card.locator('[data-stat="pending"]').textContent()).toBe("1");
    expect(await card.getByText(/Active for/).count()).toBe(1);

    await agent.ping("error", "Disk full");
    await card.locator(".status-message", { hasText: "Disk full" }).waitFor();
    await card.locator('rect[data-status="error"]').waitFor();
    expect(await card.locator(".status-chip").textContent()).toBe("Error");
    expect(await card.locator("svg").getAttribute("aria-label")).toMatch(/active.*error/);
  });

  it("the inbox filters by state, agent and text", async () => {
    const agent = await createAgent(url(), cookie(), "Filter bot");
    await agent.post({ text: "alpha: approve the plan?", review: approval() });
    const beta = await agent.post({ text: "beta: approve the budget?", review: approval() });
    await agent.post({ text: "gamma: too late now", review: { ...approval(), expiresInSeconds: 1 } });
    await owner("POST", `/api/messages/${beta.id}/respond`, { response: { selectedOption: "approve" } });
    await sleep(2500); // gamma expires through the room's alarm
    const { page } = await open(url(), { cookie: cookie() });
    const list = page.locator(".inbox-list");
    await page.goto(`/?agent=${agent.id}`);
    await list.getByText("alpha").waitFor();
    expect(await list.locator(".inbox-item").count()).toBe(1);

    await page.getByRole("button", { name: "Answered" }).click();
    await list.getByText("beta").waitFor();
    expect(await list.locator(".inbox-item").count()).toBe(1);
    await page.getByRole("button", { name: "Expired" }).click();
    await list.getByText("gamma").waitFor();
    expect(await list.locator(".inbox-item").count()).toBe(1);
    await list.getByText("gamma").click();
    await page.locator('.inbox-detail-pane [data-review-state="expired"]').waitFor();
    await page.getByRole("button", { name: "All" }).click();
    await expect.poll(() => list.locator(".inbox-item").count()).toBe(3);
    await page.getByRole("searchbox", { name: "Search reviews" }).fill("budget");
    await expect.poll(() => list.locator(".inbox-item").count()).toBe(1);
    expect(await list.textContent()).toContain("beta");
    // j / k move between reviews.
    await page.getByRole("searchbox", { name: "Search reviews" }).fill("");
    await expect.poll(() => list.locator(".inbox-item").count()).toBe(3);
    await page.locator("body").click({ position: { x: 900, y: 700 } });
    const first = await list.locator('.inbox-item[aria-current="true"]').getAttribute("data-id");
    await page.keyboard.press("j");
    await expect.poll(() => list.locator('.inbox-item[aria-current="true"]').getAttribute("data-id")).not.toBe(first);
  });

  it("settings: agents (create, edit, webhook secret, delete) and API keys (scoped, shown once, rotate, revoke)", async () => {
    const { page } = await open(url(), { cookie: cookie() });
    const name = `Settings bot ${Date.now()}`;
    await page.goto("/settings/agents");
    const create = page.locator("form", { has: page.getByRole("button", { name: "Create agent" }) });
    await create.getByLabel(/^Name/).fill(name);
    await create.getByLabel(/^Webhook URL/).fill("not a url");
    await create.getByRole("button", { name: "Create agent" }).click();
    await create.getByText("Must be an http(s) URL").waitFor();
    await create.getByLabel(/^Webhook URL/).fill("https://hooks.example.com/nod");
    await create.getByRole("button", { name: "Create agent" }).click();
    const sidebarLink = page.locator(".agent-list").getByText(name);
    await sidebarLink.waitFor();
    const agentId = (await owner("GET", "/api/agents")).json.data.find((a: { name: string }) => a.name === name).id as string;

    const card = page.locator(`#agent-${agentId}`);
    await card.getByRole("button", { name: "Edit" }).click();
    await card.getByLabel(/^Name/).fill(`${name} renamed`);
    await card.getByRole("button", { name: "Show secret" }).click();
    const secretBox = card.getByRole("textbox", { name: "Webhook secret" });
    const before = await secretBox.inputValue();
    expect(before).toMatch(/^whsec_/);
    await card.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
    await expect.poll(() => secretBox.inputValue()).not.toBe(before);
    expect((await owner("GET", `/api/agents/${agentId}`)).json.webhookSecret).toBe(await secretBox.inputValue());
    await card.getByRole("button", { name: "Save" }).click();
    await page.locator(".agent-list").getByText(`${name} renamed`).waitFor();

    // API keys.
    await page.goto("/settings/api-keys");
    const form = page.locator("form", { has: page.getByRole("button", { name: "Create key" }) });
    const label = `ci ${Date.now()}`;
    await form.getByLabel(/^Name/).fill(label);
    await form.getByRole("radio", { name: "Only these agents" }).check();
    await form.getByRole("checkbox", { name: `${name} renamed` }).check();
    await form.getByRole("button", { name: "Create key" }).click();
    const dialog = page.getByRole("dialog");
    const key = await dialog.getByRole("textbox", { name: "API key" }).inputValue();
    expect(key).toMatch(/^hp_/);
    await dialog.getByRole("button", { name: "Done" }).click();
    expect(await page.getByText(key).count()).toBe(0); // shown once
    const agents = await http(url(), "GET", "/api/v1/agents", undefined, { "x-api-key": key });
    expect(agents.json.map((a: { id: string }) => a.id)).toEqual([agentId]);

    const row = page.locator("tr", { hasText: label });
    await row.getByRole("button", { name: `Rotate ${label}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate key" }).click();
    const rotated = await page.getByRole("dialog").getByRole("textbox", { name: "API key" }).inputValue();
    expect(rotated).not.toBe(key);
    await page.getByRole("dialog").getByRole("button", { name: "Done" }).click();
    expect((await http(url(), "GET", "/api/v1/agents", undefined, { "x-api-key": key })).status).toBe(401);
    expect((await http(url(), "GET", "/api/v1/agents", undefined, { "x-api-key": rotated })).status).toBe(200);
    await row.getByRole("button", { name: `Revoke ${label}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await row.waitFor({ state: "detached" });
    expect((await http(url(), "GET", "/api/v1/agents", undefined, { "x-api-key": rotated })).status).toBe(401);

    // Delete the agent.
    await page.goto("/settings/agents");
    await page.locator(`#agent-${agentId}`).getByRole("button", { name: "Edit" }).click();
    await page.locator(`#agent-${agentId}`).getByRole("button", { name: "Delete agent" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete agent" }).click();
    await page.locator(".agent-list").getByText(`${name} renamed`).waitFor({ state: "detached" });
    expect((await owner("GET", `/api/agents/${agentId}`)).status).toBe(404);

    // Appearance: the theme follows the choice and is stored.
    await page.goto("/settings/appearance");
    await page.getByRole("radio", { name: "Dark" }).check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await expect.poll(async () => (await owner("GET", "/api/preferences")).json.theme).toBe("dark");
    await page.getByRole("radio", { name: "System" }).check();
    await expect.poll(async () => (await owner("GET", "/api/preferences")).json.theme).toBe("system");
    // Owners manage users; notifications are turned on per browser.
    await page.goto("/settings/users");
    await page.getByRole("heading", { name: "Add a user" }).waitFor();
    await page.goto("/settings/notifications");
    await page.getByRole("switch", { name: "Push notifications in this browser" }).waitFor();
  });

  it("plugins: a diff renders in a sandboxed frame and answers its review once; form-submit renders natively", async () => {
    const agent = await createAgent(url(), cookie(), "Plugin bot");
    const diffMsg = await agent.post({
      text: "Merge this?",
      metadata: { plugin: "diff", diff: "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n hello\n-old line\n+new line\n" },
      review: { type: "freeform", payload: { plugin: "diff" } },
    });
    const formMsg = await agent.post({ text: "Signup", metadata: { plugin: "form-submit", name: "John Doe", email: "john@example.com" } });
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto(`/chat/${agent.id}`);
    const frameEl = page.locator(`[data-message-id="${diffMsg.id}"] iframe[data-plugin="diff"]`);
    await frameEl.waitFor();
    expect(await frameEl.getAttribute("sandbox")).toBe("allow-scripts");
    const frame = page.frameLocator(`[data-message-id="${diffMsg.id}"] iframe[data-plugin="diff"]`);
    await frame.locator("tr.add", { hasText: "new line" }).waitFor();
    await frame.locator("tr.del", { hasText: "old line" }).waitFor();
    await frame.getByRole("textbox", { name: /Comment/ }).fill("nice");
    await frame.getByRole("button", { name: "Approve" }).click();
    const result = await agent.wait(diffMsg.id);
    expect(result.message!.review.response).toEqual({ decision: "approve", comment: "nice" });
    await frame.getByText("Answer sent.").waitFor();
    await page.locator(`[data-message-id="${diffMsg.id}"] [data-review-state="completed"]`).waitFor();

    const card = page.locator(`[data-message-id="${formMsg.id}"] [data-plugin="form-submit"]`);
    await card.getByText("john@example.com").waitFor();
    expect(await card.textContent()).toContain("John Doe");
  });

  it("files: image, text and download previews; an image annotated on a canvas goes back to the agent", async () => {
    const agent = await createAgent(url(), cookie(), "Files bot");
    const { page } = await open(url(), { cookie: cookie() });
    await page.goto("/");
    const png = await page.evaluate(async () => {
      const c = document.createElement("canvas");
      c.width = 320;
      c.height = 200;
      const ctx = c.getContext("2d")!;
      ctx.fillStyle = "#dde6ff";
      ctx.fillRect(0, 0, 320, 200);
      ctx.fillStyle = "#3e63dd";
      ctx.fillRect(40, 40, 120, 80);
      const blob = await new Promise<Blob>((r) => c.toBlob((b) => r(b!), "image/png"));
      return [...new Uint8Array(await blob.arrayBuffer())];
    });
    await agent.upload("chart.png", "image/png", new Uint8Array(png), "The chart");
    await agent.upload("notes.md", "text/markdown", "# Notes\nline two\n", "Notes");
    await agent.upload("bundle.zip", "application/zip", new Uint8Array([80, 75, 3, 4, 0, 0]), "Archive");
    await page.goto(`/chat/${agent.id}`);
    const img = page.getByRole("img", { name: "chart.png" });
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(320);
    await page.locator("pre code", { hasText: "line two" }).waitFor();
    const zip = page.locator("a.file-card", { hasText: "bundle.zip" });
    expect(await zip.getAttribute("download")).toBe("bundle.zip");
    expect(await zip.locator(".file-icon").textContent()).toBe("ZIP");

    await page.getByRole("button", { name: "Annotate" }).first().click();
    const dialog = page.getByRole("dialog", { name: /Annotate chart.png/ });
    const canvas = dialog.locator("canvas");
    await canvas.waitFor();
    await sleep(300);
    const box = (await canvas.boundingBox())!;
    await dialog.getByRole("button", { name: "Rectangle" }).click();
    await page.mouse.move(box.x + 20, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await dialog.getByRole("button", { name: "Send to agent" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("img", { name: "chart-annotated.png" }).waitFor();
    const msgs = await http(url(), "GET", `/api/v1/messages?channel=${agent.id}&limit=1`, undefined, { "x-api-key": agent.key });
    const last = msgs.json.data[0];
    expect(last.senderType).toBe("user");
    expect(last.attachments[0]).toMatchObject({ filename: "chart-annotated.png", mimeType: "image/png" });
  });

  it("accessible markup: landmarks, a skip link, and a name for every control", async () => {
    const agent = await createAgent(url(), cookie(), "A11y bot");
    await agent.post({
      text: "Check every control",
      review: {
        type: "form",
        payload: {
          fields: [
            { name: "a", type: "text", label: "A" },
            { name: "b", type: "checkbox", label: "B" },
            { name: "c", type: "range", label: "C" },
          ],
        },
      },
    });
    const { page } = await open(url(), { cookie: cookie() });
    for (const path of [`/?agent=${agent.id}`, `/chat/${agent.id}`, "/status", "/settings/api-keys", "/settings/agents"]) {
      await page.goto(path);
      await page.locator("main h1, main h2").first().waitFor();
      await sleep(400);
      const unnamed = await page.evaluate(() => {
        const named = (el: Element) => {
          const e = el as HTMLInputElement;
          if (e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") || e.title) return true;
          if ("labels" in e && e.labels && e.labels.length) return true;
          return (el.textContent ?? "").trim().length > 0;
        };
        return [...document.querySelectorAll("button, input:not([type=hidden]):not([hidden]), select, textarea, a[href]")]
          .filter((el) => !el.closest("[aria-hidden=true]") && !named(el))
          .map((el) => el.outerHTML.slice(0, 120));
      });
      expect(unnamed, path).toEqual([]);
      expect(await page.getByRole("main").count()).toBe(1);
      expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(1);
    }
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
  });
});
