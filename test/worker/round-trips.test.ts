// Issue 19: the D1 round trips each hot path makes, one after another, before it answers. The Worker runs
// behind test/d1-limits (round-trips.ts), which counts them per request (the room's, over RPC, included)
// and says the count in the `x-nod-d1-round-trips` header. These are TODAY's counts, pinned so a change
// shows: whoever lowers one updates its pin (and the README's Performance section).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { counted, countingD1, DELAY_PATH, ROUND_TRIPS_HEADER } from "../d1-limits/round-trips";
import { sleep } from "../common";
import { agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";
import { exports } from "cloudflare:workers";

/**
 * Sequential D1 round trips per request, as of this commit. The room admits an agent's post or wait from
 * what it knows of the key and the channel (room/access.ts), and knows its reviews (known-reviews.ts).
 */
const PINNED = {
  // The write itself.
  "POST /api/v1/messages (with a review)": 1,
  "POST /api/v1/messages (no review)": 1,
  // An idempotency key (clientId, or the Idempotency-Key header): the insert does nothing on a stored key,
  // and only then is the earlier post read.
  "POST /api/v1/messages (with a clientId)": 1,
  // With ?channel= (as the web app sends it) the room checks the session: the conditional write, its audit
  // entry in the same batch.
  "POST /api/messages/:id/respond (the answer)": 1,
  // Parked on a review the room knows is pending: none.
  "GET /api/v1/reviews/:id/wait, parked until the answer": 0,
  // The message and its attachments, in one batch.
  "GET /api/v1/reviews/:id/wait, already settled": 1,
  "GET /api/v1/messages": 4,
};
type Path = keyof typeof PINNED;

const tripsOf = (res: { headers: Headers }) => {
  const header = res.headers.get(ROUND_TRIPS_HEADER);
  if (header === null) throw new Error(`no ${ROUND_TRIPS_HEADER} header`);
  return Number(header);
};

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
  // The key's first use also records when it was last used (a write the request does not wait for, once a
  // minute per key): done here, so the counts below are those of every other request.
  expect((await bot.v1("GET", `/messages?channel=${bot.agent.id}`)).status).toBe(200);
  // A room's first post reads the key and the channel's owner, and the channel's last seq, from D1 (once per room instance).
  expect((await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "hello" })).status).toBe(201);
  // A room's first answer reads the session and the channel's members (once per room instance and session).
  const first = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "warm-up", review: approval });
  const answered = await owner.as("POST", `/api/messages/${first.json.id}/respond?channel=${bot.agent.id}`, { response: { selectedOption: "approve" } });
  expect(answered.status).toBe(200);
});

/** Each hot path once, in the order an agent and a person use them: `[path, response, ms]`. */
async function hotPaths(): Promise<[Path, { status: number; headers: Headers }, number][]> {
  const channel = bot.agent.id;
  const out: [Path, { status: number; headers: Headers }, number][] = [];
  const timed = async <T>(path: Path, request: () => Promise<T & { status: number; headers: Headers }>) => {
    const t0 = performance.now();
    const res = await request();
    out.push([path, res, performance.now() - t0]);
    return res;
  };
  const post = await timed("POST /api/v1/messages (with a review)", () =>
    bot.v1("POST", "/messages", { channelId: channel, text: "ship it?", review: approval }),
  );
  const id = post.json.id as string;
  let parkedAt = 0;
  const parked = (async () => {
    const res = await bot.v1("GET", `/reviews/${id}/wait?channel=${channel}&timeout=20000`);
    return res;
  })();
  parkedAt = performance.now();
  await sleep(300); // the wait reaches the room and parks
  await timed("POST /api/messages/:id/respond (the answer)", () =>
    owner.as("POST", `/api/messages/${id}/respond?channel=${channel}`, { response: { selectedOption: "approve" } }),
  );
  const released = await parked;
  out.push(["GET /api/v1/reviews/:id/wait, parked until the answer", released, performance.now() - parkedAt]);
  expect(released.json.status).toBe("completed");
  await timed("GET /api/v1/reviews/:id/wait, already settled", () => bot.v1("GET", `/reviews/${id}/wait?channel=${channel}&timeout=20000`));
  await timed("GET /api/v1/messages", () => bot.v1("GET", `/messages?channel=${channel}`));
  await timed("POST /api/v1/messages (no review)", () => bot.v1("POST", "/messages", { channelId: channel, text: "done" }));
  await timed("POST /api/v1/messages (with a clientId)", () =>
    bot.v1("POST", "/messages", { channelId: channel, text: "once", clientId: crypto.randomUUID() }),
  );
  for (const [path, res] of out) expect(res.status, path).toBeLessThan(300);
  return out;
}

