// Actionable Web Push inside workerd (issue 17): a pending review's notice carries, for each person who
// may answer it, an answer link of their own (shared by their devices) and, for a two-way choice, the
// actions the service worker shows; an action's POST answers with via "push-action". Once the review
// settles, a "settled" notice with the review's tag goes to the same devices. The push requests are caught
// at fetch and decrypted here (RFC 8291 / RFC 8188) with each device's keys, as a browser would.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addMember, agentWithKey, approval, call, setupOwner, type Person } from "./helpers";
import { browser, type Bot } from "./api-helpers";
import { sleep } from "../common";

const PUSH_HOST = "push.example.com";

interface Device {
  name: string;
  endpoint: string;
  keys: CryptoKeyPair;
  publicKey: Uint8Array;
  auth: Uint8Array;
}

interface Caught {
  device: string;
  body: Uint8Array;
}

const caught: Caught[] = [];
const b64u = (b: Uint8Array) =>
  btoa(String.fromCharCode(...b))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const bytes = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

async function hmac(key: Uint8Array, ...data: Uint8Array[]) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, concat(...data)));
}

async function newDevice(name: string): Promise<Device> {
  const keys = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", keys.publicKey)) as ArrayBuffer);
  return { name, endpoint: `https://${PUSH_HOST}/${name}`, keys, publicKey, auth: crypto.getRandomValues(new Uint8Array(16)) };
}

/** RFC 8291 over RFC 8188 (aes128gcm), as a user agent decrypts a push message. */
async function decrypt(device: Device, body: Uint8Array): Promise<Record<string, any>> {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const asKey = await crypto.subtle.importKey("raw", asPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const secret = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "ECDH", public: asKey } as unknown as SubtleCryptoDeriveKeyAlgorithm, device.keys.privateKey, 256),
  );
  const prkKey = await hmac(device.auth, secret);
  const ikm = await hmac(prkKey, bytes("WebPush: info\0"), device.publicKey, asPublic, new Uint8Array([1]));
  const prk = await hmac(salt, ikm);
  const cek = (await hmac(prk, bytes("Content-Encoding: aes128gcm\0"), new Uint8Array([1]))).slice(0, 16);
  const nonce = (await hmac(prk, bytes("Content-Encoding: nonce\0"), new Uint8Array([1]))).slice(0, 12);
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, ciphertext));
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  expect(padded[end]).toBe(2);
  return JSON.parse(new TextDecoder().decode(padded.subarray(0, end)));
}

let owner: Person;
let ann: Person;
let bob: Person;
let bot: Bot;
const devices: Record<string, Device> = {};
const originalFetch = globalThis.fetch;

beforeAll(async () => {
  // The push service: requests to PUSH_HOST are caught (201), everything else goes out as before.
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.host !== PUSH_HOST) return originalFetch(input, init);
    caught.push({ device: url.pathname.slice(1), body: new Uint8Array(await new Response(init?.body).arrayBuffer()) });
    return new Response(null, { status: 201 });
  });
  owner = browser(await setupOwner());
  ann = browser(await addMember(owner));
  bob = browser(await addMember(owner));
  bot = await agentWithKey(owner, "Push bot");
  for (const p of [ann, bob]) {
    const res = await owner.as("POST", `/api/agents/${bot.agent.id}/members`, { userId: p.id });
    expect(res.status, res.text).toBe(201);
  }
  // The owner has one device, Ann two (phone and laptop), Bob one.
  for (const [name, person] of [
    ["owner", owner],
    ["ann-phone", ann],
    ["ann-laptop", ann],
    ["bob", bob],
  ] as const) {
    const device = await newDevice(name);
    devices[name] = device;
    const res = await person.as("POST", "/api/push/subscribe", {
      endpoint: device.endpoint,
      expirationTime: null,
      keys: { p256dh: b64u(device.publicKey), auth: b64u(device.auth) },
    });
    expect(res.status, res.text).toBe(201);
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});

