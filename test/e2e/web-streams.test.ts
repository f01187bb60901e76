// Streamed replies and the progress line in Debian's Chromium against the real `wrangler dev` server.
// With the chat open, an agent posts a draft (streamId, streamState "streaming") and streams tokens
// over its own socket: the bubble grows token by token, in order; PATCHes replace its text and the
// last one completes it, in the same bubble (the same DOM node). A reload mid-stream shows the draft
// as stored. Two streams at once are two bubbles (one of them streamed before its draft was posted).
// A progress event shows "what I'm doing" with the tool as a chip, until the agent's next message.
import type { Page } from "playwright-core";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAgent, http, launchBrowser, openApp, type Opened, type TestAgent } from "./web-helpers";

const url = () => inject("nodUrl");
const cookie = () => inject("ownerCookie");

let browser: Awaited<ReturnType<typeof launchBrowser>>;
const opened: Opened[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  for (const o of opened.splice(0)) {
    expect(o.problems, `page errors or CSP violations: ${o.problems.join(" | ")}`).toEqual([]);
    await o.context.close();
  }
  await browser?.close();
});

async function open() {
  const o = await openApp(browser, url(), { cookie: cookie() });
  opened.push(o);
  return o.page;
}

/** Waits until the live connection is up (the dot in the sidebar says so). */
async function live(page: Page) {
  await page.getByRole("img", { name: "Live updates: live" }).waitFor({ timeout: 15_000 });
}

/** The agent's own socket on /ws (its API key), subscribed to its channel. */
async function agentSocket(agent: TestAgent): Promise<Socket> {
  const socket = io(`${url()}/ws`, { auth: { apiKey: agent.key }, transports: ["websocket"], forceNew: true });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (err) => reject(new Error(`agent socket: ${err.message}`)));
  });
  const ack = (await socket.timeout(10_000).emitWithAck("subscribe:channel", agent.id)) as { ok: boolean };
  expect(ack.ok).toBe(true);
  return socket;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An agent's live event (message:delta, message:progress), relayed to the channel's subscribers; the gateway acks it. */
async function send(socket: Socket, name: "message:delta" | "message:progress", data: Record<string, unknown>) {
  const ack = (await socket.timeout(10_000).emitWithAck(name, data)) as { ok: boolean };
  expect(ack.ok, `${name} refused`).toBe(true);
}

/** PATCH /api/v1/messages/streams/:streamId as the agent: the whole text so far, `complete` to finish. */
async function patchStream(agent: TestAgent, streamId: string, text: string, complete?: boolean) {
  const res = await http(
    url(),
    "PATCH",
    `/api/v1/messages/streams/${streamId}`,
    { channelId: agent.id, text, ...(complete ? { complete } : {}) },
    { "x-api-key": agent.key },
  );
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json;
}

/** The bubbles of a stream in the chat (a stored draft, or tokens waiting for it). */
const bubbles = (page: Page, streamId: string) => page.locator(`.messages [data-stream-id="${streamId}"]`);
/** The text a bubble shows (rendered markdown, as a person reads it). */
const shown = (page: Page, streamId: string) =>
  bubbles(page, streamId)
    .locator(".msg-text")
    .textContent()
    .then((t) => (t ?? "").trim());

