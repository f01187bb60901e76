// Agent tags in the web app, in Debian's Chromium against the real `wrangler dev` server: the sidebar
// groups agents by tag (alphabetically, the untagged last) in groups that collapse, a toggle lists them
// flat, and both choices survive a reload. The agent settings edit the tag and the webhook's headers
// and basic auth, whose password the page never shows.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAgent, http, launchBrowser, openApp, type Opened } from "./web-helpers";

const url = () => inject("nodUrl");
const cookie = () => inject("ownerCookie");
const owner = (method: string, path: string, body?: unknown) => http(url(), method, path, body, { cookie: cookie(), origin: url() });

let browser: Browser;
const opened: Opened[] = [];
const created: string[] = [];
const run = Date.now().toString(36);
const ALPHA = `Alpha ${run}`;
const BETA = `Beta ${run}`;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const o of opened.splice(0)) await o.context.close();
  await browser?.close();
  // The shared server's other browser tests expect no groups of these tests.
  for (const id of created) await owner("DELETE", `/api/agents/${id}`);
});

async function open(path: string) {
  const o = await openApp(browser, url(), { cookie: cookie() });
  opened.push(o);
  await o.page.goto(path);
  return o;
}

async function agent(name: string, tag?: string) {
  const a = await createAgent(url(), cookie(), name, tag ? { tag } : {});
  created.push(a.id);
  return a;
}

const groupHead = (page: Page, label: string) => page.locator(".agent-group-head", { hasText: label });
const groupList = (page: Page, label: string) => page.getByRole("list", { name: label, exact: true });
const sidebarAgent = (page: Page, name: string) => page.locator(".agent-list .agent-link", { hasText: name });

