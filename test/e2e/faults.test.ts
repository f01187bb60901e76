// A webhook receiver that hangs, resets the connection or answers slowly costs the channel nothing
// but its own delivery: answers, posts and waits on the same channel go on at full speed.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";
import { sleep } from "../common";

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.closeAllConnections();
  return Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** A receiver that misbehaves: `hang` never answers, `reset` drops the connection, `slow` answers after 5 s. */
async function badReceiver(kind: "hang" | "reset" | "slow"): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    if (kind === "reset") req.socket.destroy();
    if (kind === "slow") setTimeout(() => res.writeHead(200).end("ok"), 5000);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits: () => hits };
}

async function agentCall(apiKey: string, method: string, path: string, body?: unknown) {
  const started = performance.now();
  const res = await fetch(`${nodUrl()}/api/v1${path}`, {
    method,
    headers: { "x-api-key": apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json(), ms: performance.now() - started };
}

const approval = { type: "approval", payload: { options: [{ id: "go", label: "Go" }] } };

describe("misbehaving webhook receivers", () => {
  it.each([
    ["never answers", "hang"],
    ["resets the connection", "reset"],
    ["answers after 5 s", "slow"],
  ] as const)("a receiver that %s does not slow the channel down", async (_what, kind) => {
    const receiver = await badReceiver(kind);
    const { channelId, apiKey } = await newAgent(`Bad receiver (${kind})`);
    expect((await asOwner("PATCH", `/api/agents/${channelId}`, { webhookUrl: receiver.url })).status).toBe(200);

    // The first answer sends a webhook into the bad receiver…
    const first = await agentCall(apiKey, "POST", "/messages", { channelId, text: "first", review: approval });
    expect((await asOwner("POST", `/api/messages/${first.json.id}/respond`, { response: { selectedOption: "go" } })).status).toBe(200);
    const deadline = Date.now() + 3000;
    while (receiver.hits() === 0 && Date.now() < deadline) await sleep(20);
    expect(receiver.hits()).toBe(1);

    // …while it is stuck there, the channel keeps working at full speed.
    const timings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const posted = await agentCall(apiKey, "POST", "/messages", { channelId, text: `next ${i}`, review: approval });
      expect(posted.status).toBe(201);
      const waiting = agentCall(apiKey, "GET", `/reviews/${posted.json.id}/wait?channel=${channelId}&timeout=10000`);
      const started = performance.now();
      expect((await asOwner("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "go" } })).status).toBe(200);
      const waited = await waiting;
      expect(waited.json.status).toBe("completed");
      timings.push(posted.ms, performance.now() - started);
    }
    const worst = Math.max(...timings);
    console.log(`${kind}: worst post or answer→wait on the channel while its webhook was stuck: ${worst.toFixed(1)} ms`);
    // Far below the 10 s webhook timeout and the 5 s slow answer: nothing waited on the receiver.
    expect(worst).toBeLessThan(2000);
  });
});
