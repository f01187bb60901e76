// The Worker as the tests run it: the real one, with its D1 binding behind strictD1 (production's
// limits) and counted per request (round-trips.ts: the `x-nod-d1-round-trips` header, the delay of
// `/api/__test/d1-delay`). The Durable Object classes are the real ones too, constructed with the same env.
import worker, { ChannelRoom as Room, Gateway as GatewayShard } from "../../worker/index";
import type { Env } from "../../worker/env";
import { countedRoom, countingHandlers, instrumentedEnv } from "./round-trips";
import { checked, strictD1 } from "./strict-d1";

const testEnv = instrumentedEnv(strictD1);

/** A test-only path (this entry is never deployed): how many statements the wrapper has checked. */
const CHECKED_PATH = "/__test/d1-statements-checked";

export default countingHandlers(worker as unknown as ExportedHandler<Env>, testEnv, { [CHECKED_PATH]: () => Response.json(checked) });

export class ChannelRoom extends countedRoom(Room) {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, testEnv(env));
  }
}

export class Gateway extends GatewayShard {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, testEnv(env));
  }
}
