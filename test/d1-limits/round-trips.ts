// Counting D1 round trips per request, and (on demand) putting production's distance into each one.
// Only the test and bench entries (entry.ts, dev-entry.ts) use this: the Worker's own code knows nothing of it.
//
// What is counted: a request's SEQUENTIAL round trips, the length of the longest chain of D1 calls that
// lie one after another before its response. A call's place in the chain is its weight plus the longest
// chain already complete when it started: so calls awaited together (Promise.all) count once, a batch is
// one call, and a call that starts while another of the request is in flight does not lengthen the chain
// unless a longer one ended before it. With a fixed delay d per round trip (below), a request is at least
// count × d slower: the count is what its latency shows at a distance from D1. The counter sees time, not
// causes: a call the request does not wait for (the API key's last-use write, once a minute per key) lengthens
// the chain when it happens to end before a later call starts.
//
// Whose calls: those made in the request's async context (AsyncLocalStorage, nodejs_compat), and those its
// Durable Object calls make on its behalf. The Worker reaches ChannelRoom over RPC; the room runs in its
// own context, so each RPC from a wrapped env goes through `countedCall`, which runs the method in a
// context of its own and returns the chain it counted there; the caller adds that call to its chain with
// that weight (an RPC that made no D1 call weighs 0). A call that has not ended when the response (or the
// RPC's answer) is ready does not count: waitUntil work after the answer is off the request's path.
//
// Counts are exact for one request at a time; under concurrency a room's group commit (room/posts.ts) runs
// the next group's writes in the context of the post that started it, so its chain grows and the others'
// shrink. The tests and the bench read counts one request at a time.
import { AsyncLocalStorage } from "node:async_hooks";
import type { ChannelRoom } from "../../worker/room/ChannelRoom";
import type { Env } from "../../worker/env";

/** The response header with a request's count. */
export const ROUND_TRIPS_HEADER = "x-nod-d1-round-trips";
/** The test-only path that reads (GET) or sets (POST ?ms=N) the delay added to every D1 round trip (under /api: wrangler.toml sends it to the Worker). */
export const DELAY_PATH = "/api/__test/d1-delay";

/** The chain of one request (or one RPC into a room). */
export class Trips {
  /** The longest chain among the calls complete so far. */
  private longest = 0;
  private open = true;

  get count() {
    return this.longest;
  }

  /** Runs a call that weighs `weightOf(result)` round trips (1 for a D1 call; a room's chain for an RPC). */
  async track<T>(run: () => Promise<T>, weightOf: (result: T | undefined, failed: boolean) => number): Promise<T> {
    const before = this.longest;
    let result: T | undefined;
    let failed = true;
    try {
      result = await run();
      failed = false;
      return result;
    } finally {
      if (this.open) this.longest = Math.max(this.longest, before + weightOf(result, failed));
    }
  }

  /** The answer is ready: what ends later is not on its path. */
  close() {
    this.open = false;
    return this.longest;
  }
}

const current = new AsyncLocalStorage<Trips>();

/** Runs `fn` as a request (or an RPC call) of its own; returns its result and its count. */
export async function counted<T>(fn: () => T | Promise<T>): Promise<{ value: T; trips: number }> {
  const trips = new Trips();
  const value = await current.run(trips, fn);
  return { value, trips: trips.close() };
}

// ---- the delay ------------------------------------------------------------------------------------

/** Milliseconds added to every D1 round trip (before the call reaches D1: one timer, so a busy machine's late timers add up less). */
const distance = { ms: 0, fromEnv: false };

export function setDelayMs(ms: number) {
  distance.ms = Math.max(0, ms);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One D1 round trip: counted in the current context, delayed by the configured distance. */
function roundTrip<T>(call: () => Promise<T>): Promise<T> {
  const run = async () => {
    if (distance.ms > 0) await sleep(distance.ms);
    return call();
  };
  const trips = current.getStore();
  return trips ? trips.track(run, () => 1) : run();
}

// ---- the D1 binding -------------------------------------------------------------------------------

const ROUND_TRIP_METHODS = new Set(["first", "all", "run", "raw"]);
const innerStatement = new WeakMap<object, D1PreparedStatement>();

function countingStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const proxy = new Proxy(statement, {
    get(target, prop) {
      if (prop === "bind") return (...values: unknown[]) => countingStatement(target.bind(...values));
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (typeof prop === "string" && ROUND_TRIP_METHODS.has(prop)) return (...args: unknown[]) => roundTrip(() => value.apply(target, args));
      return value.bind(target);
    },
  });
  innerStatement.set(proxy, statement);
  return proxy;
}

/** `db` with every round trip (a statement's first/all/run/raw, a batch, an exec) counted and delayed. */
export function countingD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => countingStatement(target.prepare(sql));
      if (prop === "batch") return (statements: D1PreparedStatement[]) => roundTrip(() => target.batch(statements.map((s) => innerStatement.get(s) ?? s)));
      if (prop === "exec") return (sql: string) => roundTrip(() => target.exec(sql));
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// ---- the room, over RPC ---------------------------------------------------------------------------

