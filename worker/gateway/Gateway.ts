// Gateway: a Socket.IO server (Engine.IO 4, namespace /ws) in a Durable Object, one of a few shards.
//
// Transports: WebSocket, and HTTP long-polling with upgrade to WebSocket (the clients' default).
// WebSockets are accepted with the hibernation API; each socket's state (who it is, its channels)
// is its attachment, so a hibernated shard wakes with everything it needs. Polling sessions live in
// memory for the few seconds until they upgrade; if the shard restarts they get "Session ID unknown"
// and the clients reconnect, as Engine.IO intends.
//
// Events come from the channel rooms: a room calls `deliver()` once per shard, and the shard sends
// the event to each of its sockets subscribed to the channel. One alarm per shard drives the
// Engine.IO heartbeat (server ping every 25 s) and drops sessions that stopped answering.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { RoomEvent } from "../room/types";
import { handlePacket, registerWithRoom } from "./namespace";
import {
  decodeEngine,
  decodePolling,
  decodeSocket,
  engine,
  eventPacket,
  MAX_PAYLOAD_BYTES,
  openPacket,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  pollingPayload,
  type EnginePacket,
} from "./protocol";
import { newSession, type SessionState } from "./session";
import { newSid } from "./shards";

interface PollingSession {
  state: SessionState;
  queue: string[];
  /** The parked GET, answered when packets are queued. */
  flush?: (body: string) => void;
  /**
   * Set once a WebSocket probe succeeded: the client is pausing polling, so its GETs are answered at
   * once with a noop and new packets wait in the queue for the upgrade.
   */
  probed?: boolean;
}

/** Attachment of a WebSocket still probing its upgrade from polling. */
interface ProbeAttachment {
  probing: string;
}

const engineError = (code: number, message: string) => Response.json({ code, message }, { status: 400 });

export class Gateway extends DurableObject<Env> {
  private readonly polling = new Map<string, PollingSession>();
  /** The frame each socket is handling now; the next one waits for it. */
  private readonly socketTurns = new WeakMap<WebSocket, Promise<unknown>>();

