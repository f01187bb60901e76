// Helpers for `npm run bench`: statistics, closed-loop load, HTTP calls to the app, webhook receivers, the
// reference Socket.IO server, socket.io-client sockets, and workerd's memory and CPU from /proc.
import { createHmac, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:http";
import { Server as SocketIOServer } from "socket.io";
import { io } from "socket.io-client";

/**
 * Resolves with `find()`'s first result: now, or when a later check (run through `waiters` by whoever
 * records new data) finds it; rejects with `failure()` after `ms`.
 */
function firstMatch(find, waiters, ms, failure) {
  const found = find();
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const check = () => {
      const hit = find();
      if (!hit) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(hit);
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(failure()));
    }, ms);
    waiters.add(check);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Monotonic milliseconds, for durations. */
export const now = () => performance.now();
/** Wall-clock milliseconds with sub-millisecond precision, for comparing with the server's timestamps. */
export const epochNow = () => performance.timeOrigin + performance.now();

// ---- statistics ---------------------------------------------------------------------------------

/** Nearest-rank percentile of an ascending, non-empty list. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

export function stats(xs) {
  if (!xs.length) return { n: 0, p50: NaN, p99: NaN, max: NaN, min: NaN, mean: NaN };
  const sorted = [...xs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1), min: sorted[0], mean };
}

/** Rounds every number of a stats object for the report. */
export const round = (s, digits = 2) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === "number" ? Number(v.toFixed(digits)) : v]));

// ---- closed-loop load: `clients` loops, each sending its next request when the last one ended --------

/** A request for closedLoop: GET `url`, good when it answers 200 (the body is read to its end). */
export const getOk = (url) => () =>
  fetch(url).then(async (r) => {
    await r.arrayBuffer();
    return r.status === 200;
  });

/**
 * Runs `clients` loops of `request(client)` for `durationMs`; counts the good answers and reads the CPU
 * the app's workerd processes (`app.workerdPids`, of which `app.proxyPid` is wrangler's dev proxy) spent.
 */
export async function closedLoop(app, clients, durationMs, request) {
  const latencies = [];
  let ok = 0;
  let errors = 0;
  const cpu0 = cpuSeconds(app.workerdPids);
  const proxy0 = app.proxyPid ? cpuSeconds([app.proxyPid]) : 0;
  const t0 = now();
  const end = t0 + durationMs;
  let last = t0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (now() < end) {
        const s = now();
        let good = false;
        try {
          good = await request(client);
        } catch {
          good = false;
        }
        const e = now();
        latencies.push(e - s);
        if (good) ok++;
        else errors++;
        if (e > last) last = e;
      }
    }),
  );
  const ms = last - t0;
  const workerdCpuMs = (cpuSeconds(app.workerdPids) - cpu0) * 1000;
  const proxyCpuMs = ((app.proxyPid ? cpuSeconds([app.proxyPid]) : 0) - proxy0) * 1000;
  const requests = Math.max(1, ok + errors);
  return {
    ok,
    errors,
    ms,
    perSecond: (ok / ms) * 1000,
    latency: stats(latencies),
    workerdCpuMsPerRequest: workerdCpuMs / requests,
    devProxyCpuMsPerRequest: proxyCpuMs / requests,
    workerdCores: workerdCpuMs / ms,
  };
}

// ---- the app's HTTP API -------------------------------------------------------------------------

/**
 * A response's sequential D1 round trips, as the bench's entry (test/d1-limits/dev-entry.ts) counts them in
 * the `x-nod-d1-round-trips` header (the room's included); undefined without the header.
 */
export function tripsOf(headers) {
  const value = headers.get("x-nod-d1-round-trips");
  return value === null ? undefined : Number(value);
}

