// Web Push end to end. A push service of our own on https://127.0.0.1 (certificate from global-setup.ts,
// trusted by the Worker started here through NODE_EXTRA_CA_CERTS) checks each request as a real push
// service would (RFC 8030 headers, the VAPID JWT of RFC 8292 against the advertised key) and decrypts
// the body (RFC 8291 / RFC 8188) with the subscription's private key. Then Chromium turns the
// Notifications setting on.
import { createECDH, createHmac, createDecipheriv, createPublicKey, randomBytes, verify, type ECDH } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAgent, http, launchBrowser, openApp, startFreshServer, type Opened, type TestAgent } from "./web-helpers";
import { sleep, sessionCookie } from "../common";

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const fromB64u = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));

interface Hit {
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** A push service on https://127.0.0.1: answers each path with its configured status (default 201). */
class PushService {
  readonly hits: Hit[] = [];
  readonly status = new Map<string, number>();
  delayMs = 0;
  private server!: Server;
  origin = "";

  async start() {
    const tls = inject("localTls");
    this.server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const path = req.url ?? "/";
        this.hits.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
        if (this.delayMs) await sleep(this.delayMs);
        res.writeHead(this.status.get(path) ?? 201).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.origin = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
  async next(path: string, after: number, timeoutMs = 10_000): Promise<Hit> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.hits.slice(after).find((h) => h.path === path);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no push request to ${path}`);
      await sleep(50);
    }
  }
}

/** A browser's side of a subscription: its ECDH key pair and auth secret. */
interface Device {
  endpoint: string;
  ecdh: ECDH;
  auth: Buffer;
}

function newDevice(origin: string, name: string): Device {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { endpoint: `${origin}/push/${name}`, ecdh, auth: randomBytes(16) };
}

const hmac = (key: Uint8Array, ...data: Uint8Array[]) => {
  const h = createHmac("sha256", key);
  for (const d of data) h.update(d);
  return h.digest();
};

/** RFC 8291 (Web Push encryption) over RFC 8188 (aes128gcm), as a user agent decrypts a push message. */
function decrypt(device: Device, body: Buffer): string {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  expect(idlen).toBe(65);
  expect(ciphertext.length).toBeLessThanOrEqual(rs);
  const uaPublic = device.ecdh.getPublicKey();
  const ecdhSecret = device.ecdh.computeSecret(asPublic);
  const prkKey = hmac(device.auth, ecdhSecret);
  const ikm = hmac(prkKey, Buffer.from("WebPush: info\0"), uaPublic, asPublic, Buffer.from([1]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0"), Buffer.from([1])).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0"), Buffer.from([1])).subarray(0, 12);
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last (here: only) record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  expect(padded[end]).toBe(2);
  return padded.subarray(0, end).toString("utf8");
}

/** Checks a push request as a push service does, and returns the decrypted JSON. */
function accept(hit: Hit, device: Device, vapidKey: string, origin: string): Record<string, unknown> {
  expect(hit.headers["content-encoding"]).toBe("aes128gcm");
  expect(Number(hit.headers.ttl)).toBeGreaterThan(0);
  const auth = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(String(hit.headers.authorization));
  expect(auth, `Authorization: ${hit.headers.authorization}`).not.toBeNull();
  const [, jwt, k] = auth!;
  expect(k).toBe(vapidKey);
  const [h, p, s] = jwt!.split(".") as [string, string, string];
  expect(JSON.parse(Buffer.from(h, "base64url").toString())).toMatchObject({ alg: "ES256" });
  const raw = fromB64u(vapidKey);
  expect(raw.length).toBe(65);
  const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) }, format: "jwk" });
  expect(verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url"))).toBe(true);
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  expect(claims.aud).toBe(origin);
  expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
  expect(claims.exp).toBeLessThanOrEqual(Date.now() / 1000 + 24 * 60 * 60);
  expect(claims.sub).toMatch(/^(mailto:|https:)/);
  return JSON.parse(decrypt(device, hit.body));
}

let server: Awaited<ReturnType<typeof startFreshServer>>;
let cookie: string;
const push = new PushService();

beforeAll(async () => {
  // A server of our own, started in this test process: its miniflare reads NODE_EXTRA_CA_CERTS.
  server = await startFreshServer();
  const res = await fetch(`${server.url}/api/auth/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery", displayName: "Owner" }),
  });
  expect(res.status).toBe(201);
  cookie = sessionCookie(res);
  await push.start();
});
afterAll(async () => {
  await push.stop();
  await server?.dispose();
});