/** What countedCall answers: the method's value and the chain the room counted for it. */
interface CountedAnswer {
  value: unknown;
  trips: number;
}

type Counted = { countedCall(method: string, args: unknown[]): Promise<CountedAnswer> };

/** A room stub whose RPC methods go through countedCall, their chain added to the caller's. */
function countingStub(stub: object): object {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof prop !== "string" || prop === "fetch" || prop === "countedCall" || prop === "then" || typeof value !== "function") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (...args: unknown[]) => {
        const call = () => (target as Counted).countedCall(prop, args);
        const trips = current.getStore();
        const answer = trips ? await trips.track(call, (a, failed) => (failed || !a ? 0 : a.trips)) : await call();
        return answer.value;
      };
    },
  });
}

/** The ChannelRoom namespace, its stubs counting. */
function countingRooms(ns: DurableObjectNamespace<ChannelRoom>): DurableObjectNamespace<ChannelRoom> {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") return (...args: unknown[]) => countingStub((value as (...a: unknown[]) => object).apply(target, args));
      return value.bind(target);
    },
  });
}

/** The room class with the RPC method the counting stubs call. */
export function countedRoom<T extends abstract new (...args: any[]) => ChannelRoom>(Room: T) {
  abstract class CountedRoom extends Room {
    /** Runs the RPC method `method` in a context of its own: its value, and the D1 chain it made. */
    async countedCall(method: string, args: unknown[]): Promise<CountedAnswer> {
      const fn = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
      if (typeof fn !== "function") throw new TypeError(`ChannelRoom has no method ${method}`);
      return counted(() => fn.apply(this, args));
    }
  }
  return CountedRoom;
}

// ---- the env and the entry ------------------------------------------------------------------------

/**
 * The env the Worker and its Durable Objects get: D1 counted and delayed (after `wrap`, the limit checks
 * of entry.ts, if any), the rooms' stubs counting. One per runtime env; the delay starts at `D1_DELAY_MS`
 * when the runtime has that binding (`wrangler dev test/d1-limits/dev-entry.ts --var D1_DELAY_MS:20`), and DELAY_PATH changes it.
 */
export function instrumentedEnv(wrap: (db: D1Database) => D1Database = (db) => db) {
  const made = new WeakMap<Env, Env>();
  return (env: Env): Env => {
    let out = made.get(env);
    if (!out) {
      const configured = Number((env as unknown as { D1_DELAY_MS?: string }).D1_DELAY_MS);
      if (!distance.fromEnv && Number.isFinite(configured) && configured > 0) {
        distance.fromEnv = true;
        setDelayMs(configured);
      }
      out = { ...env, DB: countingD1(wrap(env.DB)), CHANNEL_ROOM: countingRooms(env.CHANNEL_ROOM) };
      made.set(env, out);
    }
    return out;
  };
}

/** `res` with its request's count in ROUND_TRIPS_HEADER (a WebSocket upgrade is left as it is). */
function withCount(res: Response, trips: number): Response {
  if (res.status === 101 || res.webSocket) return res;
  try {
    res.headers.set(ROUND_TRIPS_HEADER, String(trips));
    return res;
  } catch {
    // Immutable headers (a response fetched from elsewhere, static assets): a copy takes the header.
    const copy = new Response(res.body, res);
    copy.headers.set(ROUND_TRIPS_HEADER, String(trips));
    return copy;
  }
}

/** The delay's test-only path: GET reads it, POST ?ms=N sets it. */
function delayRoute(request: Request): Response {
  if (request.method === "POST") {
    const ms = Number(new URL(request.url).searchParams.get("ms"));
    if (!Number.isFinite(ms) || ms < 0) return Response.json({ error: "ms must be a number ≥ 0" }, { status: 400 });
    setDelayMs(ms);
  }
  return Response.json({ ms: distance.ms });
}

/** The Worker's handlers, each request counted (its count in ROUND_TRIPS_HEADER), with test-only `paths`. */
export function countingHandlers(handlers: ExportedHandler<Env>, envOf: (env: Env) => Env, paths: Record<string, (request: Request) => Response> = {}) {
  const routes: Record<string, (request: Request) => Response> = { ...paths, [DELAY_PATH]: delayRoute };
  return {
    fetch: async (request, env, ctx) => {
      const instrumented = envOf(env); // first, so a D1_DELAY_MS binding applies before any request reads the delay
      const route = routes[new URL(request.url).pathname];
      if (route) return route(request);
      const { value, trips } = await counted(() => handlers.fetch!(request, instrumented, ctx));
      return withCount(value, trips);
    },
    scheduled: (controller, env, ctx) => handlers.scheduled?.(controller, envOf(env), ctx),
  } satisfies ExportedHandler<Env>;
}
