// Files through both APIs: store, attach, upload as a message, download, and every refusal (415,
// 400, 413, 404).
import { beforeAll, describe, expect, it } from "vitest";
import { agentWithKey, BASE, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, form, ISO, keyClient, raw, textFile, URL_SAFE, type Bot } from "./api-helpers";

const LIMIT = 25 * 1024 * 1024; // MAX_UPLOAD_BYTES in wrangler.toml

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "File bot");
});

/** Multipart POST through the agent API with the bot's key. */
const v1Form = (path: string, fd: FormData, key = bot.apiKey) => call("POST", `/api/v1${path}`, { raw: fd, headers: { "x-api-key": key } });
/** Multipart POST through the user API as the owner's browser. */
const userForm = (path: string, fd: FormData) => call("POST", path, { raw: fd, headers: { cookie: owner.cookie, origin: BASE } });

async function store(text: string, name = "notes.txt", type = "text/plain", channelId = bot.agent.id) {
  const res = await v1Form("/files/store", form({ file: textFile(text, name, type), channelId }));
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; filename: string; mimeType: string; size: number; channelId: string; createdAt: string };
}

const download = (id: string, headers: Record<string, string> = { "x-api-key": bot.apiKey }, prefix = "/api/v1") =>
  raw("GET", `${prefix}/files/${id}/download`, headers);

