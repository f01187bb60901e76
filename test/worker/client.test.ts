// The typed client (client/src) against the Worker in process: its fetch calls the Worker's handler. The
// person answers through the user API. Type assertions here are checked by `npm run typecheck`.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  NodClient,
  NodError,
  ReviewExpiredError,
  type Agent,
  type ApprovalAnswer,
  type FetchFunction,
  type Message,
  type StoredFile,
  type TextAnswer,
} from "../../client/src/index";
import type { agentDto } from "../../worker/services/agents";
import type { MessageDto } from "../../contract/dto";
import { browser } from "./api-helpers";
import { agentWithKey, BASE, setupOwner, type Person } from "./helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Client bot");
});

const workerFetch: FetchFunction = (url, init) => exports.default.fetch(new Request(url, init));

/** Records every request the client makes; `fail` may answer one instead of the Worker. */
function harness(fail?: (url: URL, n: number) => Response | Error | undefined) {
  const calls: { method: string; url: URL }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    const u = new URL(url);
    calls.push({ method: init.method ?? "GET", url: u });
    const injected = fail?.(u, calls.length);
    if (injected instanceof Error) throw injected;
    return injected ?? workerFetch(url, init);
  };
  return { calls, fetch };
}

const client = (fetch: FetchFunction = workerFetch, more: Partial<ConstructorParameters<typeof NodClient>[0]> = {}) =>
  new NodClient({ url: `${BASE}/`, apiKey: bot.apiKey, channelId: bot.agent.id, fetch, ...more });

/** Plays the person: answers the pending review with this text once it shows up. */
async function answer(text: string, response: unknown) {
  for (let i = 0; i < 200; i++) {
    const inbox = await owner.as("GET", `/api/reviews?status=pending&channel=${bot.agent.id}`);
    const msg = inbox.json.data.find((m: { text: string }) => m.text === text);
    if (msg) return owner.as("POST", `/api/messages/${msg.id}/respond`, { response });
    await sleep(25);
  }
  throw new Error(`no pending review "${text}"`);
}

