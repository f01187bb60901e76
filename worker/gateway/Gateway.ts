// Gateway: the Socket.IO (Engine.IO 4) server, sharded over a few Durable Objects (DESIGN.md).
// The protocol work is its own issue; until it lands the class exists so the binding and its
// storage migration are in place, and it answers every request with a clear 501.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class Gateway extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    return Response.json({ statusCode: 501, message: "Socket.IO is not available yet", errors: [] }, { status: 501 });
  }
}
