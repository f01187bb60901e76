// Team decisions against a real `wrangler dev` (issue 16): a review's escalation is a timer in its room's
// storage, so it happens on time even when the server is stopped in between and started again on the same
// local state: nothing but the room's own alarm wakes it (the test only reads D1 through the API). The
// escalated person, refused before (403), may answer after; the chat has the system line, the audit log
// the entry. A reminder (at least 300 s apart) across a restart takes over five minutes: set
// NOD_E2E_SLOW=1 to run that one too.
//
// This file starts its own server (not the shared one of global-setup.ts), stops it and starts it again.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionCookie, sleep } from "../common";

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** `wrangler dev` on a free port over the local state in `persist` (as dev-server.ts starts it, minus the clean-up). */
async function start(persist: string): Promise<Server> {
  process.env.WRANGLER_SEND_METRICS = "false";
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    entrypoint: "test/d1-limits/entry.ts",
    assets: join(persist, "assets"),
    bindings: { ALLOW_LOOPBACK_WEBHOOKS: { type: "plain_text", value: "true" } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist, watch: false, logLevel: "warn" },
  });
  await worker.ready;
  const url = (await worker.url).toString().replace(/\/$/, "");
  await fetch(`${url}/api/openapi.json`).then((res) => res.arrayBuffer()); // the Worker's first start
  return { url, stop: () => worker.dispose() };
}

let persist: string;
let server: Server;

beforeAll(async () => {
  persist = mkdtempSync(join(tmpdir(), "nod-review-policy-"));
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  cpSync("web/dist", join(persist, "assets"), { recursive: true });
  server = await start(persist);
});

