// Share links (POST/DELETE /api/files/:id/share, GET /api/share/:token) and the Files page's list
// (GET /api/files), issue 15: a link downloads without a session until it expires or is revoked, only
// the token's hash is stored, and the list filters by kind, agent and name across the person's agents.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { fileKindOf } from "../../contract/file-kinds";
import { LIMITS } from "../../contract/limits";
import { runMaintenance } from "../../worker/maintenance";
import { addMember, agentWithKey, BASE, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, form, ISO, raw, URL_SAFE, type Bot } from "./api-helpers";

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Share bot");
});

/** Uploads one file as a message of `as`'s agent; the stored file (attached). */
async function upload(as: Bot, file: File, channelId = as.agent.id) {
  const res = await call("POST", "/api/v1/files/upload", { raw: form({ file, channelId }), headers: { "x-api-key": as.apiKey } });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; filename: string; messageId: string; channelId: string };
}

const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 0xff, 0x00, 0x7f]);
const pngFile = (name = "chart.png") => new File([PNG], name, { type: "image/png" });

async function share(fileId: string, body?: unknown, as: Person = owner) {
  return as.as("POST", `/api/files/${fileId}/share`, body);
}

async function shareOk(fileId: string, body?: unknown) {
  const res = await share(fileId, body);
  expect(res.status, res.text).toBe(201);
  return res.json as { url: string; expiresAt: string };
}

/** The link's path on this Worker (the tests' requests go to BASE). */
const pathOf = (url: string) => url.slice(BASE.length);
const tokenOf = (url: string) => url.split("/").pop()!;

async function sha256Hex(text: string) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** GET a link as anyone: no cookie, no key. */
const fetchLink = (url: string) => raw("GET", pathOf(url));

async function expectEmpty404(url: string) {
  const res = await fetchLink(url);
  expect(res.status).toBe(404);
  expect(await res.text()).toBe("");
  return res;
}

const shareCount = async (fileId: string) => env.DB.prepare("SELECT count(*) AS n FROM file_shares WHERE attachment_id = ?").bind(fileId).first<number>("n");

const secondsFromNow = (iso: string) => (Date.parse(iso) - Date.now()) / 1000;

