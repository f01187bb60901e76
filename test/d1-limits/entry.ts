// The Worker as the tests run it: the real one, with its D1 binding behind strictD1 (production's
// limits). The Durable Object classes are the real ones too, constructed with the same wrapped env.
import worker, { ChannelRoom as Room, Gateway as GatewayShard } from "../../worker/index";
import type { Env } from "../../worker/env";
import { checked, strictD1 } from "./strict-d1";

const wrapped = new WeakMap<Env, Env>();
function strictEnv(env: Env): Env {
  let strict = wrapped.get(env);
  if (!strict) {
    strict = { ...env, DB: strictD1(env.DB) };
    wrapped.set(env, strict);
  }
  return strict;
}

const handlers = worker as unknown as ExportedHandler<Env>;

/** A test-only path (this entry is never deployed): how many statements the wrapper has checked. */
const CHECKED_PATH = "/__test/d1-statements-checked";

export default {
  fetch: (request, env, ctx) => (new URL(request.url).pathname === CHECKED_PATH ? Response.json(checked) : handlers.fetch!(request, strictEnv(env), ctx)),
  scheduled: (controller, env, ctx) => handlers.scheduled?.(controller, strictEnv(env), ctx),
} satisfies ExportedHandler<Env>;

export class ChannelRoom extends Room {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, strictEnv(env));
  }
}

export class Gateway extends GatewayShard {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, strictEnv(env));
  }
}
