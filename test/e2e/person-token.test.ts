// A LangChain-style person socket (issue 14): a script signs in as a person with fetch, takes the
// session token from the login's `access_token` cookie, asks for a ws-ticket with
// `Authorization: Bearer <token>`, and follows a channel over Socket.IO like the web app does. Once with
// socket.io-client in process, once with Debian's python-socketio and requests; and the example that
// does it (examples/socketio/person.py).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { io, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { asOwner, nodUrl } from "./helpers";
import { describeRun, workspace, type Workspace } from "./seed-runner";

const PYTHON = "/usr/bin/python3"; // Debian's, which sees python3-socketio, python3-websocket and python3-requests
const PASSWORD = "a person's script password";
const example = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "socketio", "person.py");

const sockets = new Set<Socket>();
let ws: Workspace | undefined;

afterEach(() => {
  for (const s of sockets) s.disconnect();
  sockets.clear();
  ws?.cleanup();
  ws = undefined;
});

let counter = 0;

/** A new member, created by the owner, who then only ever signs in as a script would. */
async function newPerson() {
  const email = `script-person-${Date.now()}-${++counter}@example.com`;
  const created = await asOwner("POST", "/api/users", { email, password: PASSWORD, displayName: "Script person" });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return { id: created.json.id as string, email };
}

async function json(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${nodUrl()}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** Signs in with fetch and returns the session token: the value of the `access_token` cookie. */
async function signIn(email: string): Promise<string> {
  const res = await fetch(`${nodUrl()}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("access_token="));
  expect(cookie, "an access_token cookie").toBeDefined();
  return cookie!.slice("access_token=".length).split(";")[0]!;
}

/** An agent of the person and a key for it, made with the Bearer token alone. */
async function agentOf(auth: Record<string, string>) {
  const agent = await json("POST", "/api/agents", auth, { name: "Script bot" });
  expect(agent.status, JSON.stringify(agent.json)).toBe(201);
  const key = await json("POST", "/api/api-keys", auth, { label: "Script bot key", agentIds: [agent.json.id] });
  expect(key.status, JSON.stringify(key.json)).toBe(201);
  return { channelId: agent.json.id as string, apiKey: key.json.key as string };
}

function waitForEvent(socket: Socket, name: string, match: (data: any) => boolean, timeoutMs = 10_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} within ${timeoutMs} ms`)), timeoutMs);
    const handler = (data: unknown) => {
      if (!match(data)) return;
      clearTimeout(timer);
      socket.off(name, handler);
      resolve(data);
    };
    socket.on(name, handler);
  });
}