const decrypted: { device: string; notice: Record<string, any> }[] = [];

/** The notices matching `match` each device got, decrypted, once every device has one. */
async function notices(match: (n: Record<string, any>) => boolean, timeoutMs = 5000): Promise<Record<string, Record<string, any>[]>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    while (decrypted.length < caught.length) {
      const c = caught[decrypted.length]!;
      decrypted.push({ device: c.device, notice: await decrypt(devices[c.device]!, c.body) });
    }
    const got: Record<string, Record<string, any>[]> = {};
    for (const name of Object.keys(devices)) got[name] = decrypted.filter((d) => d.device === name && match(d.notice)).map((d) => d.notice);
    if (Object.values(got).every((list) => list.length > 0)) return got;
    if (Date.now() > end)
      throw new Error(`push: not every device got the notice: ${JSON.stringify(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.length])))}`);
    await sleep(50);
  }
}

const asked = (id: string) => (n: Record<string, any>) => n.messageId === id && n.type === undefined;
const settled = (id: string) => (n: Record<string, any>) => n.messageId === id && n.type === "settled";

async function ask(review: Record<string, unknown>, text = "Ship it?") {
  const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text, review });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; review: Record<string, any> };
}

const tokenPath = (answerUrl: string) => {
  expect(answerUrl).toMatch(/^\/r\/[A-Za-z0-9_-]{43}$/); // no PUBLIC_URL here: relative, the service worker resolves it
  return answerUrl;
};

