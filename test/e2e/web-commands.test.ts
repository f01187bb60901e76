// Slash commands in the web app, in Debian's Chromium against the real `wrangler dev` server: the agent
// publishes its commands, the person types "/" in the composer and picks one from the palette with the
// keyboard, and the agent gets the person's message with metadata {command, args} over its socket and at
// its webhook (a node:http receiver on 127.0.0.1: the e2e server allows loopback webhooks).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sleep } from "../common";
import { createAgent, http, launchBrowser, openApp, type Opened, type TestAgent } from "./web-helpers";

const url = () => inject("nodUrl");
const cookie = () => inject("ownerCookie");
const owner = (method: string, path: string, body?: unknown) => http(url(), method, path, body, { cookie: cookie(), origin: url() });

const DEPLOY = { command: "deploy", description: "Deploy to an environment", acceptsArgs: true, argHint: "<env>" };
const STATUS = { command: "status", description: "Show the current status" };

let browser: Browser;
const opened: Opened[] = [];
const created: string[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];
const run = Date.now().toString(36);

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const o of opened.splice(0)) await o.context.close();
  await browser?.close();
  for (const s of sockets) s.disconnect();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  for (const id of created) await owner("DELETE", `/api/agents/${id}`);
});

interface Hook {
  event: string;
  message: { id: string; text: string; senderType: string; metadata: Record<string, unknown> | null };
}