describe("POST /api/v1/files/store", () => {
  it("stores a file: 201 {id, messageId: null, channelId, filename, mimeType, size, createdAt}, textContent for text", async () => {
    const res = await v1Form("/files/store", form({ file: textFile("hello world", "report.txt"), channelId: bot.agent.id }));
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({
      id: expect.stringMatching(URL_SAFE),
      messageId: null,
      channelId: bot.agent.id,
      filename: "report.txt",
      mimeType: "text/plain",
      size: 11,
      textContent: "hello world",
      createdAt: expect.stringMatching(ISO),
    });
    const binary = await v1Form("/files/store", form({ file: new File([new Uint8Array([0, 1, 2])], "x.bin"), channelId: bot.agent.id }));
    expect(binary.status, binary.text).toBe(201);
    expect(binary.json).toEqual({
      id: expect.stringMatching(URL_SAFE),
      messageId: null,
      channelId: bot.agent.id,
      filename: "x.bin",
      mimeType: "application/octet-stream",
      size: 3,
      createdAt: expect.stringMatching(ISO),
    });
  });

  it("channelId may be omitted when the user has one agent", async () => {
    const res = await v1Form("/files/store", form({ file: textFile("x") }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.channelId).toBe(bot.agent.id);
  });

  it("keeps only the base name of a path-like filename", async () => {
    const res = await v1Form("/files/store", form({ file: textFile("x", "../../etc/passwd") }));
    expect(res.status).toBe(201);
    expect(res.json.filename).toBe("passwd");
  });

  it("415 for a body that is not multipart", async () => {
    const json = await bot.v1("POST", "/files/store", { file: "hello", channelId: bot.agent.id });
    expectError(json, 415);
    const plain = await call("POST", "/api/v1/files/store", { raw: "hello", headers: { "x-api-key": bot.apiKey, "content-type": "text/plain" } });
    expectError(plain, 415);
    expectError(await call("POST", "/api/v1/files/store", { headers: { "x-api-key": bot.apiKey } }), 415);
  });

  it("400 without a file, or with a text field named file", async () => {
    expectError(await v1Form("/files/store", form({ channelId: bot.agent.id })), 400, ["file"]);
    expectError(await v1Form("/files/store", form({ file: "just a string", channelId: bot.agent.id })), 400, ["file"]);
    expectError(await v1Form("/files/store", form({ file: [textFile("a"), textFile("b")], channelId: bot.agent.id })), 400, ["file"]);
  });

  it("404 for an unknown channel; 401 without a key", async () => {
    expectError(await v1Form("/files/store", form({ file: textFile("x"), channelId: "no-such-agent" })), 404);
    expectError(await call("POST", "/api/v1/files/store", { raw: form({ file: textFile("x"), channelId: bot.agent.id }) }), 401);
  });

  it("413 when the declared length is over the limit", async () => {
    const res = await raw(
      "POST",
      "/api/v1/files/store",
      { "x-api-key": bot.apiKey, "content-type": "multipart/form-data; boundary=xyz", "content-length": String(LIMIT * 2) },
      "--xyz--\r\n",
    );
    const body = await res.json<{ statusCode: number; message: string; errors: unknown[] }>();
    expect(res.status).toBe(413);
    expect(body).toEqual({ statusCode: 413, message: expect.any(String), errors: [] });
  });

  it("413 for a real file one byte over the limit; a file of exactly the limit is accepted", async () => {
    const over = await v1Form(
      "/files/store",
      form({ file: new File([new Uint8Array(LIMIT + 1)], "big.bin", { type: "application/octet-stream" }), channelId: bot.agent.id }),
    );
    expectError(over, 413);
    const exact = await v1Form(
      "/files/store",
      form({ file: new File([new Uint8Array(LIMIT)], "exact.bin", { type: "application/octet-stream" }), channelId: bot.agent.id }),
    );
    expect(exact.status, exact.text).toBe(201);
    expect(exact.json.size).toBe(LIMIT);
  });
});

describe("attachments", () => {
  it("attachmentIds attach stored files; every later read shows them as the post did", async () => {
    const a = await store("first file", "a.txt");
    const b = await store('{"ok":true}', "b.json", "application/json");
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "two files", attachmentIds: [b.id, a.id] });
    expect(posted.status, posted.text).toBe(201);
    expect(posted.json.attachments).toEqual([
      { id: b.id, filename: "b.json", mimeType: "application/json", size: b.size, textContent: '{"ok":true}' },
      { id: a.id, filename: "a.txt", mimeType: "text/plain", size: 10, textContent: "first file" },
    ]);
    const got = await bot.v1("GET", `/messages/${posted.json.id}`);
    expect(got.json).toEqual(posted.json);
    const listed = await owner.as("GET", `/api/messages?channel=${bot.agent.id}&search=two%20files`);
    expect(listed.json.data[0].attachments.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
  });

  it("a message may be only an attachment", async () => {
    const f = await store("only this");
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, attachmentIds: [f.id] });
    expect(posted.status, posted.text).toBe(201);
    expect(posted.json.text).toBeNull();
    expect(posted.json.attachments).toHaveLength(1);
  });

  it("attaching a file twice is 400; an unknown file is 400; nothing is posted", async () => {
    const f = await store("once only");
    const first = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "first use", attachmentIds: [f.id] });
    expect(first.status).toBe(201);
    const before = (await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=1`)).json.data[0].seq;
    expectError(await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "second use", attachmentIds: [f.id] }), 400, ["attachmentIds.0"]);
    const fresh = await store("fresh");
    expectError(await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "mixed", attachmentIds: [fresh.id, "no-such-file"] }), 400, [
      "attachmentIds.1",
    ]);
    expect((await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=1`)).json.data[0].seq).toBe(before);
    // The fresh file was not used up by the refused post.
    expect((await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "now", attachmentIds: [fresh.id] })).status).toBe(201);
  });

  it("a file stored in one channel cannot be attached in another (400)", async () => {
    const other = await bot.v1("POST", "/agents", { name: "Other channel" });
    const f = await store("belongs to the first channel");
    expectError(await bot.v1("POST", "/messages", { channelId: other.json.id, text: "x", attachmentIds: [f.id] }), 400, ["attachmentIds.0"]);
    await bot.v1("DELETE", `/agents/${other.json.id}`);
  });
});