describe("a LangChain-style person socket", () => {
  it("fetch login → access_token → Bearer ws-ticket → socket.io-client on /ws gets message:created; logout closes it", async () => {
    const person = await newPerson();
    const token = await signIn(person.email);
    const auth = { authorization: `Bearer ${token}` };
    expect((await json("GET", "/api/auth/me", auth)).json).toMatchObject({ id: person.id, email: person.email });
    const { channelId, apiKey } = await agentOf(auth);

    const ticket = await json("POST", "/api/auth/ws-ticket", auth);
    expect(ticket.status, JSON.stringify(ticket.json)).toBe(200);
    const socket = io(`${nodUrl()}/ws`, { auth: { token: ticket.json.ticket }, forceNew: true, transports: ["websocket"], reconnection: false });
    sockets.add(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
    });
    expect(await socket.timeout(10_000).emitWithAck("subscribe:channel", channelId)).toMatchObject({ ok: true });

    const arrives = waitForEvent(socket, "message:created", (m) => m?.text === "Hello, person script");
    const posted = await json("POST", "/api/v1/messages", { "x-api-key": apiKey }, { channelId, text: "Hello, person script" });
    expect(posted.status, JSON.stringify(posted.json)).toBe(201);
    expect(await arrives).toEqual(posted.json);

    // The token is the session: logging out with it ends the socket and the token alike.
    const closed = new Promise<string>((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
    expect((await json("POST", "/api/auth/logout", auth)).status).toBe(200);
    expect(await closed).toBeTruthy();
    expect((await json("POST", "/api/auth/ws-ticket", auth)).status).toBe(401);
  }, 30_000);

  it("the same with Debian's python-socketio and requests", async () => {
    const person = await newPerson();
    ws = workspace();
    const script = join(ws.dir, "person_socket.py");
    writeFileSync(
      script,
      `
import json, sys, threading
import requests, socketio

URL, EMAIL, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]

login = requests.post(URL + "/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
login.raise_for_status()
token = login.cookies["access_token"]
auth = {"Authorization": "Bearer " + token}

agent = requests.post(URL + "/api/agents", json={"name": "Python person bot"}, headers=auth).json()
key = requests.post(URL + "/api/api-keys", json={"label": "python", "agentIds": [agent["id"]]}, headers=auth).json()["key"]
ticket = requests.post(URL + "/api/auth/ws-ticket", headers=auth).json()["ticket"]

got = threading.Event()
sio = socketio.Client()
printing = threading.Lock()  # the event handler prints from socketio's thread: print() is not one write

def say(line):
    with printing:
        print(line, flush=True)

@sio.on("message:created", namespace="/ws")
def created(message):
    say("message:created " + json.dumps(message))
    got.set()

sio.connect(URL, namespaces=["/ws"], auth={"token": ticket}, transports=["websocket"])
say("subscribed " + json.dumps(sio.call("subscribe:channel", agent["id"], namespace="/ws", timeout=10)))

posted = requests.post(URL + "/api/v1/messages", json={"channelId": agent["id"], "text": "Hello, python person"}, headers={"x-api-key": key})
say("posted " + json.dumps(posted.json()))
ok = got.wait(10)
sio.disconnect()
sys.exit(0 if ok else 3)
`,
    );
    const run = await ws.run(PYTHON, [script, nodUrl(), person.email, PASSWORD], { timeoutMs: 30_000 }).result;
    expect(run.code, describeRun(run)).toBe(0);
    const line = (prefix: string) => {
      const found = run.stdout.split("\n").find((l) => l.startsWith(`${prefix} `));
      expect(found, describeRun(run)).toBeDefined();
      return JSON.parse(found!.slice(prefix.length + 1));
    };
    expect(line("subscribed"), describeRun(run)).toMatchObject({ ok: true });
    const posted = line("posted");
    expect(line("message:created")).toEqual(posted);
    expect(posted).toMatchObject({ text: "Hello, python person", senderType: "agent" });
  }, 40_000);

  it("examples/socketio/person.py signs in as a person and approves the agent's question live", async () => {
    const person = await newPerson();
    const { channelId, apiKey } = await agentOf({ authorization: `Bearer ${await signIn(person.email)}` });
    ws = workspace();
    const run = ws.run(PYTHON, [example], {
      env: { NOD_URL: nodUrl(), NOD_EMAIL: person.email, NOD_PASSWORD: PASSWORD, NOD_CHANNEL: channelId },
      timeoutMs: 30_000,
    }).result;
    const asAgent = { "x-api-key": apiKey };
    const asked = await json("POST", "/api/v1/messages", asAgent, {
      channelId,
      text: "Restart the stuck worker?",
      review: {
        type: "approval",
        payload: {
          options: [
            { id: "restart", label: "Restart" },
            { id: "wait", label: "Leave it" },
          ],
        },
      },
    });
    expect(asked.status, JSON.stringify(asked.json)).toBe(201);
    const waited = await json("GET", `/api/v1/reviews/${asked.json.id}/wait?channel=${channelId}&timeout=20000`, asAgent);
    expect(waited.json, JSON.stringify(waited.json)).toMatchObject({ status: "completed", message: { review: { response: { selectedOption: "restart" } } } });
    const done = await run;
    expect(done.code, describeRun(done)).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`^Subscribed to ${channelId}$`, "m"));
    expect(done.stdout).toMatch(new RegExp(`^Answered ${asked.json.id}: restart$`, "m"));
  }, 40_000);
});