afterAll(async () => {
  await server?.stop();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

async function call(method: string, path: string, auth: { cookie?: string; apiKey?: string }, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(auth.cookie ? { cookie: auth.cookie } : {}),
      ...(auth.apiKey ? { "x-api-key": auth.apiKey } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

interface Team {
  owner: string;
  ann: { id: string; cookie: string; email: string };
  bob: { id: string; cookie: string; email: string };
  channelId: string;
  apiKey: string;
}

async function team(): Promise<Team> {
  const setup = await fetch(`${server.url}/api/auth/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery", displayName: "Owner" }),
  });
  expect(setup.status).toBe(201);
  const owner = sessionCookie(setup);
  const person = async (name: string) => {
    const email = `${name.toLowerCase()}@example.com`;
    const created = await call("POST", "/api/users", { cookie: owner }, { email, password: "a member password", displayName: name });
    expect(created.status, created.text).toBe(201);
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "a member password" }),
    });
    return { id: created.json.id as string, cookie: sessionCookie(login), email };
  };
  const ann = await person("Ann");
  const bob = await person("Bob");
  const agent = await call("POST", "/api/agents", { cookie: owner }, { name: "Team bot" });
  const key = await call("POST", "/api/api-keys", { cookie: owner }, { label: "team", agentIds: [agent.json.id] });
  expect([agent.status, key.status]).toEqual([201, 201]);
  for (const p of [ann, bob]) {
    const added = await call("POST", `/api/agents/${agent.json.id}/members`, { cookie: owner }, { userId: p.email });
    expect(added.status, added.text).toBeLessThan(300);
  }
  return { owner, ann, bob, channelId: agent.json.id, apiKey: key.json.key };
}

const approval = {
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Approve" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
  },
};

describe("team decisions across a restart of the server", () => {
  let t: Team;
  beforeAll(async () => {
    t = await team();
  }, 60_000);

  it("an escalation fires on time from the room's stored timer after a restart; the escalated person may then answer", async () => {
    const posted = await call(
      "POST",
      "/api/v1/messages",
      { apiKey: t.apiKey },
      {
        channelId: t.channelId,
        text: "Rotate the keys?",
        review: { ...approval, assignees: [t.ann.email], escalate: { afterSeconds: 8, to: [t.bob.email] }, expiresInSeconds: 600 },
      },
    );
    expect(posted.status, posted.text).toBe(201);
    const id = posted.json.id as string;
    const due = Date.parse(posted.json.createdAt) + 8000;
    const refused = await call("POST", `/api/messages/${id}/respond`, { cookie: t.bob.cookie }, { response: { selectedOption: "approve" } });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.json.message).toBe("This review is assigned to Ann; waiting for Ann");

    // Stopped before the escalation is due, started again after it: the room only has its storage.
    await server.stop();
    await sleep(Math.max(0, due - Date.now() + 1000));
    const restarted = Date.now();
    server = await start(persist);

    // Read through D1 only (GET /reviews/:id does not wake the room): the room's alarm did it alone.
    let review: { assignees: { id: string }[] } | undefined;
    for (const until = Date.now() + 20_000; Date.now() < until; await sleep(100)) {
      const res = await call("GET", `/api/v1/reviews/${id}?channel=${t.channelId}`, { apiKey: t.apiKey });
      expect(res.status, res.text).toBe(200);
      review = res.json.review;
      if (review!.assignees.length === 2) break;
    }
    console.log(`escalation after a restart: ${Date.now() - due} ms after it was due, ${Date.now() - restarted} ms after the restart began`);
    expect(review!.assignees.map((p) => p.id)).toEqual([t.ann.id, t.bob.id]);

    const list = await call("GET", `/api/v1/messages?channel=${t.channelId}&limit=5`, { apiKey: t.apiKey });
    const line = list.json.data.find((m: { metadata: { system?: string; messageId?: string } | null }) => m.metadata?.system === "escalated");
    expect(line).toMatchObject({ senderType: "agent", text: "Escalated to Bob: no answer after 8 s", metadata: { messageId: id } });
    const trail = await call("GET", `/api/agents/${t.channelId}/audit?messageId=${id}`, { cookie: t.owner });
    expect(trail.status, trail.text).toBe(200);
    expect(trail.json.data.map((e: { action: string }) => e.action)).toEqual(["posted", "assigned", "escalated"]);

    const answered = await call("POST", `/api/messages/${id}/respond`, { cookie: t.bob.cookie }, { response: { selectedOption: "reject" } });
    expect(answered.status, answered.text).toBe(200);
    expect(answered.json.review).toMatchObject({ status: "completed", respondedBy: { id: t.bob.id, displayName: "Bob" }, resolution: "person" });
  }, 90_000);

  it.runIf(process.env.NOD_E2E_SLOW === "1")(
    "a reminder fires everySeconds after the post from the stored timer across a restart, names who has not answered, and stops at max",
    async () => {
      const posted = await call(
        "POST",
        "/api/v1/messages",
        { apiKey: t.apiKey },
        {
          channelId: t.channelId,
          text: "Renew the certificate?",
          review: { ...approval, assignees: [t.ann.email, t.bob.email], quorum: { count: 2 }, remind: { everySeconds: 300, max: 1 }, expiresInSeconds: 900 },
        },
      );
      expect(posted.status, posted.text).toBe(201);
      const id = posted.json.id as string;
      const due = Date.parse(posted.json.createdAt) + 300_000;
      const voted = await call("POST", `/api/messages/${id}/respond`, { cookie: t.ann.cookie }, { response: { selectedOption: "approve" } });
      expect(voted.json.review.status).toBe("pending");
      await server.stop();
      await sleep(5000);
      server = await start(persist);
      await sleep(Math.max(0, due - Date.now()));
      let reminded: { action: string; data: { to: string[] }; at: string } | undefined;
      for (const until = Date.now() + 20_000; Date.now() < until && !reminded; await sleep(200)) {
        const trail = await call("GET", `/api/agents/${t.channelId}/audit?messageId=${id}`, { cookie: t.owner });
        reminded = trail.json.data.find((e: { action: string }) => e.action === "reminded");
      }
      expect(reminded, "no reminder within 20 s of its time").toBeDefined();
      console.log(`reminder after a restart: ${Date.parse(reminded!.at) - due} ms after it was due`);
      expect(reminded!.data.to).toEqual([t.bob.id]);
    },
    420_000,
  );
});