describe("POST /api/v1/files/upload", () => {
  it("uploads files as a message with text and status: 201 the first file, attached, with the message", async () => {
    const res = await v1Form(
      "/files/upload",
      form({ file: textFile("log line", "build.log"), channelId: bot.agent.id, text: "Build log attached", status: "error" }),
    );
    expect(res.status, res.text).toBe(201);
    const message = res.json.message;
    expect(res.json).toEqual({
      id: expect.stringMatching(URL_SAFE),
      messageId: message.id,
      channelId: bot.agent.id,
      filename: "build.log",
      mimeType: "text/plain",
      size: 8,
      textContent: "log line",
      createdAt: expect.stringMatching(ISO),
      message: expect.any(Object),
    });
    expect(message).toMatchObject({ channelId: bot.agent.id, senderType: "agent", senderId: bot.agent.id, text: "Build log attached", status: "error" });
    expect(message.attachments).toEqual([{ id: res.json.id, filename: "build.log", mimeType: "text/plain", size: 8, textContent: "log line" }]);
    expect((await bot.v1("GET", `/messages/${message.id}`)).json).toEqual(message);
    const file = await download(res.json.id);
    expect(await file.text()).toBe("log line");
  });

  it("several files under file or files: the answer is the first, the message carries all", async () => {
    const res = await v1Form("/files/upload", form({ files: [textFile("1", "one.txt"), textFile("22", "two.txt")], channelId: bot.agent.id }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.filename).toBe("one.txt");
    expect(res.json.message.attachments.map((a: { filename: string }) => a.filename)).toEqual(["one.txt", "two.txt"]);
    expect(res.json.message.attachments[0].id).toBe(res.json.id);
  });

  it("refuses no file (400), a bad status (400), non-multipart (415), over the limit (413)", async () => {
    expectError(await v1Form("/files/upload", form({ channelId: bot.agent.id, text: "no file" })), 400, ["file"]);
    expectError(await v1Form("/files/upload", form({ file: textFile("x"), channelId: bot.agent.id, status: "fatal" })), 400, ["status"]);
    expectError(await bot.v1("POST", "/files/upload", { text: "json" }), 415);
    const over = await v1Form("/files/upload", form({ file: new File([new Uint8Array(LIMIT + 1)], "big.bin"), channelId: bot.agent.id, text: "too big" }));
    expectError(over, 413);
    const list = await bot.v1("GET", `/messages?channel=${bot.agent.id}&search=${encodeURIComponent("too big")}`);
    expect(list.json.data).toEqual([]);
  });
});

describe("GET /files/:id/download", () => {
  it("the bytes, Content-Type, Content-Disposition: attachment, nosniff", async () => {
    const f = await store("hello download", "greeting.txt");
    const res = await download(f.id);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello download");
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(res.headers.get("content-disposition")).toContain('filename="greeting.txt"');
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("binary bytes come back unchanged; Authorization: Bearer works too", async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(4096));
    const stored = await v1Form("/files/store", form({ file: new File([bytes], "blob.bin", { type: "application/octet-stream" }), channelId: bot.agent.id }));
    expect(stored.status).toBe(201);
    expect(stored.json.size).toBe(4096);
    const res = await download(stored.json.id, { authorization: `Bearer ${bot.apiKey}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it("an HTML file is still a download, never rendered", async () => {
    const f = await store("<script>alert(1)</script>", "page.html", "text/html");
    const res = await download(f.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("a non-ASCII filename survives in filename*", async () => {
    const f = await store("cv", "résumé.txt");
    expect(f.filename).toBe("résumé.txt");
    const res = await download(f.id);
    expect(res.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent("résumé.txt")}`);
  });

  it("404 for an unknown file; 401 without a key", async () => {
    const missing = await download("no-such-file");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404 });
    const f = await store("secret");
    expect((await download(f.id, {})).status).toBe(401);
  });

  it("a retracted message's files are gone", async () => {
    const up = await v1Form("/files/upload", form({ file: textFile("temporary"), channelId: bot.agent.id }));
    const fileId = up.json.id;
    expect((await download(fileId)).status).toBe(200);
    expect((await bot.v1("DELETE", `/messages/${up.json.messageId}`)).status).toBe(200);
    expect((await download(fileId)).status).toBe(404);
  });

  it("a deleted agent's files are gone", async () => {
    const agent = await bot.v1("POST", "/agents", { name: "Short-lived" });
    const f = await store("in a doomed channel", "doomed.txt", "text/plain", agent.json.id);
    expect((await download(f.id)).status).toBe(200);
    expect((await bot.v1("DELETE", `/agents/${agent.json.id}`)).status).toBe(200);
    expect((await download(f.id)).status).toBe(404);
  });

  it("a key scoped to another agent cannot download (404)", async () => {
    const other = await bot.v1("POST", "/agents", { name: "Scope target" });
    const key = await owner.as("POST", "/api/api-keys", { label: "scoped", agentIds: [other.json.id] });
    const f = await store("main channel only");
    expect((await download(f.id, { "x-api-key": key.json.key })).status).toBe(404);
    expect((await keyClient(key.json.key)("GET", `/messages?channel=${bot.agent.id}`)).status).toBe(404);
    await bot.v1("DELETE", `/agents/${other.json.id}`);
  });
});

