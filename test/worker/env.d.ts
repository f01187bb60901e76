// Types for the test runtime: the Worker's bindings plus the migrations the setup file applies.
import type { D1Migration } from "cloudflare:test";
import type { Env as NodEnv } from "../../worker/env";

declare global {
  namespace Cloudflare {
    interface Env extends NodEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof import("../../worker/index");
    }
  }
}
