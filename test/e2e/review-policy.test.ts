// Team decisions against a real `wrangler dev` (issue 16): a review's escalation is a timer in its room's
// storage, so it happens on time even when the server is stopped in between and started again on the same
// local state: nothing but the room's own alarm wakes it (the test only reads D1 through the API). The
// escalated person, refused before (403), may answer after; the chat has the system line, the audit log
// the entry. Reminders run on the same stored timers; being at least 300 s apart, their restart is
// tested in workerd (review-policy.test.ts in test/worker, with runDurableObjectAlarm), not here.
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

  it("escalations fire from the room's stored timers across a restart: one due while the server was down, one on time after; the escalated person may then answer", async () => {
    const ask = async (text: string, afterSeconds: number) => {
      const posted = await call(
        "POST",
        "/api/v1/messages",
        { apiKey: t.apiKey },
        {
          channelId: t.channelId,
          text,
          review: { ...approval, assignees: [t.ann.email], escalate: { afterSeconds, to: [t.bob.email] }, expiresInSeconds: 600 },
        },
      );
      expect(posted.status, posted.text).toBe(201);
      return { id: posted.json.id as string, due: Date.parse(posted.json.createdAt) + afterSeconds * 1000 };
    };
    const early = await ask("Rotate the keys?", 8);
    const late = await ask("Rotate the other keys?", 20);
    const refused = await call("POST", `/api/messages/${early.id}/respond`, { cookie: t.bob.cookie }, { response: { selectedOption: "approve" } });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.json.message).toBe("This review is assigned to Ann; waiting for Ann");

    // Stopped before the first escalation is due, started again after it: the rooms only have their storage.
    await server.stop();
    await sleep(Math.max(0, early.due - Date.now() + 1000));
    const restarting = Date.now();
    server = await start(persist);
    console.log(`restart: ${Date.now() - restarting} ms`);

    /** Polls the review through D1 only (GET /reviews/:id never wakes a room) until Bob is an assignee; when that was seen. */
    const escalatedAt = async (id: string, ms: number) => {
      for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) {
        const res = await call("GET", `/api/v1/reviews/${id}?channel=${t.channelId}`, { apiKey: t.apiKey });
        expect(res.status, res.text).toBe(200);
        if (res.json.review.assignees.length === 2) {
          expect(res.json.review.assignees.map((p: { id: string }) => p.id)).toEqual([t.ann.id, t.bob.id]);
          return Date.now();
        }
      }
      throw new Error(`review ${id} not escalated within ${ms} ms`);
    };
    const first = await escalatedAt(early.id, 20_000);
    console.log(`escalation due while the server was down: seen ${first - restarting} ms after the restart began`);
    const second = await escalatedAt(late.id, late.due - Date.now() + 5000);
    console.log(`escalation due after the restart: seen ${second - late.due} ms after its time (polled every 100 ms)`);
    expect(second - late.due).toBeGreaterThanOrEqual(0);
    expect(second - late.due).toBeLessThan(1500);

    const list = await call("GET", `/api/v1/messages?channel=${t.channelId}&limit=10`, { apiKey: t.apiKey });
    for (const { id, after } of [
      { id: early.id, after: "8 s" },
      { id: late.id, after: "20 s" },
    ]) {
      const lines = list.json.data.filter(
        (m: { metadata: { system?: string; messageId?: string } | null }) => m.metadata?.system === "escalated" && m.metadata.messageId === id,
      );
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ senderType: "agent", text: `Escalated to Bob: no answer after ${after}` });
    }
    const trail = await call("GET", `/api/agents/${t.channelId}/audit?messageId=${early.id}`, { cookie: t.owner });
    expect(trail.status, trail.text).toBe(200);
    expect(trail.json.data.map((e: { action: string }) => e.action)).toEqual(["posted", "assigned", "escalated"]);

    const answered = await call("POST", `/api/messages/${early.id}/respond`, { cookie: t.bob.cookie }, { response: { selectedOption: "reject" } });
    expect(answered.status, answered.text).toBe(200);
    expect(answered.json.review).toMatchObject({ status: "completed", respondedBy: { id: t.bob.id, displayName: "Bob" }, resolution: "person" });
  }, 120_000);
});