describe("share links", () => {
  it("POST /api/files/:id/share answers an absolute URL and its expiry: 1 h by default, as asked, at most 7 days", async () => {
    const file = await upload(bot, pngFile());
    const byDefault = await shareOk(file.id);
    expect(Object.keys(byDefault).sort()).toEqual(["expiresAt", "url"]);
    expect(byDefault.url.startsWith(`${BASE}/api/share/`)).toBe(true);
    const token = tokenOf(byDefault.url);
    expect(token).toMatch(URL_SAFE);
    // 32 random bytes in base64url: 256 bits, far over 128.
    expect(token.length).toBe(43);
    expect(byDefault.expiresAt).toMatch(ISO);
    expect(secondsFromNow(byDefault.expiresAt)).toBeGreaterThan(LIMITS.shareDefaultSeconds - 30);
    expect(secondsFromNow(byDefault.expiresAt)).toBeLessThanOrEqual(LIMITS.shareDefaultSeconds + 1);
    // An explicit null is the default too.
    expect(secondsFromNow((await shareOk(file.id, { expiresInSeconds: null })).expiresAt)).toBeGreaterThan(LIMITS.shareDefaultSeconds - 30);

    const short = await shareOk(file.id, { expiresInSeconds: 60 });
    expect(secondsFromNow(short.expiresAt)).toBeGreaterThan(30);
    expect(secondsFromNow(short.expiresAt)).toBeLessThanOrEqual(61);
    const week = await shareOk(file.id, { expiresInSeconds: 7 * 86_400 });
    expect(secondsFromNow(week.expiresAt)).toBeGreaterThan(7 * 86_400 - 30);
    // Every link is a token of its own.
    expect(new Set([byDefault.url, short.url, week.url]).size).toBe(3);
  });

  it("refuses a bad expiresInSeconds or an unknown field with a 400 naming it, and stores no link", async () => {
    const file = await upload(bot, pngFile("bad-values.png"));
    for (const expiresInSeconds of [7 * 86_400 + 1, 59, 0, -60, 1.5, "3600", true, [60]]) {
      expectError(await share(file.id, { expiresInSeconds }), 400, ["expiresInSeconds"]);
    }
    expectError(await share(file.id, { expiresInSeconds: 60, everyone: true }), 400);
    expectError(await share(file.id, "3600"), 400);
    expect(await shareCount(file.id)).toBe(0);
  });

  it("the link downloads the file's bytes without a session, with the download route's safe headers", async () => {
    const file = await upload(bot, pngFile("report 2026 ✓.png"));
    const { url } = await shareOk(file.id);
    const res = await fetchLink(url);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);
    const own = await raw("GET", `/api/files/${file.id}/download`, { cookie: owner.cookie });
    expect(own.status).toBe(200);
    await own.arrayBuffer();
    for (const name of ["content-type", "content-length", "content-disposition", "x-content-type-options", "content-security-policy"]) {
      expect(res.headers.get(name), name).toBe(own.headers.get(name));
    }
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="report 2026 _.png"; filename\*=UTF-8''report%202026%20%E2%9C%93\.png$/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toMatch(/^sandbox; default-src 'none'/);
    // Revocation is immediate: nothing along the way keeps a copy.
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("set-cookie")).toBeNull();
    // A cookie of someone signed in changes nothing: the link is the authority.
    const withCookie = await raw("GET", pathOf(url), { cookie: owner.cookie });
    expect(new Uint8Array(await withCookie.arrayBuffer())).toEqual(PNG);
  });

  it("an expired link, a revoked one and an unknown token are all an empty 404, alike", async () => {
    const file = await upload(bot, pngFile("expiring.png"));
    const expiring = await shareOk(file.id, { expiresInSeconds: 60 });
    expect((await fetchLink(expiring.url)).status).toBe(200);
    // A minute cannot be waited out: the row's expiry is moved into the past instead, as time would.
    const hash = await sha256Hex(tokenOf(expiring.url));
    const moved = await env.DB.prepare("UPDATE file_shares SET expires_at = ? WHERE token_hash = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), hash)
      .run();
    expect(moved.meta.changes).toBe(1);
    const expired = await expectEmpty404(expiring.url);

    const one = await shareOk(file.id);
    const two = await shareOk(file.id, { expiresInSeconds: 3600 });
    expect((await fetchLink(one.url)).status).toBe(200);
    const revoke = await owner.as("DELETE", `/api/files/${file.id}/share`);
    expect(revoke.status, revoke.text).toBe(200);
    // Every link of the file, the expired one's row included.
    expect(revoke.json).toEqual({ revoked: 3 });
    const revoked = await expectEmpty404(one.url);
    await expectEmpty404(two.url);
    expect((await owner.as("DELETE", `/api/files/${file.id}/share`)).json).toEqual({ revoked: 0 });

    const unknown = await expectEmpty404(`${BASE}/api/share/${"A".repeat(43)}`);
    const malformed = await expectEmpty404(`${BASE}/api/share/not-a-token`);
    // No hint which: the same status, the same (empty) body, the same headers.
    const headerNames = (r: Response) => [...r.headers.keys()].sort();
    for (const r of [revoked, unknown, malformed]) expect(headerNames(r)).toEqual(headerNames(expired));

    // The file itself is untouched, and a new link works again.
    expect((await fetchLink((await shareOk(file.id)).url)).status).toBe(200);
  });

  it("another person can neither share nor revoke someone's file (404), and their attempt leaves the links working", async () => {
    const file = await upload(bot, pngFile("private.png"));
    const { url } = await shareOk(file.id);
    const member = browser(await addMember(owner));
    expectError(await share(file.id, undefined, member), 404);
    expectError(await member.as("DELETE", `/api/files/${file.id}/share`), 404);
    expect(await shareCount(file.id)).toBe(1);
    expect((await fetchLink(url)).status).toBe(200);
    // No such file, and no session at all.
    expectError(await share("no-such-file"), 404);
    expectError(await owner.as("DELETE", "/api/files/no-such-file/share"), 404);
    expectError(await call("POST", `/api/files/${file.id}/share`, { body: {}, headers: { origin: BASE } }), 401);
    expectError(await call("DELETE", `/api/files/${file.id}/share`, { headers: { origin: BASE } }), 401);
    // An API key is for the agent API: it cannot make a link either.
    expectError(await call("POST", `/api/files/${file.id}/share`, { body: {}, headers: { "x-api-key": bot.apiKey } }), 401);
  });

  it("stores only the token's SHA-256, never the token", async () => {
    const file = await upload(bot, pngFile("hashed.png"));
    const { url, expiresAt } = await shareOk(file.id);
    const token = tokenOf(url);
    const { results } = await env.DB.prepare("SELECT * FROM file_shares WHERE attachment_id = ?").bind(file.id).all<Record<string, unknown>>();
    expect(results).toHaveLength(1);
    const row = results[0]!;
    expect(row).toEqual({
      token_hash: await sha256Hex(token),
      attachment_id: file.id,
      user_id: owner.id,
      expires_at: expiresAt,
      created_at: expect.stringMatching(ISO),
    });
    const dump = await env.DB.prepare("SELECT * FROM file_shares").all();
    expect(JSON.stringify(dump.results)).not.toContain(token);
  });

  it("the OpenAPI document has the share routes, the link's GET without authentication", async () => {
    const doc = (await call("GET", "/api/openapi.json")).json;
    expect(doc.paths["/api/files/{id}/share"].post.requestBody.content["application/json"].schema.properties).toHaveProperty("expiresInSeconds");
    expect(doc.paths["/api/files/{id}/share"].delete).toBeDefined();
    expect(doc.paths["/api/share/{token}"].get.security).toEqual([]);
    const gallery = doc.paths["/api/files"].get.parameters.map((p: { name: string }) => p.name);
    expect(gallery).toEqual(expect.arrayContaining(["type", "agent", "search", "cursor", "limit", "channel"]));
  });

  it("the hourly clean-up deletes expired links and keeps live ones", async () => {
    const file = await upload(bot, pngFile("cleanup.png"));
    const live = await shareOk(file.id);
    const old = await shareOk(file.id, { expiresInSeconds: 60 });
    await env.DB.prepare("UPDATE file_shares SET expires_at = ? WHERE token_hash = ?")
      .bind(new Date(Date.now() - 60_000).toISOString(), await sha256Hex(tokenOf(old.url)))
      .run();
    const report = await runMaintenance(env, Date.now());
    expect(report.failed).toEqual([]);
    expect(report.removed.shareLinks).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare("SELECT token_hash FROM file_shares WHERE attachment_id = ?").bind(file.id).all<{ token_hash: string }>();
    expect(left.results.map((r) => r.token_hash)).toEqual([await sha256Hex(tokenOf(live.url))]);
    expect((await fetchLink(live.url)).status).toBe(200);
  });
});