describe("streamed replies in the chat", () => {
  it("a draft grows with 50 tokens in order, PATCHes replace its text, and completing it leaves one bubble with the final text", async () => {
    const agent = await createAgent(url(), cookie(), "Streaming bot");
    await agent.post({ text: "Hello, I am here." });
    const socket = await agentSocket(agent);
    const chat = await open();
    await chat.goto(`/chat/${agent.id}`);
    await chat.getByText("Hello, I am here.").waitFor();
    await live(chat);

    const draft = await agent.post({ text: "Answer:", streamId: "reply-1", streamState: "streaming" });
    const bubble = bubbles(chat, "reply-1");
    await bubble.waitFor();
    expect(await bubble.getAttribute("data-message-id")).toBe(draft.id);
    // The caret shows while the reply is written; the bubble's node is marked to prove it is kept.
    expect(await bubble.getAttribute("aria-busy")).toBe("true");
    await bubble.evaluate((el) => el.setAttribute("data-test-node", "first"));

    const tokens = Array.from({ length: 50 }, (_, i) => ` t${String(i).padStart(2, "0")}`);
    const lengths: number[] = [];
    let streaming = true;
    const sampling = (async () => {
      while (streaming) {
        lengths.push((await shown(chat, "reply-1")).length);
        await sleep(50);
      }
    })();
    for (const delta of tokens) {
      await send(socket, "message:delta", { channelId: agent.id, streamId: "reply-1", delta });
      await sleep(30);
    }
    const streamed = `Answer:${tokens.join("")}`;
    await expect.poll(() => shown(chat, "reply-1"), { timeout: 10_000 }).toBe(streamed);
    streaming = false;
    await sampling;
    // It grew over time: never shrank, and was seen at several lengths on the way.
    expect(lengths.every((n, i) => i === 0 || n >= lengths[i - 1]!)).toBe(true);
    expect(new Set(lengths).size).toBeGreaterThanOrEqual(5);

    // Three PATCHes, each the whole text so far, then the last one completes the reply.
    await patchStream(agent, "reply-1", `${streamed}, and the first part.`);
    await expect.poll(() => shown(chat, "reply-1")).toBe(`${streamed}, and the first part.`);
    await patchStream(agent, "reply-1", "Rewritten: **first** part.");
    await expect.poll(() => shown(chat, "reply-1")).toBe("Rewritten: first part.");
    await patchStream(agent, "reply-1", "Rewritten: **first** part, and a second.");
    await expect.poll(() => shown(chat, "reply-1")).toBe("Rewritten: first part, and a second.");
    const done = await patchStream(agent, "reply-1", "The final answer: **42**.", true);
    expect(done).toMatchObject({ id: draft.id, streamState: "complete" });

    await expect.poll(() => shown(chat, "reply-1")).toBe("The final answer: 42.");
    expect(await bubble.locator(".msg-text strong").textContent()).toBe("42");
    await expect.poll(() => bubble.getAttribute("aria-busy")).toBeNull();
    expect(await bubbles(chat, "reply-1").count()).toBe(1);
    expect(await chat.locator(`[data-message-id="${draft.id}"]`).count()).toBe(1);
    expect(await chat.getByText("The final answer:").count()).toBe(1);
    // The same element all along: no re-mount between the first token and the final text.
    expect(await bubble.getAttribute("data-test-node")).toBe("first");
    expect(await chat.locator(".msg-writing").count()).toBe(0);
  });

  it("a reload mid-stream shows the draft as stored, still being written", async () => {
    const agent = await createAgent(url(), cookie(), "Reload bot");
    const socket = await agentSocket(agent);
    const chat = await open();
    await chat.goto(`/chat/${agent.id}`);
    await live(chat);

    await agent.post({ text: "Drafting the summary", streamId: "summary", streamState: "streaming" });
    await patchStream(agent, "summary", "Drafting the summary: halfway there");
    await expect.poll(() => shown(chat, "summary")).toBe("Drafting the summary: halfway there");

    await chat.reload();
    await expect.poll(() => shown(chat, "summary")).toBe("Drafting the summary: halfway there");
    expect(await bubbles(chat, "summary").getAttribute("aria-busy")).toBe("true");
    await live(chat);

    // Tokens after the reload continue the stored text, and completing it ends the caret.
    await send(socket, "message:delta", { channelId: agent.id, streamId: "summary", delta: " and more" });
    await expect.poll(() => shown(chat, "summary")).toBe("Drafting the summary: halfway there and more");
    await patchStream(agent, "summary", "The summary is done.", true);
    await expect.poll(() => shown(chat, "summary")).toBe("The summary is done.");
    expect(await bubbles(chat, "summary").getAttribute("aria-busy")).toBeNull();
    expect(await bubbles(chat, "summary").count()).toBe(1);
  });

  it("two streams at once are two bubbles, one of them streamed before its draft was posted", async () => {
    const agent = await createAgent(url(), cookie(), "Parallel bot");
    const socket = await agentSocket(agent);
    const chat = await open();
    await chat.goto(`/chat/${agent.id}`);
    await live(chat);

    await agent.post({ text: "Left:", streamId: "left", streamState: "streaming" });
    // "right" has no draft yet: its tokens show in a bubble of their own.
    await send(socket, "message:delta", { channelId: agent.id, streamId: "right", delta: "Right" });
    await expect.poll(() => shown(chat, "right")).toBe("Right");
    for (let i = 0; i < 5; i++) {
      await send(socket, "message:delta", { channelId: agent.id, streamId: "left", delta: ` L${i}` });
      await send(socket, "message:delta", { channelId: agent.id, streamId: "right", delta: ` R${i}` });
      await sleep(20);
    }
    await expect.poll(() => shown(chat, "left")).toBe("Left: L0 L1 L2 L3 L4");
    await expect.poll(() => shown(chat, "right")).toBe("Right R0 R1 R2 R3 R4");

    // The draft of "right" arrives with what was streamed: it takes over the provisional bubble.
    const right = await agent.post({ text: "Right R0 R1 R2 R3 R4", streamId: "right", streamState: "streaming" });
    await expect.poll(() => bubbles(chat, "right").getAttribute("data-message-id")).toBe(right.id);
    await send(socket, "message:delta", { channelId: agent.id, streamId: "right", delta: " R5" });
    await expect.poll(() => shown(chat, "right")).toBe("Right R0 R1 R2 R3 R4 R5");
    expect(await bubbles(chat, "right").count()).toBe(1);
    expect(await bubbles(chat, "left").count()).toBe(1);
    expect(await chat.locator(".messages .msg-writing").count()).toBe(2);

    await patchStream(agent, "left", "Left done.", true);
    await patchStream(agent, "right", "Right done.", true);
    await expect.poll(() => shown(chat, "left")).toBe("Left done.");
    await expect.poll(() => shown(chat, "right")).toBe("Right done.");
    expect(await chat.locator(".messages .msg-writing").count()).toBe(0);
    expect(await chat.locator(".messages .msg").count()).toBe(2);
  });

  it("tokens streamed without a draft give way to the agent's whole reply, posted at the end: one bubble", async () => {
    const agent = await createAgent(url(), cookie(), "Plain bot");
    const socket = await agentSocket(agent);
    const chat = await open();
    await chat.goto(`/chat/${agent.id}`);
    await live(chat);

    for (const delta of ["The ", "answer ", "is ", "yes."]) await send(socket, "message:delta", { channelId: agent.id, streamId: "plain", delta });
    await send(socket, "message:delta", { channelId: agent.id, streamId: "plain", delta: "", streamEnd: true });
    await expect.poll(() => shown(chat, "plain")).toBe("The answer is yes.");
    await expect.poll(() => bubbles(chat, "plain").getAttribute("aria-busy")).toBeNull();

    const reply = await agent.post({ text: "The answer is yes." });
    await chat.locator(`[data-message-id="${reply.id}"]`).waitFor();
    await expect.poll(() => bubbles(chat, "plain").count()).toBe(0);
    expect(await chat.getByText("The answer is yes.").count()).toBe(1);
  });

  it("a progress event shows what the agent is doing with its tool as a chip, until its next message", async () => {
    const agent = await createAgent(url(), cookie(), "Busy bot");
    const socket = await agentSocket(agent);
    const chat = await open();
    await chat.goto(`/chat/${agent.id}`);
    await live(chat);

    const line = chat.locator(".progress-line");
    expect(await line.getAttribute("aria-live")).toBe("polite");
    await send(socket, "message:progress", { channelId: agent.id, content: "Searching the docs", toolHint: "web_search" });
    await expect.poll(() => line.locator(".progress-content").textContent()).toBe("Searching the docs…");
    expect(await line.locator(".progress-chip").textContent()).toBe("web_search");

    // A newer line replaces it; the agent's next message clears it.
    await send(socket, "message:progress", { channelId: agent.id, content: "Reading 3 pages" });
    await expect.poll(() => line.locator(".progress-content").textContent()).toBe("Reading 3 pages…");
    expect(await line.locator(".progress-chip").count()).toBe(0);
    await agent.post({ text: "Here is what I found." });
    await chat.getByText("Here is what I found.").waitFor();
    await expect.poll(() => line.textContent()).toBe("");
  });
});

describe("the progress line's lifetime", () => {
  it("clears itself 60 s after the last progress event when no message comes", async () => {
    const agent = await createAgent(url(), cookie(), "Quiet bot");
    const socket = await agentSocket(agent);
    const chat = await open();
    // The page's clock is faked (and still runs) so a minute can pass in an instant.
    await chat.clock.install();
    await chat.goto(`/chat/${agent.id}`);
    await live(chat);

    const line = chat.locator(".progress-line");
    await send(socket, "message:progress", { channelId: agent.id, content: "Thinking", toolHint: "planner" });
    await expect.poll(() => line.locator(".progress-content").textContent()).toBe("Thinking…");
    await chat.clock.fastForward(50_000);
    expect(await line.locator(".progress-content").textContent()).toBe("Thinking…");
    await chat.clock.fastForward(11_000);
    await expect.poll(() => line.textContent()).toBe("");
  });
});