describe("actionable web push", () => {
  it("an approval's notice carries its two actions and an answer link a person (their devices share it); the action's POST answers with via push-action", async () => {
    const two = {
      type: "approval",
      payload: {
        options: [
          { id: "approve", label: "Approve" },
          { id: "reject", label: "Reject" },
        ],
      },
    };
    const m = await ask(two);
    const got = await notices(asked(m.id));
    const actions = [
      { action: "approve", title: "Approve", response: { selectedOption: "approve" } },
      { action: "reject", title: "Reject", response: { selectedOption: "reject" } },
    ];
    for (const name of Object.keys(devices)) expect(got[name]![0], name).toMatchObject({ messageId: m.id, tag: m.id, review: true, actions });
    const urls = Object.fromEntries(Object.entries(got).map(([name, list]) => [name, tokenPath(list[0]!.answerUrl)]));
    expect(urls["ann-phone"]).toBe(urls["ann-laptop"]);
    expect(new Set([urls.owner, urls["ann-phone"], urls.bob]).size).toBe(3);

    // Ann's action: her answer, recorded as a push-action; the link is spent.
    const answered = await call("POST", urls["ann-phone"]!, {
      body: { response: { selectedOption: "approve" }, via: "push-action" },
      headers: { origin: "http://nod.test" },
    });
    expect(answered.status, answered.text).toBe(200);
    const settledReview = (await bot.v1("GET", `/reviews/${m.id}`)).json.review;
    expect(settledReview).toMatchObject({ status: "completed", response: { selectedOption: "approve" }, via: "push-action", respondedBy: { id: ann.id } });
    expect((await call("POST", urls["ann-laptop"]!, { body: { response: { selectedOption: "reject" }, via: "push-action" } })).status).toBe(409);
    expect((await notices(settled(m.id))).bob![0]).toMatchObject({ body: `Answered by ${settledReview.respondedBy.displayName}` });
  });

  it("the settle notice goes to the same devices, with the review's tag, once it is answered (here: in the app)", async () => {
    const m = await ask(approval);
    await notices(asked(m.id));
    const res = await owner.as("POST", `/api/messages/${m.id}/respond`, { response: { selectedOption: "reject" } });
    expect(res.status, res.text).toBe(200);
    const got = await notices(settled(m.id));
    for (const name of Object.keys(devices)) {
      const settle = got[name]![0];
      expect(settle, name).toEqual({
        type: "settled",
        title: "Push bot",
        body: "Answered by Owner",
        url: `/chat/${bot.agent.id}`,
        tag: m.id,
        channelId: bot.agent.id,
        messageId: m.id,
      });
    }
  });

  it("no actions for a review that is not a two-way choice; no answer link (nor actions) for a person who may not answer", async () => {
    const text = await ask({ type: "text-input", payload: {} });
    let got = await notices(asked(text.id));
    for (const name of Object.keys(devices)) {
      const notice = got[name]![0]!;
      expect(notice.actions, name).toBeUndefined();
      tokenPath(notice.answerUrl);
    }
    // A via the link may not claim is refused.
    const app = await call("POST", got.owner![0]!.answerUrl, { body: { response: { text: "no" }, via: "app" } });
    expect(app.status, app.text).toBe(400);
    // Three options do not fit Chrome's two actions: the click opens the answer page instead.
    const three = await ask({
      type: "approval",
      payload: {
        options: [
          { id: "a", label: "A" },
          { id: "b", label: "B" },
          { id: "c", label: "C" },
        ],
      },
    });
    got = await notices(asked(three.id));
    expect(got.owner![0]!.actions).toBeUndefined();
    expect(got.owner![0]!.answerUrl).toBeTruthy();

    // Assigned to Ann: only her devices get a link and the actions; the owner's and Bob's a plain notice.
    const assigned = await ask({ ...approval, assignees: [ann.email] });
    got = await notices(asked(assigned.id));
    for (const name of ["ann-phone", "ann-laptop"]) {
      expect(got[name]![0]!.actions.map((a: { action: string }) => a.action)).toEqual(["approve", "reject"]);
      tokenPath(got[name]![0]!.answerUrl);
    }
    for (const name of ["owner", "bob"]) {
      expect(got[name]![0]).toMatchObject({ messageId: assigned.id, review: true });
      expect(got[name]![0]!.answerUrl).toBeUndefined();
      expect(got[name]![0]!.actions).toBeUndefined();
    }
    // A message without a review: neither.
    const fyi = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "FYI" });
    got = await notices(asked(fyi.json.id));
    expect(Object.keys(got.owner![0]!).sort()).toEqual(["body", "channelId", "messageId", "review", "tag", "title", "url"]);
  });

  it("a retraction sends the settle notice too", async () => {
    const m = await ask({ type: "text-input", payload: {} });
    await notices(asked(m.id));
    expect((await bot.v1("DELETE", `/messages/${m.id}`)).status).toBe(200);
    expect((await notices(settled(m.id))).bob![0]).toMatchObject({ tag: m.id, body: "Withdrawn" });
  });

  it("a quorum's vote that does not decide sends no settle notice, the deciding one does; so does an expiry", async () => {
    const m = await ask({ ...approval, quorum: { count: 2 } });
    const got = await notices(asked(m.id));
    const vote = await call("POST", got.bob![0]!.answerUrl, { body: { response: { selectedOption: "approve" }, via: "push-action" } });
    expect(vote.status, vote.text).toBe(200);
    await sleep(300);
    await notices(() => true);
    expect(decrypted.filter((d) => settled(m.id)(d.notice))).toEqual([]);
    const decide = await ann.as("POST", `/api/messages/${m.id}/respond`, { response: { selectedOption: "approve" } });
    expect(decide.status, decide.text).toBe(200);
    expect((await notices(settled(m.id))).owner![0]).toMatchObject({ tag: m.id, body: `Answered by ${decide.json.review.respondedBy.displayName}` });

    const expiring = await ask({ type: "text-input", payload: {}, expiresInSeconds: 1 });
    await notices(asked(expiring.id));
    expect((await notices(settled(expiring.id), 8000))["ann-phone"]!).toMatchObject([{ tag: expiring.id, body: "Expired" }]);
  });
});
