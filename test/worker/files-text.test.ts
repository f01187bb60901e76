// Files as Placet serves them (issue 14): a channel's file list, text stored as a file (store-text and a
// message's textAttachments), and the textContent every small text file carries.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../contract/limits";
import { addMember, agentWithKey, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, form, ISO, pathsOf, raw, textFile, URL_SAFE, type Bot } from "./api-helpers";

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Text bot");
});

const v1Form = (path: string, fd: FormData, key = bot.apiKey) => call("POST", `/api/v1${path}`, { raw: fd, headers: { "x-api-key": key } });

/** A fresh channel of the bot's owner, so counts and lists start empty. */
async function newChannel(name: string): Promise<string> {
  const res = await bot.v1("POST", "/agents", { name });
  expect(res.status, res.text).toBe(201);
  return res.json.id;
}

async function store(file: File, channelId: string) {
  const res = await v1Form("/files/store", form({ file, channelId }));
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/** What a channel holds: file rows in D1 and objects in R2 (nothing may change on a refused request). */
async function holdings(channelId: string) {
  const rows = await env.DB.prepare("SELECT count(*) AS n FROM attachments WHERE channel_id = ?").bind(channelId).first<number>("n");
  const objects = (await env.FILES.list({ prefix: `${owner.id}/${channelId}/` })).objects.length;
  return { rows, objects };
}

const lastSeq = async (channelId: string) => (await bot.v1("GET", `/messages?channel=${channelId}&limit=1`)).json.data[0]?.seq ?? 0;

describe("textContent", () => {
  it("a small text file carries its text in every read; binary, over 50 KB and invalid UTF-8 carry none", async () => {
    const ch = await newChannel("textContent");
    const small = await store(textFile("# Plan\nship it ✓", "plan.md", "text/markdown"), ch);
    expect(small.textContent).toBe("# Plan\nship it ✓");
    const json = await store(textFile('{"a":1}', "a.json", "application/json"), ch);
    expect(json.textContent).toBe('{"a":1}');
    const yaml = await store(textFile("a: 1\n", "a.yaml", "application/yaml"), ch);
    expect(yaml.textContent).toBe("a: 1\n");
    const exact = await store(textFile("x".repeat(LIMITS.textContentBytes), "exact.txt"), ch);
    expect(exact.textContent).toHaveLength(LIMITS.textContentBytes);

    const big = await store(textFile("x".repeat(LIMITS.textContentBytes + 1), "big.txt"), ch);
    const binary = await store(new File([new Uint8Array([137, 80, 78, 71])], "pic.png", { type: "image/png" }), ch);
    const latin1 = await store(new File([new Uint8Array([0x63, 0x61, 0x66, 0xe9])], "latin1.txt", { type: "text/plain" }), ch);
    for (const f of [big, binary, latin1]) expect(f, f.filename).not.toHaveProperty("textContent");
    expect(big.size).toBe(LIMITS.textContentBytes + 1);
    // The bytes are all stored, text or not.
    const bytes = await raw("GET", `/api/v1/files/${latin1.id}/download`, { "x-api-key": bot.apiKey });
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(new Uint8Array([0x63, 0x61, 0x66, 0xe9]));

    const posted = await bot.v1("POST", "/messages", { channelId: ch, text: "files", attachmentIds: [small.id, binary.id] });
    expect(posted.json.attachments).toEqual([
      { id: small.id, filename: "plan.md", mimeType: "text/markdown", size: small.size, textContent: "# Plan\nship it ✓" },
      { id: binary.id, filename: "pic.png", mimeType: "image/png", size: 4 },
    ]);
    const asPerson = await owner.as("GET", `/api/messages?channel=${ch}`);
    expect(asPerson.json.data[0].attachments[0].textContent).toBe("# Plan\nship it ✓");
  });

  it("uploads fill it as well", async () => {
    const ch = await newChannel("upload text");
    const up = await v1Form("/files/upload", form({ files: [textFile("a,b\n1,2\n", "t.csv", "text/csv"), textFile("plain", "p.txt")], channelId: ch }));
    expect(up.status, up.text).toBe(201);
    expect(up.json.textContent).toBe("a,b\n1,2\n");
    expect(up.json.message.attachments.map((a: { textContent?: string }) => a.textContent)).toEqual(["a,b\n1,2\n", "plain"]);
  });
});

describe("GET /api/v1/files", () => {
  it("a bare array of the channel's files, newest first, attached or not; only that channel", async () => {
    const ch = await newChannel("Listed");
    const other = await newChannel("Not listed");
    const first = await store(textFile("one", "one.txt"), ch);
    await store(textFile("elsewhere", "elsewhere.txt"), other);
    const up = await v1Form("/files/upload", form({ file: textFile("two", "two.txt"), channelId: ch, text: "with a file" }));
    const res = await bot.v1("GET", `/files?channel=${ch}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual([
      {
        id: up.json.id,
        messageId: up.json.message.id,
        channelId: ch,
        filename: "two.txt",
        mimeType: "text/plain",
        size: 3,
        textContent: "two",
        createdAt: expect.stringMatching(ISO),
      },
      { ...first, messageId: null },
    ]);
    // The user API lists the same.
    expect((await owner.as("GET", `/api/files?channel=${ch}`)).json).toEqual(res.json);
  });

  it("limit caps the list (at most 100); a bad limit or channel is a 400 naming it", async () => {
    const ch = await newChannel("Limited");
    for (const n of [1, 2, 3]) await store(textFile(String(n), `${n}.txt`), ch);
    const two = await bot.v1("GET", `/files?channel=${ch}&limit=2`);
    expect(two.json.map((f: { filename: string }) => f.filename)).toEqual(["3.txt", "2.txt"]);
    for (const limit of ["0", "101", "abc", "1.5"]) expectError(await bot.v1("GET", `/files?channel=${ch}&limit=${limit}`), 400, ["query.limit"]);
    expectError(await bot.v1("GET", `/files?channel=${"x".repeat(LIMITS.id + 1)}`), 400, ["query.channel"]);
  });

  it("another user's channel, or one outside the key's scope, is a 404", async () => {
    const member = browser(await addMember(owner));
    const theirs = await agentWithKey(member, "Their bot");
    await call("POST", "/api/v1/files/store", {
      raw: form({ file: textFile("private"), channelId: theirs.agent.id }),
      headers: { "x-api-key": theirs.apiKey },
    });
    expectError(await bot.v1("GET", `/files?channel=${theirs.agent.id}`), 404);
    expectError(await owner.as("GET", `/api/files?channel=${theirs.agent.id}`), 404);
    const ch = await newChannel("Scoped away");
    const scoped = await owner.as("POST", "/api/api-keys", { label: "scoped", agentIds: [ch] });
    expectError(await call("GET", `/api/v1/files?channel=${bot.agent.id}`, { headers: { "x-api-key": scoped.json.key } }), 404);
    expectError(await call("GET", `/api/v1/files?channel=${ch}`), 401);
  });
});

describe("POST /api/v1/files/store-text", () => {
  it("stores text as an unattached file: 201 the file with its textContent; attach it later", async () => {
    const ch = await newChannel("Store text");
    const res = await bot.v1("POST", "/files/store-text", { channelId: ch, content: "a: 1\n", filename: "conf.yaml", mimeType: "application/yaml" });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({
      id: expect.stringMatching(URL_SAFE),
      messageId: null,
      channelId: ch,
      filename: "conf.yaml",
      mimeType: "application/yaml",
      size: 5,
      textContent: "a: 1\n",
      createdAt: expect.stringMatching(ISO),
    });
    const bytes = await call("GET", `/api/v1/files/${res.json.id}/download`, { headers: { "x-api-key": bot.apiKey } });
    expect(bytes.text).toBe("a: 1\n");
    expect(bytes.headers.get("content-type")).toBe("application/yaml");
    const posted = await bot.v1("POST", "/messages", { channelId: ch, attachmentIds: [res.json.id] });
    expect(posted.json.attachments).toEqual([{ id: res.json.id, filename: "conf.yaml", mimeType: "application/yaml", size: 5, textContent: "a: 1\n" }]);
  });

  it("filename and mimeType default to content.md and text/markdown; the size is in UTF-8 bytes", async () => {
    const ch = await newChannel("Store text defaults");
    const res = await bot.v1("POST", "/files/store-text", { channelId: ch, content: "é" });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ filename: "content.md", mimeType: "text/markdown", size: 2, textContent: "é" });
  });

  it("each bad field is a 400 naming it, and nothing is stored", async () => {
    const ch = await newChannel("Store text refusals");
    const before = await holdings(ch);
    const cases: [Record<string, unknown>, string][] = [
      [{}, "content"],
      [{ content: "" }, "content"],
      [{ content: 5 }, "content"],
      [{ content: "x".repeat(LIMITS.text + 1) }, "content"],
      [{ content: "x", filename: "" }, "filename"],
      [{ content: "x", filename: "   " }, "filename"],
      [{ content: "x", filename: "f".repeat(LIMITS.label + 1) }, "filename"],
      [{ content: "x", filename: 7 }, "filename"],
      [{ content: "x", mimeType: "image/png" }, "mimeType"],
      [{ content: "x", mimeType: "application/octet-stream" }, "mimeType"],
      [{ content: "x", mimeType: "" }, "mimeType"],
      [{ content: "x", channelId: "" }, "channelId"],
      [{ content: "x", extra: true }, "(root)"],
    ];
    for (const [body, path] of cases) {
      const res = await bot.v1("POST", "/files/store-text", { channelId: ch, ...body });
      expectError(res, 400, [path]);
    }
    expectError(await bot.v1("POST", "/files/store-text", { channelId: "no-such-agent", content: "x" }), 404);
    expect(await holdings(ch)).toEqual(before);
  });
});

describe("textAttachments on POST /api/v1/messages", () => {
  it("each becomes a stored file of the message, content.md / text/markdown by default, after the attachmentIds", async () => {
    const ch = await newChannel("Text attachments");
    const a = await store(textFile("stored first", "a.txt"), ch);
    const res = await bot.v1("POST", "/messages", {
      channelId: ch,
      text: "Here is the plan",
      attachmentIds: [a.id],
      textAttachments: [{ content: "# Plan" }, { content: "{}", filename: "data.json", mimeType: "application/json" }],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.attachments).toEqual([
      { id: a.id, filename: "a.txt", mimeType: "text/plain", size: 12, textContent: "stored first" },
      { id: expect.stringMatching(URL_SAFE), filename: "content.md", mimeType: "text/markdown", size: 6, textContent: "# Plan" },
      { id: expect.stringMatching(URL_SAFE), filename: "data.json", mimeType: "application/json", size: 2, textContent: "{}" },
    ]);
    expect((await bot.v1("GET", `/messages/${res.json.id}`)).json.attachments).toEqual(res.json.attachments);
    const md = await call("GET", `/api/v1/files/${res.json.attachments[1].id}/download`, { headers: { "x-api-key": bot.apiKey } });
    expect(md.text).toBe("# Plan");
    expect(md.headers.get("content-type")).toBe("text/markdown");
    const listed = await bot.v1("GET", `/files?channel=${ch}`);
    expect(listed.json.every((f: { messageId: string }) => f.messageId === res.json.id)).toBe(true);
  });

  it("a message may be text attachments alone; 20 of them is the most", async () => {
    const ch = await newChannel("Only text attachments");
    const twenty = Array.from({ length: LIMITS.attachmentsPerMessage }, (_, i) => ({ content: `part ${i}`, filename: `p${i}.md` }));
    const res = await bot.v1("POST", "/messages", { channelId: ch, textAttachments: twenty });
    expect(res.status, res.text).toBe(201);
    expect(res.json.text).toBeNull();
    expect(res.json.attachments.map((f: { filename: string }) => f.filename)).toEqual(twenty.map((t) => t.filename));
  });

  it("too many in all (attachmentIds and textAttachments) is a 400, and nothing is stored or posted", async () => {
    const ch = await newChannel("Too many");
    const ids = [];
    for (let i = 0; i < 15; i++) ids.push((await store(textFile(`f${i}`), ch)).id);
    const before = { ...(await holdings(ch)), seq: await lastSeq(ch) };
    const res = await bot.v1("POST", "/messages", {
      channelId: ch,
      attachmentIds: ids,
      textAttachments: Array.from({ length: 6 }, (_, i) => ({ content: `t${i}` })),
    });
    expectError(res, 400, ["textAttachments"]);
    expectError(await bot.v1("POST", "/messages", { channelId: ch, textAttachments: Array.from({ length: 21 }, () => ({ content: "x" })) }), 400, [
      "textAttachments",
    ]);
    expect({ ...(await holdings(ch)), seq: await lastSeq(ch) }).toEqual(before);
  });

  it("each bad value of each field is a 400 naming it; nothing is stored, nothing posted", async () => {
    const ch = await newChannel("Bad text attachments");
    const before = { ...(await holdings(ch)), seq: await lastSeq(ch) };
    const cases: [unknown, string][] = [
      ["not a list", "textAttachments"],
      [["a string"], "textAttachments.0"],
      [[{}], "textAttachments.0.content"],
      [[{ content: "" }], "textAttachments.0.content"],
      [[{ content: 1 }], "textAttachments.0.content"],
      [[{ content: "x".repeat(LIMITS.text + 1) }], "textAttachments.0.content"],
      [[{ content: "x", filename: "" }], "textAttachments.0.filename"],
      [[{ content: "x", filename: "f".repeat(LIMITS.label + 1) }], "textAttachments.0.filename"],
      [[{ content: "x", filename: null }], "textAttachments.0.filename"],
      [[{ content: "x", mimeType: "image/png" }], "textAttachments.0.mimeType"],
      [[{ content: "x", mimeType: "text/" }], "textAttachments.0.mimeType"],
      [[{ content: "x", mimeType: 3 }], "textAttachments.0.mimeType"],
      [[{ content: "x", size: 1 }], "textAttachments.0"],
    ];
    for (const [textAttachments, path] of cases) {
      const res = await bot.v1("POST", "/messages", { channelId: ch, text: "t", textAttachments });
      expectError(res, 400, [path]);
    }
    // Every problem at once: a good one next to bad ones still stores nothing.
    const many = await bot.v1("POST", "/messages", {
      channelId: ch,
      textAttachments: [{ content: "fine" }, { content: "", mimeType: "image/png" }, { content: "x", filename: "" }],
    });
    expectError(many, 400, ["textAttachments.1.content", "textAttachments.1.mimeType", "textAttachments.2.filename"]);
    expect(pathsOf(many)).not.toContain("textAttachments.0.content");
    expect({ ...(await holdings(ch)), seq: await lastSeq(ch) }).toEqual(before);
  });

  it("a post the channel refuses (an unusable attachmentId, a past expiry) leaves no text file behind", async () => {
    const ch = await newChannel("Refused post");
    const before = { ...(await holdings(ch)), seq: await lastSeq(ch) };
    const refused = await bot.v1("POST", "/messages", { channelId: ch, attachmentIds: ["no-such-file"], textAttachments: [{ content: "orphan?" }] });
    expectError(refused, 400, ["attachmentIds.0"]);
    const expired = await bot.v1("POST", "/messages", {
      channelId: ch,
      textAttachments: [{ content: "x" }],
      review: { type: "approval", payload: { options: [{ id: "ok", label: "OK" }] }, expiresAt: "2001-01-01T00:00:00Z" },
    });
    expectError(expired, 400, ["review.expiresAt"]);
    expectError(await bot.v1("POST", "/messages", { channelId: "no-such-agent", textAttachments: [{ content: "x" }] }), 404);
    expect({ ...(await holdings(ch)), seq: await lastSeq(ch) }).toEqual(before);
  });

  it("a post that fails after storing (D1 fails mid-post) leaves its files stored and unattached, for the clean-up", async () => {
    const ch = await newChannel("Failing post");
    await env.DB.prepare("CREATE TRIGGER fail_link BEFORE UPDATE OF message_id ON attachments BEGIN SELECT RAISE(ABORT, 'injected failure'); END").run();
    try {
      const failed = await bot.v1("POST", "/messages", { channelId: ch, text: "half?", textAttachments: [{ content: "kept" }] });
      expect(failed.status, failed.text).toBe(500);
      const upload = await v1Form("/files/upload", form({ file: textFile("kept too", "u.txt"), channelId: ch, text: "half?" }));
      expect(upload.status, upload.text).toBe(500);
    } finally {
      await env.DB.prepare("DROP TRIGGER fail_link").run();
    }
    // Whether the message landed is not known to the route, so nothing that may be attached is deleted.
    const files = await bot.v1("GET", `/files?channel=${ch}`);
    expect(files.json.map((f: { filename: string; messageId: null }) => [f.filename, f.messageId]).sort()).toEqual([
      ["content.md", null],
      ["u.txt", null],
    ]);
    expect(await holdings(ch)).toEqual({ rows: 2, objects: 2 });
    expect((await bot.v1("GET", `/messages?channel=${ch}`)).json.data).toEqual([]);
  });

  it("an idempotent replay answers the first message and stores nothing new", async () => {
    const ch = await newChannel("Replayed");
    const body = { channelId: ch, textAttachments: [{ content: "once" }], clientId: "replay-1" };
    const first = await bot.v1("POST", "/messages", body);
    expect(first.status, first.text).toBe(201);
    const after = await holdings(ch);
    expect(after).toEqual({ rows: 1, objects: 1 });
    const again = await bot.v1("POST", "/messages", body);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(await holdings(ch)).toEqual(after);
  });
});