describe("user API files", () => {
  it("POST /api/files/store, attach to a person's message, GET /api/files/:id/download", async () => {
    const stored = await userForm("/api/files/store", form({ file: textFile("from a person", "person.txt"), channelId: bot.agent.id }));
    expect(stored.status, stored.text).toBe(201);
    expect(stored.json).toMatchObject({
      filename: "person.txt",
      mimeType: "text/plain",
      size: 13,
      channelId: bot.agent.id,
      messageId: null,
      textContent: "from a person",
    });

    const msg = await owner.as("POST", "/api/messages", { channelId: bot.agent.id, text: "see attached", attachmentIds: [stored.json.id] });
    expect(msg.status, msg.text).toBe(201);
    expect(msg.json.attachments).toEqual([{ id: stored.json.id, filename: "person.txt", mimeType: "text/plain", size: 13, textContent: "from a person" }]);

    const res = await raw("GET", `/api/files/${stored.json.id}/download`, { cookie: owner.cookie });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("from a person");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // The agent can fetch what the person sent.
    expect(await (await download(stored.json.id)).text()).toBe("from a person");
    // And the person can fetch what the agent sent.
    const fromAgent = await store("from the agent");
    expect(await (await raw("GET", `/api/files/${fromAgent.id}/download`, { cookie: owner.cookie })).text()).toBe("from the agent");
  });

  it("POST /api/files/upload makes a message from the person", async () => {
    const res = await userForm(
      "/api/files/upload",
      form({ file: textFile("screenshot bytes", "shot.png", "image/png"), channelId: bot.agent.id, text: "look" }),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ filename: "shot.png", mimeType: "image/png", messageId: res.json.message.id });
    expect(res.json.textContent).toBeUndefined();
    expect(res.json.message).toMatchObject({ senderType: "user", senderId: owner.id, text: "look" });
    expect(res.json.message.attachments[0]).toMatchObject({ id: res.json.id, filename: "shot.png", mimeType: "image/png" });
  });

  it("refusals: 401 without a session, 415, 400, 404 unknown file, 403 cross-site form post", async () => {
    expectError(await call("POST", "/api/files/store", { raw: form({ file: textFile("x"), channelId: bot.agent.id }), headers: { origin: BASE } }), 401);
    expectError(await owner.as("POST", "/api/files/store", { channelId: bot.agent.id }), 415);
    expectError(await userForm("/api/files/store", form({ channelId: bot.agent.id })), 400, ["file"]);
    expect((await raw("GET", "/api/files/no-such-file/download", { cookie: owner.cookie })).status).toBe(404);
    expect((await raw("GET", `/api/files/${(await store("x")).id}/download`)).status).toBe(401);
    const csrf = await call("POST", "/api/files/store", {
      raw: form({ file: textFile("x"), channelId: bot.agent.id }),
      headers: { cookie: owner.cookie, origin: "https://evil.example" },
    });
    expectError(csrf, 403);
    const mine = await owner.as("GET", `/api/messages?channel=${bot.agent.id}&limit=1`);
    expect(mine.status).toBe(200);
  });
});
