// Gateway: a Socket.IO server (Engine.IO 4, namespace /ws) in a Durable Object, one of a few shards.
//
// Transports: WebSocket, and HTTP long-polling with upgrade to WebSocket (the clients' default).
// WebSockets are accepted with the hibernation API; each socket's state (who it is) is its attachment
// and its channels are rows in the shard's storage (subscriptions.ts), so a hibernated shard wakes
// with everything it needs. Polling sessions live in
// memory for the few seconds until they upgrade; if the shard restarts they get "Session ID unknown"
// and the clients reconnect, as Engine.IO intends.
//
// Events come from the channel rooms: a room calls `deliverAll()` on each shard that has not declined the channel, one
// call at a time (room/outbox.ts), and the shard sends the events, in order, to each of its sockets
// subscribed to the channel. An agent's live deltas and progress go the same way: its shard hands them
// to the channel's room (namespace.ts, `relay`), which sends them out like its own events. Credentials are checked at CONNECT
// only, so whatever ends one (a revoked key, an ended session, a deleted user) calls `revoke()` on
// every shard. One alarm per shard drives the Engine.IO heartbeat (server ping every 25 s), drops
// sessions that stopped answering or never sent CONNECT, and closes person sockets whose session
// expired or is gone from D1.
import { and, gt } from "drizzle-orm";
import { DurableObject } from "cloudflare:workers";
import { db } from "../db/client";
import { inList } from "../db/lists";
import { sessions as sessionRows } from "../db/schema";
import type { Env } from "../env";
import { nowIso } from "../lib/ids";
import { logError } from "../lib/log";
import type { RoomEvent } from "../room/types";
import { AwaitingConnect } from "./awaiting";
import { authenticate, handlePacket, registerWithRoom, type Authenticated } from "./namespace";
import {
  channelEventPacket,
  decodeEngine,
  decodePolling,
  decodeSocket,
  engine,
  eventPacket,
  MAX_AWAITING_CONNECT,
  MAX_PAYLOAD_BYTES,
  openPacket,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  pollingPayload,
  type EnginePacket,
} from "./protocol";
import { revocationMessage, revokes, type Revocation } from "./revocation";
import { newSession, type SessionState } from "./session";
import { allShards, newSid } from "./shards";
import { Subscriptions } from "./subscriptions";

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
  /** The WebSocket probing an upgrade: one at a time, closed with the session. */
  probe?: WebSocket;
}

/** Attachment of a WebSocket still probing its upgrade from polling. */
interface ProbeAttachment {
  probing: string;
}

/** How to reach a session, whatever its transport. Sending to a closed one is a no-op. */
interface Transport {
  send(frame: string): void;
  close(): void;
}

interface LiveSession extends Transport {
  state: SessionState;
}

const engineError = (code: number, message: string) => Response.json({ code, message }, { status: 400 });