  // ---- HTTP: handshake, polling, upgrade ------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const shard = request.headers.get("x-nod-shard") ?? "gw:0";
    if (url.searchParams.get("EIO") !== "4") return engineError(5, "Unsupported protocol version");
    const sid = url.searchParams.get("sid");
    const transport = url.searchParams.get("transport");
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      if (transport !== "websocket") return engineError(3, "Bad request");
      return sid ? this.probeUpgrade(sid) : this.openWebSocket(shard);
    }
    if (transport !== "polling") return engineError(0, "Transport unknown");
    if (!sid) return this.openPolling(shard);
    const session = this.polling.get(sid);
    if (!session) return engineError(1, "Session ID unknown");
    if (request.method === "GET") return this.pollGet(session);
    if (request.method === "POST") return this.pollPost(session, request);
    return engineError(2, "Bad handshake method");
  }

  private async openPolling(shard: string): Promise<Response> {
    const state = newSession(newSid(shard), shard);
    this.polling.set(state.sid, { state, queue: [] });
    await this.ensureHeartbeat();
    return text(pollingPayload([openPacket(state.sid, ["websocket"])]));
  }

  private pollGet(session: PollingSession): Promise<Response> | Response {
    if (session.flush) {
      this.closePolling(session);
      return engineError(3, "Overlapping GET requests");
    }
    if (session.probed) return text(pollingPayload([engine("noop")]));
    if (session.queue.length) return text(pollingPayload(session.queue.splice(0)));
    return new Promise((resolve) => {
      session.flush = (body) => {
        delete session.flush;
        resolve(text(body));
      };
    });
  }

  private async pollPost(session: PollingSession, request: Request): Promise<Response> {
    const body = await request.text();
    if (body.length > MAX_PAYLOAD_BYTES) {
      this.closePolling(session);
      return engineError(3, "Payload too large");
    }
    session.state.lastSeen = Date.now();
    for (const packet of decodePolling(body)) {
      await this.onEnginePacket(session.state, packet, (frame) => this.queue(session, frame), () => this.closePolling(session));
    }
    return text("ok");
  }

  private queue(session: PollingSession, frame: string) {
    session.queue.push(frame);
    if (session.flush && !session.probed) session.flush(pollingPayload(session.queue.splice(0)));
  }

  private closePolling(session: PollingSession) {
    this.polling.delete(session.state.sid);
    session.flush?.(pollingPayload([engine("close")]));
  }

  private async openWebSocket(shard: string): Promise<Response> {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const state = newSession(newSid(shard), shard);
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(state);
    server.send(openPacket(state.sid, []));
    await this.ensureHeartbeat();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A polling session probes a WebSocket: "2probe" → "3probe", then "5" moves it over. */
  private probeUpgrade(sid: string): Response {
    const session = this.polling.get(sid);
    if (!session) return engineError(1, "Session ID unknown");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ probing: sid } satisfies ProbeAttachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  // ---- WebSocket (hibernation hooks) ---------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // One socket's frames are handled one after another: each reads the attachment, may await D1,
    // and writes it back, so two at once would lose one's change (e.g. back-to-back subscribes).
    const previous = this.socketTurns.get(ws) ?? Promise.resolve();
    const turn = previous.then(() => this.onSocketFrame(ws, message));
    this.socketTurns.set(ws, turn.catch(() => undefined));
    return turn;
  }

  private async onSocketFrame(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") {
      ws.close(1003, "binary frames are not supported");
      return;
    }
    const attachment = ws.deserializeAttachment() as SessionState | ProbeAttachment;
    if ("probing" in attachment) return this.onProbeFrame(ws, attachment.probing, message);
    const state = attachment;
    state.lastSeen = Date.now();
    const changed = await this.onEnginePacket(state, decodeEngine(message), (frame) => ws.send(frame), () => ws.close(1000, "closed"));
    if (changed !== false) ws.serializeAttachment(state);
  }

  private onProbeFrame(ws: WebSocket, sid: string, frame: string) {
    const session = this.polling.get(sid);
    if (!session) {
      ws.close(1008, "Session ID unknown");
      return;
    }
    const packet = decodeEngine(frame);
    if (packet.type === "ping" && packet.data === "probe") {
      ws.send(engine("pong", "probe"));
      // Engine.IO: the client now pauses polling and waits for its parked GET; end it with a noop.
      session.probed = true;
      session.flush?.(pollingPayload([engine("noop")]));
    } else if (packet.type === "upgrade") {
      // The session now lives on the socket: its state becomes the attachment, queued packets follow.
      this.polling.delete(sid);
      session.state.lastSeen = Date.now();
      ws.serializeAttachment(session.state);
      session.flush?.(pollingPayload([engine("noop")]));
      for (const queued of session.queue.splice(0)) ws.send(queued);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "bye");
    } catch {
      // already closed
    }
  }

  override async webSocketError(): Promise<void> {}

  // ---- Engine.IO and Socket.IO packets, whatever the transport --------------------------------

  /** Returns whether the session state changed (false: nothing to persist). */
  private async onEnginePacket(state: SessionState, packet: EnginePacket, send: (frame: string) => void, close: () => void): Promise<boolean> {
    switch (packet.type) {
      case "pong":
        return true; // lastSeen moved
      case "ping":
        send(engine("pong", packet.data as string | undefined));
        return true;
      case "close":
        close();
        return false;
      case "message":
        try {
          const socketPacket = decodeSocket(String(packet.data));
          return await handlePacket(this.env, state, socketPacket, send, { joined: (channelId) => registerWithRoom(this.env, channelId, state.shard) });
        } catch (err) {
          send(eventPacket("error", { message: err instanceof Error ? err.message : "bad packet" }));
          close();
          return false;
        }
      default:
        return false;
    }
  }

  // ---- events from rooms, revocation, heartbeat ----------------------------------------------

  /** Sends a room's event to this shard's sockets on the channel. False: none left here. */
  async deliver(event: RoomEvent): Promise<boolean> {
    const forAgent = eventPacket(event.name, event.data);
    const forPerson = event.personData === undefined ? forAgent : eventPacket(event.name, event.personData);
    let delivered = false;
    for (const { state, send } of this.sessions()) {
      if (!state.socketId || !state.channels.includes(event.channelId)) continue;
      send(state.audience === "person" ? forPerson : forAgent);
      delivered = true;
    }
    return delivered;
  }

  /** Disconnects every socket authenticated with this API key (it was revoked or rotated). */
  async dropKey(keyId: string): Promise<number> {
    let dropped = 0;
    for (const { state, send, close } of this.sessions()) {
      if (state.principal?.keyId !== keyId) continue;
      send(eventPacket("error", { message: "API key revoked" }));
      close();
      dropped++;
    }
    return dropped;
  }

  /** Every live session with its transport's send and close. */
  private *sessions(): Generator<{ state: SessionState; send: (frame: string) => void; close: () => void }> {
    for (const ws of this.ctx.getWebSockets()) {
      const state = ws.deserializeAttachment() as SessionState | ProbeAttachment | null;
      if (!state || "probing" in state) continue;
      yield { state, send: (frame) => ws.send(frame), close: () => ws.close(1000, "closed") };
    }
    for (const session of this.polling.values()) {
      yield { state: session.state, send: (frame) => this.queue(session, frame), close: () => this.closePolling(session) };
    }
  }

  private async ensureHeartbeat() {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PING_INTERVAL_MS);
  }

  /** The heartbeat: ping everyone, drop whoever missed the last ping's deadline. */
  override async alarm(): Promise<void> {
    const deadline = Date.now() - PING_INTERVAL_MS - PING_TIMEOUT_MS;
    let alive = 0;
    for (const { state, send, close } of this.sessions()) {
      if (state.lastSeen < deadline) {
        close();
        continue;
      }
      send(engine("ping"));
      alive++;
    }
    if (alive > 0) await this.ctx.storage.setAlarm(Date.now() + PING_INTERVAL_MS);
  }
}

const text = (body: string) => new Response(body, { headers: { "content-type": "text/plain; charset=UTF-8" } });