/** The most frequent value of a list of counts (the one a request makes, rare extra work aside), and its range. */
export function countsOf(xs) {
  const seen = xs.filter((x) => x !== undefined);
  if (!seen.length) return { typical: undefined, min: undefined, max: undefined, n: 0 };
  const freq = new Map();
  for (const x of seen) freq.set(x, (freq.get(x) ?? 0) + 1);
  const typical = [...freq.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  return { typical, min: Math.min(...seen), max: Math.max(...seen), n: seen.length };
}

/** Sets the delay the bench's entry adds to every D1 round trip (test/d1-limits/round-trips.ts); checks it took. */
export async function setD1Delay(url, ms) {
  const res = await fetch(`${url}/api/__test/d1-delay?ms=${ms}`, { method: "POST" });
  const body = await res.json().catch(() => undefined);
  if (res.status !== 200 || body?.ms !== ms) throw new Error(`setting the D1 delay to ${ms} ms failed: ${res.status} ${JSON.stringify(body)}`);
}

export class Nod {
  constructor(url, cookie) {
    this.url = url;
    this.cookie = cookie;
  }

  /** Requests that wrangler's dev proxy answered "Your worker restarted mid-request" and were sent again. */
  proxyRetries = 0;

  async #call(headers, method, path, body) {
    const send = () =>
      fetch(`${this.url}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    let res = await send();
    let text = await res.text();
    // wrangler's dev proxy (not part of the app, not in production) answers this 503 when its
    // connection to the runtime broke before the request got through; it asks for a resend, and
    // retries GETs itself. Posts carry an Idempotency-Key, so a resend cannot create a duplicate.
    if (res.status === 503 && text.startsWith("Your worker restarted mid-request")) {
      this.proxyRetries++;
      res = await send();
      text = await res.text();
    }
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  }

  /** As the person (the owner's session cookie). */
  owner(method, path, body) {
    return this.#call({ cookie: this.cookie }, method, path, body);
  }

  /** As an agent (its API key). */
  agent(apiKey, method, path, body) {
    return this.#call({ "x-api-key": apiKey }, method, path, body);
  }

  /** A new agent (channel) of the owner and an API key scoped to it; with its webhook if given. */
  async newAgent(name, webhookUrl) {
    const agent = await this.owner("POST", "/api/agents", { name });
    const key = await this.owner("POST", "/api/api-keys", { label: name, agentIds: [agent.json?.id] });
    if (agent.status !== 201 || key.status !== 201) throw new Error(`agent setup failed: ${JSON.stringify([agent.json, key.json])}`);
    const out = { channelId: agent.json.id, apiKey: key.json.key };
    if (webhookUrl) {
      const patched = await this.owner("PATCH", `/api/agents/${out.channelId}`, { webhookUrl });
      if (patched.status !== 200) throw new Error(`webhook setup failed: ${JSON.stringify(patched.json)}`);
      const settings = await this.owner("GET", `/api/agents/${out.channelId}`);
      out.secret = settings.json.webhookSecret;
    }
    return out;
  }

  /** Another API key, scoped to the given channels. */
  async newKey(channelIds, label) {
    const key = await this.owner("POST", "/api/api-keys", { label, agentIds: channelIds });
    if (key.status !== 201) throw new Error(`key setup failed: ${JSON.stringify(key.json)}`);
    return key.json.key;
  }

  /** The agent posts a message (201 expected) and gets it back. */
  async post(agent, body) {
    const res = await this.agent(agent.apiKey, "POST", "/api/v1/messages", { channelId: agent.channelId, clientId: randomUUID(), ...body });
    if (res.status !== 201) throw new Error(`POST /api/v1/messages: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  }

  /** The person answers a posted message (its id and channelId); returns the response, when it had fully arrived (performance.now()) and its D1 round trips. */
  async answer(message, response = { selectedOption: "approve" }) {
    const sentAt = now();
    // With its channel, as the web app sends it: the room checks the session itself (worker/user-api/answer.ts).
    const res = await this.owner("POST", `/api/messages/${message.id}/respond?channel=${message.channelId}`, { response });
    const doneAt = now();
    if (res.status !== 200) throw new Error(`respond: ${res.status} ${JSON.stringify(res.json)}`);
    return { sentAt, doneAt, message: res.json, trips: tripsOf(res.headers) };
  }

  /** A long-poll on the review; resolves with its outcome and when its response had arrived. */
  wait(agent, messageId, timeoutMs = 30_000) {
    return fetch(`${this.url}/api/v1/reviews/${messageId}/wait?channel=${agent.channelId}&timeout=${timeoutMs}`, {
      headers: { "x-api-key": agent.apiKey },
    }).then(async (res) => {
      const json = await res.json();
      return { status: res.status, json, at: now(), epochAt: epochNow(), trips: tripsOf(res.headers) };
    });
  }
}

export const approval = {
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Approve", style: "primary" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
    allowComment: true,
  },
};

