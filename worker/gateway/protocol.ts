// Engine.IO 4 and Socket.IO 5 framing, through the protocol packages' own parsers (engine.io-parser,
// socket.io-parser), which run unchanged in workerd. Every frame Nod sends is text: binary
// attachments are not supported, and a client that sends them is told so and disconnected.
import { decodePacket, decodePayload, encodePacket, encodePayload, type Packet as EnginePacket, type PacketType as EngineType } from "engine.io-parser";
import { Decoder, Encoder, PacketType, type Packet as SocketPacket } from "socket.io-parser";
import type { ChannelEventName, ChannelEvents } from "../../contract/events";

export { PacketType };
export type { EnginePacket, SocketPacket };

export const NAMESPACE = "/ws";
export const PING_INTERVAL_MS = 25_000;
export const PING_TIMEOUT_MS = 20_000;
export const MAX_PAYLOAD_BYTES = 1_000_000;
/**
 * An Engine.IO session must complete its Socket.IO CONNECT within this long, or it is closed.
 * Clients send CONNECT as soon as the handshake is done (the web app first fetches a ws-ticket), so
 * 20 s is generous; socket.io's own `connectTimeout` is 45 s. Checked by the shard's alarm, to the second.
 */
export const CONNECT_TIMEOUT_MS = 20_000;
/**
 * Sessions without a CONNECT that one shard holds at most. A new handshake beyond it closes the
 * oldest of them instead of being refused, so idle handshakes cannot lock real clients out.
 */
export const MAX_AWAITING_CONNECT = 64;

/** One Engine.IO packet as text (engine.io-parser calls back synchronously for strings). */
export function engine(type: EngineType, data?: string): string {
  let out = "";
  encodePacket({ type, ...(data !== undefined ? { data } : {}) }, false, (encoded) => (out = encoded as string));
  return out;
}

/** Several encoded Engine.IO packets as one polling response body. */
export function pollingPayload(packets: string[]): string {
  let out = "";
  encodePayload(
    packets.map((p) => decodePacket(p)),
    (encoded) => (out = encoded),
  );
  return out;
}

export const decodeEngine = (frame: string): EnginePacket => decodePacket(frame);
export const decodePolling = (body: string): EnginePacket[] => decodePayload(body);

export function openPacket(sid: string, upgrades: string[]) {
  return engine("open", JSON.stringify({ sid, upgrades, pingInterval: PING_INTERVAL_MS, pingTimeout: PING_TIMEOUT_MS, maxPayload: MAX_PAYLOAD_BYTES }));
}

const encoder = new Encoder();

/** A Socket.IO packet on our namespace, wrapped in an Engine.IO message. */
export function socketPacket(packet: Omit<SocketPacket, "nsp"> & { nsp?: string }): string {
  const [text] = encoder.encode({ nsp: NAMESPACE, ...packet });
  return engine("message", text as string);
}

export const eventPacket = (name: string, ...args: unknown[]) => socketPacket({ type: PacketType.EVENT, data: [name, ...args] });

/** A channel's event (contract/events.ts) as a packet: its one argument is the payload of its name. */
export const channelEventPacket = <K extends ChannelEventName>(name: K, payload: ChannelEvents[K]) => eventPacket(name, payload);

/** Decodes one Socket.IO packet; binary packets and malformed text are errors. */
export function decodeSocket(text: string): SocketPacket {
  const decoder = new Decoder();
  let packet: SocketPacket | undefined;
  decoder.on("decoded", (p: SocketPacket) => (packet = p));
  decoder.add(text);
  if (!packet) {
    decoder.destroy();
    throw new Error("binary packets are not supported");
  }
  return packet;
}