describe("NodClient.ask", () => {
  it("sends the review, keeps long-polling, and resolves with the answer typed by the review", async () => {
    const h = harness();
    const nod = client(h.fetch, { pollTimeoutMs: 150 });
    const asking = nod.ask({
      text: "Deploy v2.1?",
      review: {
        type: "approval",
        payload: {
          options: [
            { id: "go", label: "Go", style: "primary" },
            { id: "stop", label: "Stop", style: "danger" },
          ],
          allowComment: true,
        },
      },
    });
    // Several polls time out first (counted, not timed: a busy machine makes fewer in a fixed time).
    const polls = () => h.calls.filter((c) => c.url.pathname.endsWith("/wait"));
    await vi.waitFor(() => expect(polls().length).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
    expect((await answer("Deploy v2.1?", { selectedOption: "go", comment: "fine" })).status).toBe(200);
    const got = await asking;
    expect(got).toEqual({ selectedOption: "go", comment: "fine" });
    expectTypeOf(got).toEqualTypeOf<ApprovalAnswer<"go" | "stop">>();
    expect(polls().every((c) => c.url.searchParams.get("timeout") === "150" && c.url.searchParams.get("channel") === bot.agent.id)).toBe(true);
  });

  it("types form, selection and text answers from their payloads", async () => {
    const nod = client();
    const form = nod.ask({
      text: "Configure",
      review: {
        type: "form",
        payload: {
          fields: [
            {
              name: "env",
              type: "select",
              label: "Env",
              required: true,
              options: [
                { value: "staging", label: "S" },
                { value: "prod", label: "P" },
              ],
            },
            { name: "instances", type: "number", label: "Instances", min: 1, max: 10 },
            { name: "notify", type: "checkbox", label: "Notify" },
          ],
        },
      },
    });
    await answer("Configure", { env: "prod", instances: 3, notify: true });
    const f = await form;
    expect(f).toEqual({ env: "prod", instances: 3, notify: true });
    expectTypeOf(f.env).toEqualTypeOf<"staging" | "prod">();
    expectTypeOf(f.instances).toEqualTypeOf<number | undefined>();
    expectTypeOf(f.notify).toEqualTypeOf<boolean | undefined>();

    const pick = nod.ask({
      text: "Pick",
      review: {
        type: "selection",
        payload: {
          mode: "multi",
          items: [
            { id: "a", label: "A" },
            { id: "b", label: "B" },
          ],
        },
      },
    });
    await answer("Pick", { selectedIds: ["b", "a"] });
    const p = await pick;
    expect(p.selectedIds).toEqual(["b", "a"]);
    expectTypeOf(p.selectedIds).toEqualTypeOf<("a" | "b")[]>();

    const write = nod.ask({ text: "Why?", review: { type: "text-input", payload: { minLength: 2 } } });
    await answer("Why?", { text: "Because." });
    const w = await write;
    expect(w.text).toBe("Because.");
    expectTypeOf(w).toEqualTypeOf<TextAnswer>();
  });

  it("rejects with ReviewExpiredError when the review expires unanswered", async () => {
    const nod = client(workerFetch, { pollTimeoutMs: 5000 });
    const asking = nod.ask({ text: "Too late?", review: { type: "approval", payload: { options: [{ id: "ok", label: "OK" }] }, expiresInSeconds: 1 } });
    const caught = asking.catch((e: unknown) => e);
    await sleep(1100);
    await runDurableObjectAlarm(env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(bot.agent.id)));
    const err = await caught;
    expect(err).toBeInstanceOf(ReviewExpiredError);
    expect((err as ReviewExpiredError).message).toMatch(/^Review \S+ expired at \d{4}-\d\d-\d\dT.* without an answer$/);
    expect((err as ReviewExpiredError).expired.review?.status).toBe("expired");
  });

  it("refuses an invalid review with NodError listing each problem, and stores nothing", async () => {
    const nod = client();
    const before = (await nod.pending()).length;
    const err = await nod
      .ask({
        text: "Bad",
        review: {
          type: "approval",
          payload: {
            options: [
              { id: "x", label: "X" },
              { id: "x", label: "Y" },
            ],
          },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodError);
    expect((err as NodError).status).toBe(400);
    expect((err as NodError).errors.map((e) => e.path)).toContain("review.payload.options.1");
    expect((await nod.pending()).length).toBe(before);
  });

  it("retries the long-poll after a network error, a 503 and a 429 (honouring Retry-After), then gets the answer", async () => {
    let waits = 0;
    const h = harness((url) => {
      if (!url.pathname.endsWith("/wait")) return undefined;
      waits++;
      if (waits === 1) return new TypeError("fetch failed");
      if (waits === 2) return new Response("busy", { status: 503 });
      if (waits === 3) return Response.json({ statusCode: 429, message: "slow down", errors: [] }, { status: 429, headers: { "retry-after": "1" } });
      return undefined;
    });
    const nod = client(h.fetch, { pollTimeoutMs: 2000 });
    const started = Date.now();
    const asking = nod.ask({ text: "Flaky network?", review: { type: "approval", payload: { options: [{ id: "yes", label: "Yes" }] } } });
    await answer("Flaky network?", { selectedOption: "yes" });
    expect(await asking).toEqual({ selectedOption: "yes" });
    expect(waits).toBeGreaterThanOrEqual(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500 + 1000 + 1000); // two backoffs, then Retry-After
  });

  it("gives up after `retries` failures in a row, and stops when the signal aborts", async () => {
    const down = harness((url) => (url.pathname.endsWith("/wait") ? new Response("down", { status: 502 }) : undefined));
    const err = await client(down.fetch, { retries: 1 })
      .ask({ text: "Server down?", review: { type: "approval", payload: { options: [{ id: "yes", label: "Yes" }] } } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodError);
    expect((err as NodError).status).toBe(502);
    expect(down.calls.filter((c) => c.url.pathname.endsWith("/wait"))).toHaveLength(2);

    const controller = new AbortController();
    const asking = client(workerFetch, { pollTimeoutMs: 200 })
      .ask({ text: "Never mind?", review: { type: "approval", payload: { options: [{ id: "yes", label: "Yes" }] } } }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await sleep(300);
    controller.abort(new Error("agent gave up"));
    expect(((await asking) as Error).message).toBe("agent gave up");
  });
});

describe("NodClient: send, upload, ping, channels, pending", () => {
  it("send posts to the default channel; with a clientId a repeat returns the first message", async () => {
    const nod = client();
    const m = await nod.send({ text: "## Build done", status: "success", metadata: { build: 42 } });
    expect(m).toMatchObject({ channelId: bot.agent.id, text: "## Build done", status: "success", metadata: { build: 42 }, review: null });
    const a = await nod.send({ text: "once", clientId: "client-once" });
    const b = await nod.send({ text: "once", clientId: "client-once" });
    expect(b.id).toBe(a.id);
    const err = await nod.send({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodError);
    expect((err as NodError).status).toBe(400);
  });

  it("upload stores the bytes; an ask can carry the file; the download is identical", async () => {
    const nod = client();
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x80, 0x0a]);
    const file = await nod.upload(bytes, { filename: "report.pdf", mimeType: "application/pdf" });
    expect(file).toMatchObject({ filename: "report.pdf", mimeType: "application/pdf", size: 8, channelId: bot.agent.id });
    expectTypeOf(file).toEqualTypeOf<StoredFile>();
    const fromText = await nod.upload("hello", { filename: "hello.txt", mimeType: "text/plain" });
    expect(fromText.size).toBe(5);
    const sent = await nod.send({ text: "See attached", attachmentIds: [file.id, fromText.id] });
    expect(sent.attachments.map((a) => a.filename)).toEqual(["report.pdf", "hello.txt"]);
    const dl = await workerFetch(`${BASE}/api/v1/files/${file.id}/download`, { headers: { "x-api-key": bot.apiKey } });
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(bytes);
  });

  it("storeText stores text as a file, send carries textAttachments, files lists the channel's files newest first", async () => {
    const nod = client();
    const notes = await nod.storeText("# Notes", { filename: "notes.md" });
    expect(notes).toMatchObject({ filename: "notes.md", mimeType: "text/markdown", size: 7, textContent: "# Notes", messageId: null, channelId: bot.agent.id });
    expectTypeOf(notes).toEqualTypeOf<StoredFile>();
    const sent = await nod.send({
      text: "Both",
      attachmentIds: [notes.id],
      textAttachments: [{ content: '{"ok":true}', mimeType: "application/json", filename: "r.json" }],
    });
    expect(sent.attachments.map((a) => [a.filename, a.textContent])).toEqual([
      ["notes.md", "# Notes"],
      ["r.json", '{"ok":true}'],
    ]);
    const files = await nod.files({ limit: 2 });
    expect(files.map((f) => f.id).sort()).toEqual(sent.attachments.map((a) => a.id).sort());
    expect(files.every((f) => f.messageId === sent.id)).toBe(true);
    const bad = await nod.storeText("x", { mimeType: "image/png" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(NodError);
    expect((bad as NodError).errors.map((e) => e.path)).toEqual(["mimeType"]);
  });

  it("ping reports the status; channels and pending list what the key sees", async () => {
    const nod = client();
    const agent = await nod.ping("busy", { message: "Crunching numbers" });
    expect(agent).toMatchObject({ id: bot.agent.id, status: "busy", statusMessage: "Crunching numbers" });
    expect((await nod.channels()).map((a) => a.id)).toContain(bot.agent.id);
    const asked = await nod.send({ text: "Pending one", review: { type: "text-input", payload: {} } });
    expect((await nod.pending()).map((m) => m.id)).toContain(asked.id);
    const bad = await nod.ping("sleepy" as "busy").catch((e: unknown) => e);
    expect((bad as NodError).errors.map((e) => e.path)).toContain("status");
  });

  it("setTag, setWebhook and deleteWebhook change the agent and return it, without the password", async () => {
    const nod = client();
    expect(await nod.setTag("Client tag")).toMatchObject({ id: bot.agent.id, tag: "Client tag" });
    const hooked = await nod.setWebhook("https://hooks.example.com/client", {
      headers: { "X-Token": "t" },
      auth: { username: "u", password: "pw-client-only" },
    });
    expect(hooked).toMatchObject({ webhookUrl: "https://hooks.example.com/client", webhookHeaders: { "X-Token": "t" }, webhookAuth: { username: "u" } });
    expect(JSON.stringify(hooked)).not.toContain("pw-client-only");
    const bad = await nod.setWebhook("https://hooks.example.com/client", { headers: { Authorization: "x" } }).catch((e: unknown) => e);
    expect((bad as NodError).errors.map((e) => e.path)).toContain("headers.Authorization");
    expect(await nod.deleteWebhook()).toMatchObject({ webhookUrl: null, webhookHeaders: null, webhookAuth: null });
    expect((await nod.setTag(null)).tag).toBeNull();
  });

  it("a revision: wait returns the feedback, send takes iterationOf, iterations lists the chain", async () => {
    const nod = client(workerFetch, { pollTimeoutMs: 5000 });
    const review = {
      type: "approval",
      payload: {
        options: [
          { id: "ok", label: "OK" },
          { id: "redo", label: "Redo" },
        ],
      },
    } as const;
    const first = await nod.send({ text: "Draft A", review });
    await owner.as("POST", `/api/messages/${first.id}/respond`, { response: { selectedOption: "redo" }, feedback: "Add numbers" });
    const { message } = await nod.wait(first.id);
    expect(message.review?.feedback).toBe("Add numbers");
    const second = await nod.send({ text: "Draft B", review, iterationOf: first.id });
    expect(second).toMatchObject({ iteration: 2, iterationGroupId: first.id });
    const chain = await nod.iterations(second.id);
    expect(chain.groupId).toBe(first.id);
    expect(chain.iterations.map((m) => [m.text, m.iteration, m.review?.feedback])).toEqual([
      ["Draft A", 1, "Add numbers"],
      ["Draft B", 2, null],
    ]);
  });

  it("a wrong key is a 401 NodError", async () => {
    const err = await new NodClient({ url: BASE, apiKey: "hp_wrong", fetch: workerFetch }).channels().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodError);
    expect((err as NodError).status).toBe(401);
  });

  it("declares the same fields as the server's DTOs", () => {
    // Compile-time: what the server sends fits what the client declares, field for field.
    expectTypeOf<keyof MessageDto>().toEqualTypeOf<keyof Message>();
    expectTypeOf<MessageDto>().toExtend<Message>();
    expectTypeOf<keyof ReturnType<typeof agentDto>>().toEqualTypeOf<keyof Agent>();
    expectTypeOf<ReturnType<typeof agentDto>>().toExtend<Agent>();
  });
});
