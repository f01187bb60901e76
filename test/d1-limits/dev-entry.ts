// The Worker as the bench runs it (bench/setup.mjs): the real one with its D1 binding counted per request
// and, on demand, each round trip delayed as production's distance to D1 would (round-trips.ts). Unlike
// entry.ts, no limit checks: the bench measures the app's own cost. Never deployed (wrangler.toml's main
// is worker/index.ts).
import worker, { ChannelRoom as Room, Gateway as GatewayShard } from "../../worker/index";
import type { Env } from "../../worker/env";
import { countedRoom, countingHandlers, instrumentedEnv } from "./round-trips";

const devEnv = instrumentedEnv();

export default countingHandlers(worker as unknown as ExportedHandler<Env>, devEnv);

export class ChannelRoom extends countedRoom(Room) {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, devEnv(env));
  }
}

export class Gateway extends GatewayShard {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, devEnv(env));
  }
}