/** A webhook receiver recording each delivery's JSON body. */
async function receiver() {
  const bodies: Hook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

/** The agent's live socket, subscribed to its channel; `created` collects every message:created. */
async function agentSocket(agent: TestAgent) {
  const socket = io(`${url()}/ws`, { auth: { apiKey: agent.key }, forceNew: true, transports: ["websocket"], reconnection: false });
  sockets.push(socket);
  const created: Hook["message"][] = [];
  socket.on("message:created", (m: Hook["message"]) => created.push(m));
  expect(await socket.timeout(10_000).emitWithAck("subscribe:channel", agent.id)).toMatchObject({ ok: true });
  return { socket, created };
}

async function until<T>(what: string, find: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function putCommands(agent: TestAgent, commands: unknown[]) {
  const res = await http(url(), "PUT", `/api/v1/agents/${agent.id}/commands`, commands, { "x-api-key": agent.key });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
}

async function openChat(agentId: string) {
  const o = await openApp(browser, url(), { cookie: cookie() });
  opened.push(o);
  await o.page.goto(`/chat/${agentId}`);
  await o.page.locator(".composer-input").waitFor();
  return o;
}

const input = (page: Page) => page.getByRole("combobox", { name: /^Message to / });
const palette = (page: Page) => page.getByRole("listbox", { name: "Commands" });
const optionNames = (page: Page) => palette(page).getByRole("option").locator(".command-name").allTextContents();

describe("slash commands in the composer", () => {
  it("filters as typed, picks with the keyboard, waits for the argument, and the agent gets the command on its socket and webhook", async () => {
    const hook = await receiver();
    const agent = await createAgent(url(), cookie(), `Commands ${run}`, { webhookUrl: hook.url });
    created.push(agent.id);
    await putCommands(agent, [DEPLOY, STATUS]);
    const live = await agentSocket(agent);
    const { page, problems } = await openChat(agent.id);
    const box = input(page);

    expect(await box.getAttribute("aria-expanded")).toBe("false");
    await box.click();
    await page.keyboard.type("/");
    await palette(page).waitFor();
    expect(await optionNames(page)).toEqual(["/deploy", "/status"]);
    expect(await box.getAttribute("aria-expanded")).toBe("true");
    expect(await box.getAttribute("aria-controls")).toBe(await palette(page).getAttribute("id"));

    await page.keyboard.type("de");
    await expect.poll(() => optionNames(page)).toEqual(["/deploy"]);
    const row = palette(page).getByRole("option");
    expect(await row.locator(".command-hint").textContent()).toBe("<env>");
    expect(await row.locator(".command-desc").textContent()).toBe(DEPLOY.description);
    expect(await row.getAttribute("aria-selected")).toBe("true");
    expect(await box.getAttribute("aria-activedescendant")).toBe(await row.getAttribute("id"));

    // Enter picks deploy: it takes an argument, so the line becomes "/deploy " and waits for it.
    await page.keyboard.press("Enter");
    await palette(page).waitFor({ state: "detached" });
    expect(await box.inputValue()).toBe("/deploy ");
    await page.keyboard.type("prod");
    await page.keyboard.press("Enter");
    await expect.poll(() => box.inputValue()).toBe("");
    await page.locator(".msg", { hasText: "/deploy prod" }).first().waitFor();

    const onSocket = await until("message:created on the agent's socket", () => live.created.find((m) => m.text === "/deploy prod"));
    expect(onSocket).toMatchObject({ senderType: "user", metadata: { command: "deploy", args: "prod" } });
    const onHook = await until("the webhook delivery", () => hook.bodies.find((b) => b.message.id === (onSocket as { id: string }).id));
    expect(onHook).toMatchObject({ event: "message:created", message: { text: "/deploy prod", metadata: { command: "deploy", args: "prod" } } });
    expect(problems).toEqual([]);
  });

  it("sends a command without arguments on selection, closes on Esc, and follows a live agent:commands update", async () => {
    const agent = await createAgent(url(), cookie(), `Commands live ${run}`);
    created.push(agent.id);
    await putCommands(agent, [DEPLOY, STATUS]);
    const live = await agentSocket(agent);
    const { page, problems } = await openChat(agent.id);
    const box = input(page);

    // ↓ moves to status, Enter sends it at once (no argument to wait for).
    await box.click();
    await page.keyboard.type("/");
    await palette(page).waitFor();
    await page.keyboard.press("ArrowDown");
    const status = palette(page).getByRole("option", { name: /status/ });
    expect(await status.getAttribute("aria-selected")).toBe("true");
    expect(await box.getAttribute("aria-activedescendant")).toBe(await status.getAttribute("id"));
    await page.keyboard.press("Enter");
    const sent = await until("/status on the agent's socket", () => live.created.find((m) => m.text === "/status"));
    expect(sent.metadata).toEqual({ command: "status", args: "" });
    await expect.poll(() => box.inputValue()).toBe("");

    // Tab completes; Esc closes the palette and leaves the text.
    await page.keyboard.type("/st");
    await palette(page).waitFor();
    await page.keyboard.press("Tab");
    expect(await box.inputValue()).toBe("/status");
    await page.keyboard.press("Escape");
    await palette(page).waitFor({ state: "detached" });
    expect(await box.getAttribute("aria-expanded")).toBe("false");
    expect(await box.inputValue()).toBe("/status");
    await box.fill("");

    // The agent changes its commands: the open page's palette follows without a reload; the mouse picks too.
    await page.keyboard.type("/");
    await palette(page).waitFor();
    await putCommands(agent, [{ command: "rollback", description: "Roll back the last deploy" }, STATUS]);
    await expect.poll(() => optionNames(page)).toEqual(["/rollback", "/status"]);
    await palette(page)
      .getByRole("option", { name: /rollback/ })
      .click();
    const rolled = await until("/rollback on the agent's socket", () => live.created.find((m) => m.text === "/rollback"));
    expect(rolled.metadata).toEqual({ command: "rollback", args: "" });
    await expect.poll(() => box.inputValue()).toBe(""); // the pick's send is over: the composer takes a new line

    // A plain message that only looks like a command carries no metadata.
    await page.keyboard.type("/deploy now");
    await page.keyboard.press("Enter");
    const plain = await until("the plain message", () => live.created.find((m) => m.text === "/deploy now"));
    expect(plain.metadata).toBeNull();
    expect(problems).toEqual([]);
  });
});
