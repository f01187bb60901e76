// 9. The D1 round trips each hot path makes one after another before it answers (issue 19), as the bench's
// entry counts them in the `x-nod-d1-round-trips` header (test/d1-limits/round-trips.ts: the room's calls
// over RPC included, calls awaited together counted once). One request at a time, on a warm channel and key.
// test/worker/round-trips.test.ts pins the same counts.
import { randomUUID } from "node:crypto";
import { approval, countsOf, sleep, tripsOf } from "../lib.mjs";

const RUNS = 10;

/** The hot paths, in the order the report lists them. */
export const HOT_PATHS = [
  ["post", "POST /messages with a clientId (as the bench's posts)"],
  ["postNoKey", "POST /messages without one"],
  ["answer", "the answer (POST /api/messages/:id/respond)"],
  ["waitParked", "a wait that parks until the answer"],
  ["waitSettled", "a wait on a settled review"],
  ["list", "GET /messages"],
];

/** Each hot path `runs` times on `agent`'s channel: their counts. */
export async function hotPathTrips(nod, agent, runs) {
  const seen = Object.fromEntries(HOT_PATHS.map(([key]) => [key, []]));
  const channel = agent.channelId;
  for (let i = 0; i < runs; i++) {
    const post = await nod.agent(agent.apiKey, "POST", "/api/v1/messages", {
      channelId: channel,
      clientId: randomUUID(),
      text: `trips ${i}`,
      review: approval,
    });
    if (post.status !== 201) throw new Error(`POST /api/v1/messages: ${post.status} ${JSON.stringify(post.json)}`);
    seen.post.push(tripsOf(post.headers));
    const parked = nod.wait(agent, post.json.id);
    await sleep(80); // the wait reaches the room and parks
    seen.answer.push((await nod.answer(post.json)).trips);
    const released = await parked;
    if (released.json?.status !== "completed") throw new Error(`wait: ${JSON.stringify(released.json)}`);
    seen.waitParked.push(released.trips);
    seen.waitSettled.push((await nod.wait(agent, post.json.id)).trips);
    const list = await nod.agent(agent.apiKey, "GET", `/api/v1/messages?channel=${channel}`);
    if (list.status !== 200) throw new Error(`GET /api/v1/messages: ${list.status}`);
    seen.list.push(tripsOf(list.headers));
    const plain = await nod.agent(agent.apiKey, "POST", "/api/v1/messages", { channelId: channel, text: `trips ${i}, no key` });
    if (plain.status !== 201) throw new Error(`POST /api/v1/messages: ${plain.status} ${JSON.stringify(plain.json)}`);
    seen.postNoKey.push(tripsOf(plain.headers));
  }
  return Object.fromEntries(Object.entries(seen).map(([key, xs]) => [key, countsOf(xs)]));
}

const show = (c) => (c.typical === undefined ? "?" : c.min === c.max ? `${c.typical}` : `${c.typical} (${c.min}–${c.max})`);

export default {
  id: "9",
  title: "D1 round trips per request, one after another (x-nod-d1-round-trips)",
  needs: ["app"],
  async run({ nod, record }) {
    const agent = await nod.newAgent("Bench round trips");
    // Warm: the room has read its seq, the key, the owner's session and the channel's members, and the key's last
    // use is recorded (each once; a request that does it counts one more).
    await nod.answer(await nod.post(agent, { text: "warm", review: approval }));
    const counts = await hotPathTrips(nod, agent, RUNS);
    if (Object.values(counts).some((c) => c.typical === undefined)) throw new Error("no x-nod-d1-round-trips header: is the bench's entry running?");
    const result = HOT_PATHS.map(([key, name]) => `${name} ${show(counts[key])}`).join(" · ");
    record({
      id: "9",
      name: "D1 round trips per request, one after another (the room's included)",
      result: `${result}; n=${RUNS} each`,
      target: "report; pinned in test/worker/round-trips.test.ts",
      extra: { counts, runs: RUNS },
    });
    return result;
  },
};