// ================================================================================================
describe("the Files page list (GET /api/files)", () => {
  // A person of their own, so the other tests' files are someone else's here.
  let person: Person;
  let alpha: Bot;
  let beta: Bot;
  let betaId: string;
  const names: Record<string, string> = {};

  /** Each kind's files, as the filter must find them. */
  const KINDS = {
    image: ["photo.png", "Icon.svg"],
    pdf: ["Report.pdf"],
    video: ["clip.mp4"],
    audio: ["song.mp3"],
    text: ["notes.md", "data.json", "feed.atom"],
    other: ["archive.zip", "blob.bin"],
  };
  const TYPES: Record<string, string> = {
    "photo.png": "image/png",
    "Icon.svg": "image/svg+xml",
    "Report.pdf": "application/pdf",
    "clip.mp4": "video/mp4",
    "song.mp3": "audio/mpeg",
    "notes.md": "text/markdown",
    "data.json": "application/json",
    "feed.atom": "application/atom+xml",
    "archive.zip": "application/zip",
    "blob.bin": "application/octet-stream",
  };
  const ALPHA_FILES = ["photo.png", "Report.pdf", "clip.mp4", "notes.md", "archive.zip"];

  const list = (query = "", as: Person = person) => as.as("GET", `/api/files${query}`);
  const filenames = (res: { json: { data: { filename: string }[] } }) => res.json.data.map((f) => f.filename).sort();

  beforeAll(async () => {
    person = browser(await addMember(owner));
    alpha = await agentWithKey(person, "Alpha");
    beta = await agentWithKey(person, "Beta");
    // One key reaches both agents of the person: name the channel on every upload.
    betaId = beta.agent.id;
    for (const [name, type] of Object.entries(TYPES)) {
      const as = ALPHA_FILES.includes(name) ? alpha : beta;
      const channel = ALPHA_FILES.includes(name) ? alpha.agent.id : betaId;
      const file = await upload(as, new File([`bytes of ${name}`], name, { type }), channel);
      names[file.id] = name;
    }
    // Stored but never attached: no message to link to, so not on the page.
    const stored = await call("POST", "/api/v1/files/store", {
      raw: form({ file: new File(["loose"], "unattached.txt", { type: "text/plain" }), channelId: alpha.agent.id }),
      headers: { "x-api-key": alpha.apiKey },
    });
    expect(stored.status, stored.text).toBe(201);
  });

  it("lists the person's attached files across agents, newest first, with each agent's name; never unattached or other people's files", async () => {
    const res = await list();
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(["data", "nextCursor"]);
    expect(res.json.nextCursor).toBeNull();
    expect(filenames(res)).toEqual(Object.keys(TYPES).sort());
    const ids: string[] = res.json.data.map((f: { id: string }) => f.id);
    expect(ids).toEqual([...ids].sort().reverse());
    const photo = res.json.data.find((f: { filename: string }) => f.filename === "photo.png");
    expect(photo).toEqual({
      id: expect.any(String),
      filename: "photo.png",
      mimeType: "image/png",
      size: "bytes of photo.png".length,
      messageId: expect.any(String),
      channelId: alpha.agent.id,
      createdAt: expect.stringMatching(ISO),
      agentName: "Alpha",
    });
    expect(res.json.data.find((f: { filename: string }) => f.filename === "song.mp3").agentName).toBe("Beta");
    // The owner's files (the share tests') are theirs, and the owner sees none of this person's.
    const owners = await list("", owner);
    expect(owners.status).toBe(200);
    expect(owners.json.data.length).toBeGreaterThan(0);
    for (const f of owners.json.data) expect(Object.values(names)).not.toContain(f.filename);
    expect(owners.json.data.every((f: { channelId: string }) => f.channelId === bot.agent.id)).toBe(true);
    // Signed out: 401.
    expectError(await call("GET", "/api/files"), 401);
  });

  it("filters by kind: image, pdf, video, audio, text (code and data included) and other", async () => {
    for (const [kind, expected] of Object.entries(KINDS)) {
      const res = await list(`?type=${kind}`);
      expect(res.status, res.text).toBe(200);
      expect(filenames(res), kind).toEqual([...expected].sort());
      // The SQL filter and the contract's fileKindOf (the web app's label) agree.
      for (const name of expected) expect(fileKindOf(TYPES[name]!), name).toBe(kind);
    }
  });

  it("filters by agent and searches by name (a case-insensitive substring), together with the kind", async () => {
    expect(filenames(await list(`?agent=${alpha.agent.id}`))).toEqual([...ALPHA_FILES].sort());
    expect(filenames(await list(`?agent=${betaId}&type=text`))).toEqual(["data.json", "feed.atom"]);
    expect(filenames(await list("?search=REPORT"))).toEqual(["Report.pdf"]);
    expect(filenames(await list("?search=.P"))).toEqual(["Report.pdf", "photo.png"]);
    expect(filenames(await list(`?search=.&agent=${alpha.agent.id}&type=image`))).toEqual(["photo.png"]);
    // LIKE's pattern characters are plain characters here.
    expect((await list("?search=%25")).json.data).toEqual([]);
    expect((await list("?search=_")).json.data).toEqual([]);
    // Another person's agent: 404, as everywhere else; an agent of the person's with no match: empty.
    expectError(await list(`?agent=${bot.agent.id}`), 404);
    expect((await list(`?agent=${alpha.agent.id}&search=nothing-like-it`)).json).toEqual({ data: [], nextCursor: null });
  });

  it("pages newest first with a cursor, filters kept", async () => {
    const all = (await list()).json.data.map((f: { id: string }) => f.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status, res.text).toBe(200);
      expect(res.json.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.json.data.map((f: { id: string }) => f.id));
      cursor = res.json.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 3) + (all.length % 3 === 0 ? 1 : 0));
    const texts = await list("?type=text&limit=2");
    expect(texts.json.data).toHaveLength(2);
    const rest = await list(`?type=text&limit=2&cursor=${texts.json.nextCursor}`);
    expect([...texts.json.data, ...rest.json.data].map((f: { filename: string }) => f.filename).sort()).toEqual([...KINDS.text].sort());
  });

  it("refuses a bad query with a 400 listing every problem", async () => {
    const res = await list(`?type=document&limit=0&search=${"x".repeat(201)}&agent=${"x".repeat(LIMITS.id + 1)}`);
    expectError(res, 400, ["query.type", "query.limit", "query.search", "query.agent"]);
    for (const limit of ["101", "abc", "1.5"]) expectError(await list(`?limit=${limit}`), 400, ["query.limit"]);
    expectError(await list(`?cursor=${"x".repeat(201)}`), 400, ["query.cursor"]);
  });

  it("with a channel, GET /api/files is still that channel's list (as GET /api/v1/files answers it)", async () => {
    const res = await list(`?channel=${alpha.agent.id}`);
    expect(res.status, res.text).toBe(200);
    expect(Array.isArray(res.json)).toBe(true);
    expect(res.json).toEqual((await alpha.v1("GET", `/files?channel=${alpha.agent.id}`)).json);
    // The unattached file is in the channel's list (it is not on the Files page).
    expect(res.json.map((f: { filename: string }) => f.filename)).toContain("unattached.txt");
  });
});