// ---- webhook receivers ----------------------------------------------------------------------------

/** A node:http receiver on 127.0.0.1 that records each request (with performance.now() at its end). */
export async function receiver() {
  const hits = [];
  const waiters = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      hits.push({ at: now(), method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      for (const w of waiters) w();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    /** Resolves with the first hit whose parsed body matches. */
    waitFor(match, ms = 10_000) {
      return firstMatch(
        () => hits.find((h) => match(JSON.parse(h.body))),
        waiters,
        ms,
        () => `no matching webhook within ${ms} ms (${hits.length} received)`,
      );
    },
    close: () => closeServer(server),
  };
}

/** Standard Webhooks: v1,base64(HMAC-SHA256(base64decode(secret minus whsec_), "id.timestamp.body")). */
export function signatureValid(hit, secret) {
  const id = hit.headers["webhook-id"];
  const timestamp = hit.headers["webhook-timestamp"];
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${hit.body}`).digest("base64")}`;
  return String(hit.headers["webhook-signature"] ?? "")
    .split(" ")
    .includes(expected);
}

export function closeServer(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

// ---- Socket.IO: clients, and the reference server ---------------------------------------------------

/**
 * A socket.io-client socket on `${base}/ws`; every event it receives is recorded with its arrival
 * time, and `waitFor` resolves when a matching one has arrived.
 */
export function connect(base, auth, transports) {
  const socket = io(`${base}/ws`, { auth, forceNew: true, transports, reconnection: false, timeout: 60_000 });
  const seen = [];
  const waiters = new Set();
  socket.onAny((name, ...args) => {
    seen.push({ name, data: args[0], at: now(), epochAt: epochNow() });
    for (const w of waiters) w();
  });
  function waitFor(name, match = () => true, ms = 10_000) {
    return firstMatch(
      () => seen.find((e) => e.name === name && match(e.data)),
      waiters,
      ms,
      () => `no ${name} within ${ms} ms`,
    );
  }
  const connected = (ms = 30_000) =>
    socket.connected
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`not connected within ${ms} ms`)), ms);
          socket.once("connect", () => {
            clearTimeout(timer);
            resolve();
          });
          socket.once("connect_error", (err) => {
            clearTimeout(timer);
            reject(new Error(`connect_error: ${err.message}`));
          });
        });
  const subscribe = async (channelId, ms = 30_000) => {
    const ack = await socket.timeout(ms).emitWithAck("subscribe:channel", channelId);
    if (ack?.ok !== true) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
  };
  /** Resolves at the server's next Engine.IO heartbeat ping. */
  const pinged = (ms = 60_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no heartbeat ping within ${ms} ms`)), ms);
      timer.unref();
      socket.io.once("ping", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  return { socket, seen, waitFor, connected, subscribe, pinged, close: () => socket.disconnect() };
}

/**
 * The reference: the official `socket.io` server on node:http in this process, namespace /ws, a
 * `subscribe:channel` that joins a room, and an HTTP handler (GET /emit?room=…&event=…) that emits
 * the stored payload (with the request's id) to the room and answers 200: a Socket.IO push with nothing else in the way.
 */
export async function referenceServer() {
  let payload = { hello: "world" };
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/emit") {
      ioServer
        .of("/ws")
        .to(url.searchParams.get("room") ?? "")
        .emit(url.searchParams.get("event") ?? "review:responded", { ...payload, id: url.searchParams.get("id") });
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
      return;
    }
    if (url.pathname === "/floor") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const ioServer = new SocketIOServer(http, { serveClient: false, cors: { origin: "*" } });
  ioServer.of("/ws").on("connection", (socket) => {
    socket.on("subscribe:channel", (room, ack) => {
      socket.join(String(room));
      if (typeof ack === "function") ack({ ok: true });
    });
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address();
  return {
    url: `http://127.0.0.1:${port}`,
    setPayload: (p) => (payload = p),
    close: () =>
      new Promise((resolve) => {
        ioServer.close(() => resolve());
        http.closeAllConnections?.();
      }),
  };
}