describe("D1 round trips per request (issue 19)", () => {
  it("each hot path makes today's count, pinned", async () => {
    for (let run = 0; run < 2; run++) {
      const counts = Object.fromEntries((await hotPaths()).map(([path, res]) => [path, tripsOf(res)]));
      expect(counts).toEqual(PINNED);
    }
  });

  it("with a delay on every round trip, each path is slower by its count times the delay, no more", async () => {
    const DELAY = 300;
    const set = (ms: number) => exports.default.fetch(`${BASE}${DELAY_PATH}?ms=${ms}`, { method: "POST" });
    /** Each path's quickest of two runs (the machine is shared: one run may stall), with its counts. */
    const quickest = async () => {
      const best = new Map<Path, { ms: number; trips: number }>();
      for (let run = 0; run < 2; run++) {
        for (const [path, res, ms] of await hotPaths()) {
          if (ms < (best.get(path)?.ms ?? Infinity)) best.set(path, { ms, trips: tripsOf(res) });
        }
      }
      return best;
    };
    const near = await quickest();
    expect(await (await set(DELAY)).json()).toEqual({ ms: DELAY });
    let far: Awaited<ReturnType<typeof quickest>>;
    try {
      far = await quickest();
    } finally {
      await set(0);
    }
    expect(await (await exports.default.fetch(`${BASE}${DELAY_PATH}`)).json()).toEqual({ ms: 0 });
    for (const [path, { ms, trips }] of far) {
      if (path.includes("parked")) continue; // its time is the wait for the answer
      expect(trips, path).toBe(PINNED[path]);
      // Every counted round trip is waited on, the room's too (the delay reaches the Durable Object) …
      expect(ms, path).toBeGreaterThanOrEqual(trips * DELAY - 5);
      // … and no uncounted one: what the delay added is the count's worth. The slack, less than one more round
      // trip, is for a busy machine's late timers and the CPU between the calls (about 10-30 ms a round trip seen).
      expect((ms - near.get(path)!.ms) / DELAY, path).toBeLessThan(trips + 0.8);
    }
  });

  it("counts a batch and calls awaited together once, calls in sequence each, and nothing after the answer", async () => {
    const db = countingD1(env.DB);
    const q = () => db.prepare("SELECT 1 AS one").first();
    expect((await counted(async () => await q())).trips).toBe(1);
    expect((await counted(() => Promise.all([q(), q(), q()]))).trips).toBe(1);
    expect((await counted(() => db.batch([db.prepare("SELECT 1"), db.prepare("SELECT 2")]))).trips).toBe(1);
    expect(
      (
        await counted(async () => {
          await q();
          await Promise.all([q(), q()]);
          await q();
        })
      ).trips,
    ).toBe(3);
    // Two chains side by side: the longer one counts.
    expect((await counted(() => Promise.all([q(), q().then(q)]))).trips).toBe(2);
    // A call the answer does not wait for is off its path.
    let late: Promise<unknown> | undefined;
    expect(
      (
        await counted(async () => {
          await q();
          late = sleep(20).then(q);
        })
      ).trips,
    ).toBe(1);
    await late;
    // Outside a counted request nothing is counted (the room's alarms, the cron).
    await expect(q()).resolves.toEqual({ one: 1 });
  });

  it("puts the header on every Worker answer, errors included", async () => {
    const res = await call("GET", "/api/v1/messages", { headers: { "x-api-key": "hp_not-a-key" } });
    expect(res.status).toBe(401);
    expect(tripsOf(res)).toBe(1);
    expect(tripsOf(await call("GET", "/api/docs"))).toBe(0);
  });
});