async function subscribe(device: Device, as = cookie) {
  const res = await http(
    server.url,
    "POST",
    "/api/push/subscribe",
    { endpoint: device.endpoint, expirationTime: null, keys: { p256dh: b64u(device.ecdh.getPublicKey()), auth: b64u(device.auth) } },
    { cookie: as, origin: server.url },
  );
  expect(res.status).toBe(201);
}

/** A person the owner creates, signed in: their session cookie. */
async function newPerson(email: string, displayName: string) {
  const password = "correct horse battery";
  expect((await http(server.url, "POST", "/api/users", { email, password, displayName }, { cookie, origin: server.url })).status).toBe(201);
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return sessionCookie(res);
}

describe("web push to a local push service", () => {
  let agent: TestAgent;
  let vapidKey: string;
  const phone = () => newDevice(push.origin, "phone");
  let devices: { phone: Device; laptop: Device };

  beforeAll(async () => {
    agent = await createAgent(server.url, cookie, "Deploy bot");
    vapidKey = (await http(server.url, "GET", "/api/push/vapid-key", undefined, { cookie })).json.publicKey;
    devices = { phone: phone(), laptop: newDevice(push.origin, "laptop") };
    await subscribe(devices.phone);
    await subscribe(devices.laptop);
  });

  it("sends each agent message to every device of the owner, signed with the advertised VAPID key and encrypted for the device", async () => {
    const before = push.hits.length;
    const msg = await agent.post({ text: "Build 412 is green." });
    for (const device of [devices.phone, devices.laptop]) {
      const hit = await push.next(new URL(device.endpoint).pathname, before);
      expect(accept(hit, device, vapidKey, push.origin)).toEqual({
        title: "Deploy bot",
        body: "Build 412 is green.",
        url: `/chat/${agent.id}`,
        tag: msg.id,
        channelId: agent.id,
        messageId: msg.id,
        review: false,
      });
    }
  });

  it("a review request says so; a file without text says 'sent a file'", async () => {
    let before = push.hits.length;
    const review = await agent.post({ review: { type: "text-input", payload: { placeholder: "Why?" } } });
    let hit = await push.next("/push/phone", before);
    expect(accept(hit, devices.phone, vapidKey, push.origin)).toMatchObject({
      title: "Deploy bot",
      body: "asks for your review",
      review: true,
      messageId: review.id,
      url: `/chat/${agent.id}`,
    });
    expect(hit.headers.urgency).toBe("high");
    // Its topic is the message: a notice still queued for an offline device is replaced by the next one for it.
    expect(hit.headers.topic).toBe(review.id);
    before = push.hits.length;
    const answered = await http(server.url, "POST", `/api/messages/${review.id}/respond`, { response: { text: "Because." } }, { cookie, origin: server.url });
    expect(answered.status).toBe(200);
    hit = await push.next("/push/phone", before);
    expect(accept(hit, devices.phone, vapidKey, push.origin)).toMatchObject({ type: "settled", tag: review.id, messageId: review.id });
    expect(hit.headers.topic).toBe(review.id);

    before = push.hits.length;
    const asked = await agent.post({ text: "Deploy v2.1 to production?", review: { type: "approval", payload: { options: [{ id: "yes", label: "Yes" }] } } });
    hit = await push.next("/push/phone", before);
    expect(accept(hit, devices.phone, vapidKey, push.origin)).toMatchObject({ body: "Deploy v2.1 to production?", review: true, messageId: asked.id });

    before = push.hits.length;
    const file = await agent.upload("report.csv", "text/csv", "a,b\n1,2\n");
    hit = await push.next("/push/phone", before);
    expect(accept(hit, devices.phone, vapidKey, push.origin)).toMatchObject({ title: "Deploy bot", body: "sent a file", messageId: file.id });
    expect(hit.headers.topic).toBeUndefined(); // not a review: nothing to replace it
  });

  it("a shared agent notifies its members' devices, not other people's; a review's priority sets the urgency; an escalation notifies the people it names", async () => {
    const member = newDevice(push.origin, "member");
    const stranger = newDevice(push.origin, "stranger");
    await subscribe(member, await newPerson("mia@example.com", "Mia"));
    await subscribe(stranger, await newPerson("sam@example.com", "Sam"));
    const added = await http(server.url, "POST", `/api/agents/${agent.id}/members`, { userId: "mia@example.com" }, { cookie, origin: server.url });
    expect(added.status, JSON.stringify(added.json)).toBe(201);

    let before = push.hits.length;
    const shared = await agent.post({ text: "Nightly build is green." });
    const seen = await push.next("/push/member", before);
    expect(accept(seen, member, vapidKey, push.origin)).toMatchObject({ title: "Deploy bot", body: "Nightly build is green.", messageId: shared.id });
    await push.next("/push/phone", before);
    await sleep(300);
    expect(push.hits.slice(before).filter((h) => h.path === "/push/stranger")).toEqual([]);

    // Priority: low is low, urgent is high (a review without one stays high, as above).
    before = push.hits.length;
    await agent.post({ review: { type: "text-input", payload: {}, priority: "low" } });
    expect((await push.next("/push/phone", before)).headers.urgency).toBe("low");

    // An escalation after 1 s: the owner was assigned; Mia is told, by name, and only her devices.
    before = push.hits.length;
    const asked = await agent.post({
      text: "Roll back?",
      review: { type: "text-input", payload: {}, assignees: ["owner@example.com"], escalate: { afterSeconds: 1, to: ["mia@example.com"] }, priority: "urgent" },
    });
    expect((await push.next("/push/phone", before)).headers.urgency).toBe("high");
    const notices = (path: string, device: Device) =>
      push.hits
        .slice(before)
        .filter((h) => h.path === path)
        .map((h) => ({ ...(accept(h, device, vapidKey, push.origin) as { title: string; messageId: string }), urgency: h.headers.urgency }));
    const escalatedTitle = "Escalated to you: Deploy bot";
    for (const end = Date.now() + 10_000; !notices("/push/member", member).some((n) => n.title === escalatedTitle); await sleep(100)) {
      if (Date.now() > end) throw new Error("no escalation notice on Mia's device");
    }
    expect(notices("/push/member", member).find((n) => n.title === escalatedTitle)).toMatchObject({ body: "Roll back?", messageId: asked.id, urgency: "high" });
    await sleep(300);
    expect(notices("/push/phone", devices.phone).filter((n) => n.title === escalatedTitle)).toEqual([]);
    expect(notices("/push/stranger", stranger)).toEqual([]);
  });

  it("a person's own message sends nothing", async () => {
    const before = push.hits.length;
    expect((await http(server.url, "POST", "/api/messages", { channelId: agent.id, text: "On it." }, { cookie, origin: server.url })).status).toBe(201);
    await agent.post({ text: "marker" });
    await push.next("/push/phone", before);
    await sleep(300);
    const bodies = push.hits
      .slice(before)
      .filter((h) => h.path === "/push/phone")
      .map((h) => accept(h, devices.phone, vapidKey, push.origin).body);
    expect(bodies).toEqual(["marker"]);
  });

  it("never delays the agent's 201, even when the push service is slow", async () => {
    push.delayMs = 3000;
    try {
      const before = push.hits.length;
      const started = Date.now();
      await agent.post({ text: "quick" });
      expect(Date.now() - started).toBeLessThan(1500);
      await push.next("/push/phone", before);
    } finally {
      push.delayMs = 0;
    }
  });

  it("a 410 or 404 deletes the subscription; a 500 is logged and the others still get theirs", async () => {
    const gone = newDevice(push.origin, "gone");
    const missing = newDevice(push.origin, "missing");
    const broken = newDevice(push.origin, "broken");
    push.status.set("/push/gone", 410);
    push.status.set("/push/missing", 404);
    push.status.set("/push/broken", 500);
    for (const d of [gone, missing, broken]) await subscribe(d);

    let before = push.hits.length;
    await agent.post({ text: "first" });
    for (const path of ["/push/gone", "/push/missing", "/push/broken", "/push/phone", "/push/laptop"]) await push.next(path, before);

    // The next message reaches the kept subscriptions only: 410 and 404 removed theirs.
    await sleep(500);
    before = push.hits.length;
    await agent.post({ text: "second" });
    for (const path of ["/push/broken", "/push/phone", "/push/laptop"]) await push.next(path, before);
    await sleep(1000);
    const paths = push.hits.slice(before).map((h) => h.path);
    expect(paths).not.toContain("/push/gone");
    expect(paths).not.toContain("/push/missing");
  });

  it("unsubscribing stops a device's notifications", async () => {
    expect((await http(server.url, "DELETE", "/api/push/subscribe", { endpoint: devices.laptop.endpoint }, { cookie, origin: server.url })).status).toBe(200);
    const before = push.hits.length;
    await agent.post({ text: "after unsubscribe" });
    await push.next("/push/phone", before);
    await sleep(500);
    expect(push.hits.slice(before).map((h) => h.path)).not.toContain("/push/laptop");
  });
});