// ---- workerd's memory -------------------------------------------------------------------------------

function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) may contain spaces: everything after the last ')' is fields 3 onwards.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]), startTicks: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

const cmdline = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
};

/** The clock tick of this process's own start, to compare other processes' start times with. */
export const ownStartTicks = () => procStat(process.pid)?.startTicks ?? 0;

/**
 * The workerd processes this bench started: descendants of this process whose command line names
 * workerd (falling back to any workerd that started after this process did).
 */
export function findWorkerd(sinceTicks) {
  const pids = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const workerd = pids.filter((pid) => pid !== process.pid && /workerd/.test(cmdline(pid)));
  const descends = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 50; hops++) {
      const st = procStat(p);
      if (!st) return false;
      if (st.ppid === process.pid) return true;
      p = st.ppid;
    }
    return false;
  };
  const mine = workerd.filter(descends);
  if (mine.length) return mine;
  return workerd.filter((pid) => (procStat(pid)?.startTicks ?? 0) >= sinceTicks);
}

/** VmRSS in bytes, summed over the given processes; throws if one of them is gone (restarted). */
export function rssBytes(pids) {
  let total = 0;
  for (const pid of pids) {
    let status;
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      throw new Error(`workerd (pid ${pid}) is gone: the runtime restarted during the bench`);
    }
    const m = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
    if (m) total += Number(m[1]) * 1024;
  }
  return total;
}

/** CPU time the whole machine has spent busy (every core, every process), in seconds, from /proc/stat. */
export function machineBusySeconds() {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / 100;
}

/** CPU time (user + system) in seconds, summed over the given processes; clock ticks are 1/100 s on Linux. */
export function cpuSeconds(pids) {
  return pids.reduce((sum, pid) => sum + (procStat(pid)?.cpuTicks ?? 0) / 100, 0);
}

/** The pid (among `pids`) that listens on 127.0.0.1:`port`, from /proc/net/tcp and each process's fds. */
export function listenerPid(port, pids) {
  const inodes = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue; // LISTEN
      if (parseInt(f[1].split(":")[1], 16) === port) inodes.add(f[9]);
    }
  }
  for (const pid of pids) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        if (m && inodes.has(m[1])) return pid;
      } catch {}
    }
  }
  return undefined;
}

// ---- the memory floor of a WebSocket in workerd ------------------------------------------------------

/**
 * The runtime's own cost of idle WebSockets (bench/baselines/socket-memory): a bare Worker that hands each
 * WebSocket to one of 4 Durable Objects, which accept it with the hibernation API, keep a small attachment
 * and send one frame. Started as the app is, with wrangler and the app's shape (static assets in front, the
 * socket path routed to the Worker first), from a private copy of `dir`; its runtime process (not the dev
 * proxy) is measured as the app's is. `warm` sockets are opened first and kept, as scenario 6 does with the
 * app; then returns the RSS before and after `n` more opened in batches of 100 and left idle `settleMs`.
 */
