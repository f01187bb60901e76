// The bare-runtime baseline of bench scenario 6b: the runtime's own memory per idle WebSocket. The Worker
// hands each WebSocket to one of 4 Durable Objects (as many as Nod's gateway shards), which accept it with
// the hibernation API, give it a small attachment and send one frame. Nothing else: no protocol, no auth,
// no storage. Started as the app is (bench/lib.mjs bareWebSocketMemory), with its shape: static assets in
// front and the socket path routed to the Worker first (wrangler.toml).
import { DurableObject } from "cloudflare:workers";

export class Room extends DurableObject {
  async fetch() {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ sid: crypto.randomUUID(), channels: [] });
    server.send('0{"sid":"x"}');
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage() {}
}

export default {
  fetch(request, env) {
    return env.ROOM.get(env.ROOM.idFromName(`gw:${Math.floor(Math.random() * 4)}`)).fetch(request);
  },
};