/** Stands in for PushManager.subscribe/getSubscription (see "the Notifications setting in Chromium"). */
async function standIn(context: Opened["context"], device: Device) {
  await context.addInitScript(
    ({ endpoint, p256dh, auth }) => {
      if (typeof PushManager === "undefined") return;
      const w = window as unknown as { __pushStandIn: { subscribeCalls: { userVisibleOnly?: boolean; key: string }[]; current: unknown } };
      const state = { subscribeCalls: [] as { userVisibleOnly?: boolean; key: string }[], current: null as unknown };
      w.__pushStandIn = state;
      // This function runs in the page (Playwright serializes it), so it cannot import test/common.ts's codec.
      const b64u = (buf: ArrayBuffer | ArrayBufferView) =>
        btoa(String.fromCharCode(...new Uint8Array(ArrayBuffer.isView(buf) ? buf.buffer : buf)))
          .replace(/\+/g, "-")
          .replace(/\//g, "_")
          .replace(/=+$/, "");
      PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
        const key = options?.applicationServerKey as ArrayBufferView;
        state.subscribeCalls.push({ userVisibleOnly: options?.userVisibleOnly, key: b64u(key) });
        const sub = {
          endpoint,
          expirationTime: null,
          options: { userVisibleOnly: true, applicationServerKey: new Uint8Array(key.buffer).buffer },
          toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
          unsubscribe: async () => {
            state.current = null;
            return true;
          },
        };
        state.current = sub;
        return sub as unknown as PushSubscription;
      };
      PushManager.prototype.getSubscription = async () => state.current as PushSubscription | null;
    },
    { endpoint: device.endpoint, p256dh: b64u(device.ecdh.getPublicKey()), auth: b64u(device.auth) },
  );
}