describe("agent tags in the sidebar", () => {
  it("groups agents by tag, a group collapses, the toggle lists them flat, and both are remembered", async () => {
    await agent(`A1 ${run}`, ALPHA);
    await agent(`A2 ${run}`, ALPHA);
    await agent(`B1 ${run}`, BETA);
    await agent(`Loose ${run}`);
    const { page, problems } = await open("/");

    const toggle = page.getByRole("button", { name: "Group by tag" });
    await toggle.waitFor();
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    await groupList(page, ALPHA).getByText(`A1 ${run}`).waitFor();
    expect(await groupList(page, ALPHA).locator(".agent-name").allTextContents()).toEqual(expect.arrayContaining([`A1 ${run}`, `A2 ${run}`]));
    expect(await groupList(page, ALPHA).textContent()).not.toContain(`B1 ${run}`);
    expect(await groupList(page, BETA).locator(".agent-name").allTextContents()).toEqual([`B1 ${run}`]);
    expect(await groupList(page, "Untagged").textContent()).toContain(`Loose ${run}`);
    // Alphabetical, the untagged last; each head counts its agents.
    const heads = await page.locator(".agent-group-name").allTextContents();
    expect(heads.indexOf(ALPHA)).toBeLessThan(heads.indexOf(BETA));
    expect(heads.at(-1)).toBe("Untagged");
    expect(await groupHead(page, ALPHA).locator(".agent-group-count").textContent()).toMatch(/^2/);

    // Collapse Alpha: its agents go, the others stay.
    await groupHead(page, ALPHA).click();
    expect(await groupHead(page, ALPHA).getAttribute("aria-expanded")).toBe("false");
    await sidebarAgent(page, `A1 ${run}`).waitFor({ state: "detached" });
    expect(await sidebarAgent(page, `A2 ${run}`).count()).toBe(0);
    expect(await sidebarAgent(page, `B1 ${run}`).isVisible()).toBe(true);
    await page.reload();
    await groupHead(page, BETA).waitFor();
    expect(await groupHead(page, ALPHA).getAttribute("aria-expanded")).toBe("false");
    expect(await sidebarAgent(page, `A1 ${run}`).count()).toBe(0);

    // Flat: one list, every agent, no group heads.
    await page.getByRole("button", { name: "Group by tag" }).click();
    expect(await page.getByRole("button", { name: "Group by tag" }).getAttribute("aria-pressed")).toBe("false");
    await sidebarAgent(page, `A1 ${run}`).waitFor();
    expect(await page.locator(".agent-group-head").count()).toBe(0);
    const flat = page.getByRole("list", { name: "Agents" });
    for (const name of [`A1 ${run}`, `A2 ${run}`, `B1 ${run}`, `Loose ${run}`]) expect(await flat.getByText(name).count()).toBe(1);
    await page.reload();
    await sidebarAgent(page, `A2 ${run}`).waitFor();
    expect(await page.getByRole("button", { name: "Group by tag" }).getAttribute("aria-pressed")).toBe("false");
    expect(await page.locator(".agent-group-head").count()).toBe(0);

    // Back to groups; Alpha is still collapsed, and opens again.
    await page.getByRole("button", { name: "Group by tag" }).click();
    await groupHead(page, ALPHA).click();
    await groupList(page, ALPHA).getByText(`A2 ${run}`).waitFor();
    expect(problems).toEqual([]);
  });

  it("the agent settings edit the tag and the webhook's headers and basic auth; the password is never shown", async () => {
    const bot = await agent(`Settings tag ${run}`);
    await agent(`Anchor ${run}`, BETA);
    const { page, problems } = await open("/settings/agents");
    const card = page.locator(`#agent-${bot.id}`);
    await card.getByRole("button", { name: "Edit" }).click();
    await card.getByLabel(/^Tag/).fill(BETA);
    await card.getByLabel(/^Webhook URL/).fill("https://hooks.example.com/tagged");
    await card.getByLabel(/^Webhook headers/).fill("X-Api-Token: tok-ui\nHost: evil.example");
    await card.getByLabel(/^Username/).fill("ui-user");
    await card.getByLabel(/^Password/).fill("ui-pass-Never-Shown");
    await card.getByRole("button", { name: "Save" }).click();
    // Host is refused by the server, and the error shows at the headers field; nothing is saved.
    await card.getByText(/Host.*set by the delivery itself/).waitFor();
    expect((await owner("GET", `/api/agents/${bot.id}`)).json).toMatchObject({ tag: null, webhookAuth: null });

    await card.getByLabel(/^Webhook headers/).fill("X-Api-Token: tok-ui");
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByRole("button", { name: "Edit" }).waitFor();
    const saved = (await owner("GET", `/api/agents/${bot.id}`)).json;
    expect(saved).toMatchObject({ tag: BETA, webhookHeaders: { "X-Api-Token": "tok-ui" }, webhookAuth: { username: "ui-user" } });
    // The sidebar moved it to its group at once.
    await groupList(page, BETA).getByText(`Settings tag ${run}`).waitFor();
    expect(await card.textContent()).toContain("basic, as ui-user");

    // Editing again: the password field is empty (placeholder "unchanged"); saving keeps the password.
    await card.getByRole("button", { name: "Edit" }).click();
    expect(await card.getByLabel(/^Password/).inputValue()).toBe("");
    expect(await card.getByLabel(/^Password/).getAttribute("placeholder")).toBe("unchanged");
    expect(await card.getByLabel(/^Webhook headers/).inputValue()).toBe("X-Api-Token: tok-ui");
    expect(await page.content()).not.toContain("ui-pass-Never-Shown");
    await card.getByLabel(/^Username/).fill("ui-user-2");
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByRole("button", { name: "Edit" }).waitFor();
    expect((await owner("GET", `/api/agents/${bot.id}`)).json.webhookAuth).toEqual({ username: "ui-user-2" });

    // Remove basic auth, clear the headers and the tag.
    await card.getByRole("button", { name: "Edit" }).click();
    await card.getByRole("button", { name: "Remove basic auth" }).click();
    await card.getByLabel(/^Webhook headers/).fill("");
    await card.getByLabel(/^Tag/).fill("");
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByRole("button", { name: "Edit" }).waitFor();
    expect((await owner("GET", `/api/agents/${bot.id}`)).json).toMatchObject({ tag: null, webhookHeaders: null, webhookAuth: null });
    await groupList(page, "Untagged").getByText(`Settings tag ${run}`).waitFor();
    expect(problems).toEqual([]);
  });
});