export async function bareWebSocketMemory(n, warm, settleMs, sinceTicks, dir) {
  const { cpSync, mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { unstable_startWorker } = await import("wrangler");
  const { default: WebSocket } = await import("ws");
  const before = new Set(findWorkerd(sinceTicks));
  const work = mkdtempSync(join(tmpdir(), "nod-bench-bare-"));
  cpSync(dir, join(work, "app"), { recursive: true });
  const worker = await unstable_startWorker({
    config: join(work, "app", "wrangler.toml"),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: join(work, "state"), watch: false, logLevel: "warn" },
  });
  const sockets = [];
  try {
    await worker.ready;
    const base = (await worker.url).toString().replace(/\/$/, "");
    // Its runtime process: the new workerd that is not the dev proxy (on a loaded machine it may show up late).
    let pids = [];
    let pid;
    for (let tries = 0; !pid && tries < 50; tries++) {
      if (tries) await sleep(200);
      pids = findWorkerd(sinceTicks).filter((p) => !before.has(p));
      const proxyPid = listenerPid(Number(new URL(base).port), pids);
      pid = pids.find((p) => p !== proxyPid);
    }
    if (!pid) throw new Error(`the bare workerd runtime process was not found (${pids.join(", ")})`);
    const url = `${base.replace(/^http/, "ws")}/socket.io/`;
    const open = () =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        sockets.push(ws);
        ws.once("message", () => resolve());
        ws.once("error", reject);
      });
    // Warm: the objects exist and the code is compiled before the first reading.
    for (let i = 0; i < warm; i++) await open();
    await sleep(settleMs);
    const rssBefore = rssBytes([pid]);
    for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, open));
    await sleep(settleMs);
    const rssAfter = rssBytes([pid]);
    return { pid, rssBefore, rssAfter };
  } finally {
    for (const ws of sockets) ws.terminate();
    await worker.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- the runtime's own cost of releasing parked requests ----------------------------------------------

/**
 * The bare-runtime baseline of scenario 5: a Worker and one Durable Object holding `n` parked requests,
 * released at once, nothing else (bench/baselines/wait-release). Started as the app is, with wrangler
 * (its dev proxy in front, as in front of the app), on a free port of 127.0.0.1. Each request is a GET
 * whose Worker invocation makes one RPC call that the object parks; one POST hands them all `body`.
 * After a warm-up round of 50, returns each request's time from the release sent to its body arrived,
 * the release's own round trip and the CPU both workerd processes spent meanwhile: `atOnce` resolving
 * every parked call in one go, and `sliced` handing them out `slice` at a time with a turn of the event
 * loop between (the most the runtime allows for the first ones). It runs from a private copy of `dir`
 * (wrangler writes its bundles next to the config).
 */
export async function bareWaitRelease(n, body, sinceTicks, dir, slice) {
  const { cpSync, mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { unstable_startWorker } = await import("wrangler");
  const before = new Set(findWorkerd(sinceTicks));
  const work = mkdtempSync(join(tmpdir(), "nod-bench-bare-"));
  const persist = join(work, "state");
  cpSync(dir, join(work, "app"), { recursive: true });
  const worker = await unstable_startWorker({
    config: join(work, "app", "wrangler.toml"),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist, watch: false, logLevel: "warn" },
  });
  try {
    await worker.ready;
    const url = (await worker.url).toString().replace(/\/$/, "");
    const pids = findWorkerd(sinceTicks).filter((p) => !before.has(p));
    // wrangler's dev proxy resets a connection now and then on a loaded machine: a request that fails
    // before the release is sent again (a parked call of a dead request is released too, unseen).
    let releasing = false;
    const get = async (path) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fetch(`${url}${path}`);
        } catch (err) {
          if (releasing || attempt >= 5) throw err;
          await sleep(100);
        }
      }
    };
    const release = async (k, step) => {
      releasing = false;
      const waits = Array.from({ length: k }, () =>
        get("/wait").then(
          async (res) => {
            const text = await res.text();
            return res.status === 200 && text === body ? now() : new Error(`${res.status} ${text.slice(0, 100)}`);
          },
          (err) => err,
        ),
      );
      const t0 = now();
      while ((await (await get("/count")).json()) < k) {
        if (now() - t0 > 60_000) throw new Error(`bare waits: not all ${k} parked within 60 s`);
        await sleep(50);
      }
      await sleep(200);
      const cpu0 = cpuSeconds(pids);
      releasing = true;
      const sentAt = now();
      const res = await fetch(`${url}/release${step ? `?slice=${step}` : ""}`, { method: "POST", body });
      const { released } = await res.json();
      const doneAt = now();
      const ats = await Promise.all(waits);
      const failed = ats.filter((at) => at instanceof Error);
      if (failed.length) throw new Error(`bare waits: ${failed.length} of ${k} failed: ${failed[0].message} ${failed[0].cause?.message ?? ""}`);
      if (released < k) throw new Error(`bare waits: released ${released} of ${k}`);
      return { fromSent: ats.map((at) => at - sentAt), releaseRoundTrip: doneAt - sentAt, cpuMs: (cpuSeconds(pids) - cpu0) * 1000 };
    };
    await release(50); // warm: the object exists and the code is compiled
    await release(50, slice);
    const atOnce = await release(n);
    const sliced = await release(n, slice);
    return { atOnce, sliced };
  } finally {
    await worker.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