describe("the Notifications setting in Chromium", () => {
  let browser: Browser;
  let opened: Opened | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
  });

  // What Chromium cannot do here: PushManager.subscribe() asks Google's push service (FCM), which this
  // machine cannot reach (in a persistent profile the call never settles; in Playwright's incognito-like
  // contexts Chromium refuses Push outright). So the test stands in for that one browser call, and only
  // it: an init script replaces PushManager.prototype.subscribe/getSubscription with a subscription whose
  // endpoint is the local push service above and whose keys the test holds. Everything else is the real
  // app in the real browser: the permission prompt (granted by the test), the service worker, the VAPID
  // key it subscribes with, POST/DELETE /api/push/subscribe; the Worker's push is then decrypted with those
  // keys, and handed to the real service worker over DevTools (ServiceWorker.deliverPushMessage), which
  // shows the notification.
  it("turns notifications on: the service worker is registered, the subscription stored and pushed to, and the notification shown; off again", async () => {
    const device = newDevice(push.origin, "chromium");
    const agent = await createAgent(server.url, cookie, "Browser bot");
    const vapidKey = (await http(server.url, "GET", "/api/push/vapid-key", undefined, { cookie })).json.publicKey as string;
    opened = await openApp(browser, server.url, { cookie });
    const { context, page, problems } = opened;
    await context.grantPermissions(["notifications"], { origin: server.url });
    await standIn(context, device);

    await page.goto("/settings/notifications");
    await page.getByText(/added to the Home Screen/).waitFor();
    const toggle = page.getByRole("switch", { name: "Push notifications in this browser" });
    await expect.poll(() => toggle.isEnabled()).toBe(true);
    expect(await toggle.isChecked()).toBe(false);
    await toggle.click();
    await expect.poll(() => toggle.isChecked(), { timeout: 10_000 }).toBe(true);

    // The real service worker is registered and active, and the app subscribed with the server's VAPID key.
    const sw = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return { script: reg.active?.scriptURL, scope: reg.scope, state: reg.active?.state, permission: Notification.permission };
    });
    expect(sw).toEqual({ script: `${server.url}/sw.js`, scope: `${server.url}/`, state: "activated", permission: "granted" });
    expect(await page.evaluate(() => (window as unknown as { __pushStandIn: { subscribeCalls: unknown[] } }).__pushStandIn.subscribeCalls)).toEqual([
      { userVisibleOnly: true, key: vapidKey },
    ]);

    // Stored: the next agent message is pushed to that subscription, encrypted for its keys.
    let before = push.hits.length;
    const msg = await agent.post({ text: "Ready to ship?", review: { type: "approval", payload: { options: [{ id: "ship", label: "Ship" }] } } });
    const notice = accept(await push.next("/push/chromium", before), device, vapidKey, push.origin);
    expect(notice).toMatchObject({ title: "Browser bot", body: "Ready to ship?", url: `/chat/${agent.id}`, messageId: msg.id, review: true });

    // The service worker shows it.
    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => registrations.push(...e.registrations));
    await cdp.send("ServiceWorker.enable");
    await expect.poll(() => registrations.find((r) => r.scopeURL === `${server.url}/` && !r.isDeleted)).toBeTruthy();
    const registrationId = registrations.find((r) => r.scopeURL === `${server.url}/` && !r.isDeleted)!.registrationId;
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: server.url, registrationId, data: JSON.stringify(notice) });
    const shown = () =>
      page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })),
      );
    // An approval the owner may answer: their answer link, and its one option as an action.
    const actions = [{ action: "ship", title: "Ship", response: { selectedOption: "ship" } }];
    expect(notice.answerUrl).toMatch(/^\/r\/[\w-]{43}$/);
    await expect
      .poll(shown)
      .toEqual([{ title: "Browser bot", body: "Ready to ship?", tag: msg.id, data: { url: `/chat/${agent.id}`, answerUrl: notice.answerUrl, actions } }]);

    // Off again: the server forgets the subscription, so the next message is not pushed to it.
    await toggle.click();
    await expect.poll(() => toggle.isChecked(), { timeout: 10_000 }).toBe(false);
    before = push.hits.length;
    await agent.post({ text: "anyone?" });
    await push.next("/push/phone", before);
    await sleep(500);
    expect(push.hits.slice(before).map((h) => h.path)).not.toContain("/push/chromium");
    expect(problems).toEqual([]);
  });
});