export class Gateway extends DurableObject<Env> {
  private readonly polling = new Map<string, PollingSession>();
  /** The frame each socket is handling now, while it is; the next one waits for it. */
  private readonly socketTurns = new WeakMap<WebSocket, Promise<unknown>>();
  /** Sessions without a CONNECT; undefined until first needed (rebuilt from attachments after hibernation). */
  private awaiting?: AwaitingConnect;
  /**
   * One list per CONNECT being authenticated: revocations that arrive while it awaits D1. The socket
   * is not yet marked with its credential, so `revoke()` cannot find it; the CONNECT checks its list.
   */
  private readonly authenticating = new Set<Revocation[]>();
  /** The scheduled alarm as this instance last saw it (undefined: not read yet; null: none). */
  private alarmAt?: number | null;
  /** When the next heartbeat ping is due (undefined after a restart: due now). */
  private nextPingAt?: number;
  private readonly subscriptions: Subscriptions;
  /** A shard outside the deployment's list (a test's): the rooms this instance registered with. */
  private readonly registeredRooms = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.subscriptions = new Subscriptions(ctx.storage.sql);
  }

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
    const awaiting = this.awaitingConnect();
    const state = newSession(newSid(shard), shard);
    const session: PollingSession = { state, queue: [] };
    this.polling.set(state.sid, session);
    awaiting.admit(state.sid, () => this.closePolling(session));
    await this.scheduleAlarm(state.connectBy!);
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
    const transport = this.pollingTransport(session);
    for (const packet of decodePolling(body)) {
      if (this.polling.get(session.state.sid) !== session) break; // closed meanwhile (evicted, revoked)
      await this.onEnginePacket(session.state, packet, transport);
      await this.track(session.state, transport);
    }
    return text("ok");
  }

  private pollingTransport(session: PollingSession): Transport {
    return { send: (frame) => this.queue(session, frame), close: () => this.closePolling(session) };
  }

  private queue(session: PollingSession, frame: string) {
    session.queue.push(frame);
    if (session.flush && !session.probed) session.flush(pollingPayload(session.queue.splice(0)));
  }

  private closePolling(session: PollingSession) {
    this.polling.delete(session.state.sid);
    this.awaiting?.delete(session.state.sid);
    this.subscriptions.clear(session.state.sid);
    closeQuietly(session.probe);
    session.flush?.(pollingPayload([...session.queue.splice(0), engine("close")]));
  }

  private async openWebSocket(shard: string): Promise<Response> {
    const awaiting = this.awaitingConnect();
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const state = newSession(newSid(shard), shard);
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(state);
    server.send(openPacket(state.sid, []));
    awaiting.admit(state.sid, this.socketTransport(server, state.sid).close);
    await this.scheduleAlarm(state.connectBy!);
    return new Response(null, { status: 101, webSocket: client });
  }

  private socketTransport(ws: WebSocket, sid: string): Transport {
    return {
      send: (frame) => {
        try {
          ws.send(frame);
        } catch {
          // closed meanwhile (revoked, evicted, or gone): nothing left to tell it
        }
      },
      close: () => {
        this.awaiting?.delete(sid);
        this.subscriptions.clear(sid);
        closeQuietly(ws);
      },
    };
  }

  /** A polling session probes a WebSocket: "2probe" → "3probe", then "5" moves it over. */
  private probeUpgrade(sid: string): Response {
    const session = this.polling.get(sid);
    if (!session) return engineError(1, "Session ID unknown");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ probing: sid } satisfies ProbeAttachment);
    closeQuietly(session.probe); // a session probes with one socket at a time
    session.probe = server;
    return new Response(null, { status: 101, webSocket: client });
  }

  // ---- WebSocket (hibernation hooks) ---------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // One socket's frames are handled one after another: each reads the attachment, may await D1,
    // and writes it back, so two at once would lose one's change (e.g. back-to-back subscribes).
    const previous = this.socketTurns.get(ws);
    const turn = previous ? previous.then(() => this.onSocketFrame(ws, message)) : this.onSocketFrame(ws, message);
    const settled: Promise<void> = turn.then(
      () => this.endTurn(ws, settled),
      () => this.endTurn(ws, settled),
    );
    this.socketTurns.set(ws, settled);
    return turn;
  }

  /** An idle socket keeps no entry (a thousand idle sockets, a thousand settled promises otherwise). */
  private endTurn(ws: WebSocket, settled: Promise<void>) {
    if (this.socketTurns.get(ws) === settled) this.socketTurns.delete(ws);
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
    const transport = this.socketTransport(ws, state.sid);
    const changed = await this.onEnginePacket(state, decodeEngine(message), transport);
    if (changed !== false) {
      try {
        ws.serializeAttachment(state);
      } catch {
        return; // closed while the packet was handled
      }
    }
    await this.track(state, transport);
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
      delete session.probe;
      session.state.lastSeen = Date.now();
      ws.serializeAttachment(session.state);
      this.awaiting?.moved(sid, this.socketTransport(ws, sid).close);
      session.flush?.(pollingPayload([engine("noop")]));
      for (const queued of session.queue.splice(0)) ws.send(queued);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    const attachment = ws.deserializeAttachment() as SessionState | ProbeAttachment | null;
    if (attachment && !("probing" in attachment)) {
      this.awaiting?.delete(attachment.sid);
      this.subscriptions.clear(attachment.sid);
    }
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "bye");
    } catch {
      // already closed
    }
  }

  override async webSocketError(): Promise<void> {}

  // ---- Engine.IO and Socket.IO packets, whatever the transport --------------------------------

  /** Returns whether the session state changed (false: nothing to persist). */
  private async onEnginePacket(state: SessionState, packet: EnginePacket, { send, close }: Transport): Promise<boolean> {
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
          return await handlePacket(this.env, state, socketPacket, send, {
            authenticate: (auth) => this.authenticate(auth),
            joined: (channelId) => this.joinRoom(channelId, state.shard),
            channels: {
              has: (channelId) => this.subscriptions.has(state.sid, channelId),
              add: (channelIds) => this.subscriptions.add(state.sid, channelIds),
              remove: (channelId) => this.subscriptions.remove(state.sid, channelId),
              clear: () => this.subscriptions.clear(state.sid),
            },
          });
        } catch (err) {
          send(eventPacket("error", { message: err instanceof Error ? err.message : "bad packet" }));
          close();
          return false;
        }
      default:
        return false;
    }
  }

  /**
   * A socket here now follows the channel. Its room sends every shard of the deployment its events unless
   * the shard declined them (deliverAll found no follower): only then is the room told, so following a
   * thousand idle channels wakes none of their rooms.
   */
  private async joinRoom(channelId: string, shard: string) {
    if (allShards(this.env).includes(shard)) {
      if (!this.subscriptions.isDeclined(channelId)) return;
      await registerWithRoom(this.env, channelId, shard);
      this.subscriptions.rejoined(channelId);
    } else if (!this.registeredRooms.has(channelId)) {
      await registerWithRoom(this.env, channelId, shard);
      this.registeredRooms.add(channelId);
    }
  }

  /** A CONNECT's credential, unless a revocation covering it arrived while D1 was asked. */
  private async authenticate(auth: unknown): Promise<Authenticated | undefined> {
    const revokedMeanwhile: Revocation[] = [];
    this.authenticating.add(revokedMeanwhile);
    try {
      const who = await authenticate(this.env, auth);
      return who && !revokedMeanwhile.some((r) => revokes(r, who)) ? who : undefined;
    } finally {
      this.authenticating.delete(revokedMeanwhile);
    }
  }

  /** After a packet: the session joins or leaves the CONNECT-deadline list, and the alarm covers its deadlines. */
  private async track(state: SessionState, transport: Transport) {
    const awaiting = this.awaitingConnect();
    if (state.connectBy === undefined) awaiting.delete(state.sid);
    else if (!awaiting.has(state.sid)) awaiting.admit(state.sid, transport.close); // DISCONNECT: no socket again
    const due = Math.min(state.connectBy ?? Infinity, state.session?.expiresAt ?? Infinity);
    if (due < Infinity) await this.scheduleAlarm(due);
  }

  // ---- events from rooms, revocation, heartbeat ----------------------------------------------

  /** Sends a room's events, in order, to this shard's sockets on their channel. False: none left here. */
  async deliverAll(events: RoomEvent[]): Promise<boolean> {
    const channels = new Set(events.map((e) => e.channelId));
    const followed = new Map([...channels].map((channelId) => [channelId, this.subscriptions.sessionsOn(channelId)]));
    // No follower here: no session's attachment needs reading.
    if ([...followed.values()].every((sids) => sids.size === 0)) return this.decline(channels);
    const connected = new Map<string, LiveSession>();
    for (const session of this.sessions()) if (session.state.socketId) connected.set(session.state.sid, session);
    const followers = new Map([...followed].map(([channelId, sids]) => [channelId, [...sids].flatMap((sid) => connected.get(sid) ?? [])]));
    let delivered = false;
    for (const event of events) {
      const forAgent = channelEventPacket(event.name, event.data);
      const forPerson = event.personData === undefined ? forAgent : channelEventPacket(event.name, event.personData);
      for (const { state, send } of followers.get(event.channelId)!) {
        send(state.audience === "person" ? forPerson : forAgent);
        delivered = true;
      }
    }
    return delivered || this.decline(channels);
  }

  /** The room stops sending these channels here (deliverAll answers false): the next socket here that follows one must tell its room. */
  private decline(channels: Iterable<string>): false {
    for (const channelId of channels) {
      this.subscriptions.declined(channelId);
      this.registeredRooms.delete(channelId);
    }
    return false;
  }

  /** Sends a room's event to this shard's sockets on the channel. False: none left here. */
  async deliver(event: RoomEvent): Promise<boolean> {
    return this.deliverAll([event]);
  }

  /** Closes this shard's sockets that hold the revoked credential; returns how many. */
  async revoke(revocation: Revocation): Promise<number> {
    for (const pending of this.authenticating) pending.push(revocation);
    let closed = 0;
    for (const session of this.sessions()) {
      if (!revokes(revocation, session.state)) continue;
      this.end(session, revocationMessage(revocation));
      closed++;
    }
    return closed;
  }

  /**
   * Tells the client why and closes the transport. Its reconnection then presents the same
   * credential and is refused, or (after a demotion) a fresh ticket and gets the new role.
   */
  private end(session: Transport, message: string) {
    session.send(eventPacket("error", { message }));
    session.close();
  }

  /** Every live session with its transport. */
  private *sessions(): Generator<LiveSession> {
    for (const ws of this.ctx.getWebSockets()) {
      const state = ws.deserializeAttachment() as SessionState | ProbeAttachment | null;
      if (!state || "probing" in state) continue;
      yield { state, ...this.socketTransport(ws, state.sid) };
    }
    for (const session of this.polling.values()) {
      yield { state: session.state, ...this.pollingTransport(session) };
    }
  }

  /** The sessions without a CONNECT, oldest first; after hibernation, read back from the attachments. */
  private awaitingConnect(): AwaitingConnect {
    if (this.awaiting) return this.awaiting;
    const awaiting = new AwaitingConnect(MAX_AWAITING_CONNECT);
    const waiting = [...this.sessions()].filter((s) => s.state.connectBy !== undefined);
    waiting.sort((a, b) => a.state.connectBy! - b.state.connectBy!);
    for (const s of waiting) awaiting.admit(s.state.sid, s.close);
    this.awaiting = awaiting;
    return awaiting;
  }

  /** Makes sure the alarm fires by `when`: a session expiry closes its sockets on time, not at the next second. */
  private async scheduleAlarm(when: number) {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= when) return;
    this.alarmAt = when;
    await this.ctx.storage.setAlarm(when);
  }

  /**
   * The heartbeat and the deadlines: ping everyone every 25 s, drop whoever missed the last ping's
   * deadline, close sessions that never sent CONNECT in time and person sockets whose session
   * expired; then sleep until the next of these.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    const ping = (this.nextPingAt ?? 0) <= now;
    if (ping) this.nextPingAt = now + PING_INTERVAL_MS;
    const silentSince = now - PING_INTERVAL_MS - PING_TIMEOUT_MS;
    const people: LiveSession[] = [];
    let next = Infinity;
    const alive: string[] = [];
    for (const session of this.sessions()) {
      const { state } = session;
      if (state.lastSeen < silentSince || (state.connectBy ?? Infinity) <= now) {
        session.close();
        continue;
      }
      if (state.session && state.session.expiresAt <= now) {
        this.end(session, "session expired");
        continue;
      }
      alive.push(state.sid);
      if (ping) session.send(engine("ping"));
      if (state.session) people.push(session);
      next = Math.min(next, state.connectBy ?? Infinity, state.session?.expiresAt ?? Infinity);
    }
    // Probes whose polling session is gone (closed, or lost with a restart) have nothing to upgrade.
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = ws.deserializeAttachment() as SessionState | ProbeAttachment | null;
      if (attachment && "probing" in attachment && !this.polling.has(attachment.probing)) closeQuietly(ws);
    }
    if (ping) this.subscriptions.keepOnly(alive); // rows of sessions that ended without a close reaching us
    if (ping && people.length) await this.closeEndedSessions(people);
    if (alive.length > 0) await this.scheduleAlarm(Math.min(next, this.nextPingAt!));
  }

  /**
   * Closes person sockets whose session D1 no longer holds as live: a safety net, once per
   * heartbeat, for a revocation that never reached this shard (revokeEverywhere logs those).
   */
  private async closeEndedSessions(people: LiveSession[]) {
    const hashes = [...new Set(people.map((p) => p.state.session!.hash))];
    let live: Set<string>;
    try {
      const rows = await db(this.env.DB)
        .select({ hash: sessionRows.tokenHash })
        .from(sessionRows)
        .where(and(inList(sessionRows.tokenHash, hashes), gt(sessionRows.expiresAt, nowIso())));
      live = new Set(rows.map((row) => row.hash));
    } catch (err) {
      logError("gateway: checking the sessions of person sockets failed", err);
      return;
    }
    for (const person of people) if (!live.has(person.state.session!.hash)) this.end(person, "session ended");
  }
}

function closeQuietly(ws: WebSocket | undefined) {
  try {
    ws?.close(1000, "closed");
  } catch {
    // already closed
  }
}

const text = (body: string) => new Response(body, { headers: { "content-type": "text/plain; charset=UTF-8" } });
