// The revision loop against the real server: a rejected draft comes back with feedback, the agent posts
// the next iteration, and its answer reaches the agent's webhook carrying the feedback and the chain.
// The receiver is a plain node:http server on 127.0.0.1 (the e2e server allows loopback).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";
import { sleep } from "../common";

let server: Server | undefined;
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** Records the JSON body of every request it receives, and answers 200. */
async function receiver() {
  const bodies: Record<string, any>[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const bodyFor = async (messageId: string) => {
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(20)) {
      const body = bodies.find((b) => b.event === "review:responded" && b.message_id === messageId);
      if (body) return body;
    }
    throw new Error(`no review:responded webhook for ${messageId}; got ${JSON.stringify(bodies.map((b) => [b.event, b.message_id]))}`);
  };
  return { url: `http://127.0.0.1:${port}/hook`, bodyFor };
}

const approval = {
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Ship it" },
      { id: "reject", label: "Revise", style: "danger" },
    ],
  },
};

it("each round's answer reaches the webhook with its feedback, iteration and group", async () => {
  const hook = await receiver();
  const { channelId, apiKey } = await newAgent("Iterating writer");
  expect((await asOwner("PATCH", `/api/agents/${channelId}`, { webhookUrl: hook.url })).status).toBe(200);
  const postAsAgent = async (body: Record<string, unknown>) => {
    const res = await fetch(`${nodUrl()}/api/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "content-type": "application/json" },
      body: JSON.stringify({ channelId, review: approval, ...body }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; iteration: number | null; iterationGroupId: string | null };
  };

  const r1 = await postAsAgent({ text: "Draft 1" });
  const answered1 = await asOwner("POST", `/api/messages/${r1.id}/respond`, { response: { selectedOption: "reject" }, feedback: "Too long" });
  expect(answered1.status, JSON.stringify(answered1.json)).toBe(200);
  expect(await hook.bodyFor(r1.id)).toMatchObject({ response: { selectedOption: "reject" }, feedback: "Too long", iteration: null, iterationGroupId: null });

  const r2 = await postAsAgent({ text: "Draft 2", iterationOf: r1.id });
  expect(r2).toMatchObject({ iteration: 2, iterationGroupId: r1.id });
  expect((await asOwner("POST", `/api/messages/${r2.id}/respond`, { response: { selectedOption: "approve" }, feedback: "Good now" })).status).toBe(200);
  expect(await hook.bodyFor(r2.id)).toMatchObject({
    event: "review:responded",
    feedback: "Good now",
    iteration: 2,
    iterationGroupId: r1.id,
    message: { id: r2.id, iteration: 2, iterationGroupId: r1.id, review: { feedback: "Good now" } },
  });

  const chain = await fetch(`${nodUrl()}/api/v1/messages/iterations/${r1.id}?channel=${channelId}`, { headers: { "x-api-key": apiKey } });
  const body = (await chain.json()) as { groupId: string; iterations: { id: string; iteration: number }[] };
  expect(body.groupId).toBe(r1.id);
  expect(body.iterations.map((m) => [m.id, m.iteration])).toEqual([
    [r1.id, 1],
    [r2.id, 2],
  ]);
});