// Actionable notifications (issue 17): the real service worker shows an approval's options as actions,
// an action answers the review through the person's answer link (via "push-action") and the agent's
// long-poll gets it, and a review settled elsewhere takes its notification away. Chromium cannot dispatch
// a NotificationEvent from a test, so the test calls the very handler the service worker's notificationclick
// runs (`self.nodHandleNotificationClick`) with the real notification from getNotifications().
describe("actionable notifications in Chromium", () => {
  let browser: Browser;
  let opened: Opened | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await opened?.context.close();
    await browser?.close();
  });

  it("an approval shows two actions; the Approve action answers via push-action and the agent's wait returns it; a review answered elsewhere loses its notification", async () => {
    const device = newDevice(push.origin, "actions");
    const agent = await createAgent(server.url, cookie, "Action bot");
    const vapidKey = (await http(server.url, "GET", "/api/push/vapid-key", undefined, { cookie })).json.publicKey as string;
    opened = await openApp(browser, server.url, { cookie });
    const { context, page, problems } = opened;
    await context.grantPermissions(["notifications"], { origin: server.url });
    await standIn(context, device);
    await page.goto("/settings/notifications");
    const toggle = page.getByRole("switch", { name: "Push notifications in this browser" });
    await expect.poll(() => toggle.isEnabled()).toBe(true);
    await toggle.click();
    await expect.poll(() => toggle.isChecked(), { timeout: 10_000 }).toBe(true);
    await page.evaluate(() => navigator.serviceWorker.ready);

    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => registrations.push(...e.registrations));
    await cdp.send("ServiceWorker.enable");
    await expect.poll(() => registrations.find((r) => r.scopeURL === `${server.url}/` && !r.isDeleted)).toBeTruthy();
    const registrationId = registrations.find((r) => r.scopeURL === `${server.url}/` && !r.isDeleted)!.registrationId;
    /** The next push to this device (matching `match`), decrypted and handed to the real service worker. */
    const deliver = async (before: number, match: (n: Record<string, unknown>) => boolean) => {
      let notice: Record<string, unknown> | undefined;
      for (const end = Date.now() + 10_000; !notice; await sleep(50)) {
        notice = push.hits
          .slice(before)
          .filter((h) => h.path === "/push/actions")
          .map((h) => accept(h, device, vapidKey, push.origin))
          .find(match);
        if (!notice && Date.now() > end) throw new Error("no such push to the device");
      }
      await cdp.send("ServiceWorker.deliverPushMessage", { origin: server.url, registrationId, data: JSON.stringify(notice) });
      return notice;
    };
    const shown = (tag: string) =>
      page.evaluate(async (tag) => {
        const list = await (await navigator.serviceWorker.ready).getNotifications({ tag });
        return list.map((n) => ({
          title: n.title,
          body: n.body,
          actions: (n as unknown as { actions: { action: string; title: string }[] }).actions.map((a) => ({ action: a.action, title: a.title })),
        }));
      }, tag);
    const approval = {
      type: "approval",
      payload: {
        options: [
          { id: "approve", label: "Approve" },
          { id: "reject", label: "Reject" },
        ],
      },
    };

    // The approval's notification carries both options as actions.
    let before = push.hits.length;
    const asked = await agent.post({ text: "Deploy v3?", review: approval });
    const notice = await deliver(before, (n) => n.messageId === asked.id);
    expect(notice.answerUrl).toMatch(/^\/r\/[\w-]{43}$/);
    await expect
      .poll(() => shown(asked.id))
      .toEqual([
        {
          title: "Action bot",
          body: "Deploy v3?",
          actions: [
            { action: "approve", title: "Approve" },
            { action: "reject", title: "Reject" },
          ],
        },
      ]);

    // The agent waits; the person taps Approve: the service worker's click handler posts to the answer link.
    const waited = agent.wait(asked.id);
    const worker = context.serviceWorkers().find((w) => w.url() === `${server.url}/sw.js`) ?? (await context.waitForEvent("serviceworker"));
    await worker.evaluate(async (tag) => {
      const sw = self as unknown as { registration: ServiceWorkerRegistration; nodHandleNotificationClick(n: Notification, action: string): Promise<unknown> };
      const [n] = await sw.registration.getNotifications({ tag });
      if (!n) throw new Error("no notification to click");
      await sw.nodHandleNotificationClick(n, "approve");
    }, asked.id);
    const result = await waited;
    expect(result).toMatchObject({
      status: "completed",
      message: { review: { status: "completed", response: { selectedOption: "approve" }, via: "push-action" } },
    });
    await expect.poll(() => shown(asked.id)).toEqual([]);
    expect(context.pages()).toHaveLength(1); // answered in place: no window opened

    // Another review, answered elsewhere (the API): its settle push closes the notification here.
    before = push.hits.length;
    const other = await agent.post({ text: "Roll back v2?", review: approval });
    await deliver(before, (n) => n.messageId === other.id && n.type === undefined);
    await expect.poll(async () => (await shown(other.id)).length).toBe(1);
    before = push.hits.length;
    const answered = await http(
      server.url,
      "POST",
      `/api/messages/${other.id}/respond`,
      { response: { selectedOption: "reject" } },
      { cookie, origin: server.url },
    );
    expect(answered.status, JSON.stringify(answered.json)).toBe(200);
    const settled = await deliver(before, (n) => n.messageId === other.id && n.type === "settled");
    expect(settled).toMatchObject({ type: "settled", tag: other.id, body: "Answered by Owner" });
    await expect.poll(() => shown(other.id)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
