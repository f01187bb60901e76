// The live events of a channel: what the Socket.IO gateway (namespace /ws) sends to the sockets
// subscribed to it, by event name, with its one argument. The room emits them, the gateway delivers
// them, the web app's event bus and the client's subscribe helper receive them: all typed from here.
import type { AgentCommandDto, MessageDto } from "./dto";
import type { AgentStatus, DeliveryStatus } from "./enums";
import type { SubscribeArg } from "./requests/socket";

export interface ChannelEvents {
  /** A new message (also replayed after a reconnect that asked for `after`). */
  "message:created": MessageDto;
  /** A message was retracted. */
  "message:deleted": { messageId: string };
  /** A review was answered: the message with its review and answer. */
  "review:responded": MessageDto;
  /** A review expired unanswered. */
  "review:expired": { messageId: string };
  /** The message's deliveryStatus moved (a webhook went out or failed; the agent acked). */
  "message:delivery": { messageId: string; deliveryStatus: DeliveryStatus };
  /** A message changed in place: a streamed draft's text grew, or it was completed; a review got a vote, or was escalated. */
  "message:updated": MessageDto;
  /** Live tokens of a streamed reply, relayed from the agent's socket, never stored. */
  "message:delta": { channelId: string; streamId: string; delta: string; streamEnd?: boolean };
  /** What the agent is doing right now ("Searching the docs"), relayed, never stored; clears after 60 s. */
  "message:progress": { channelId: string; content: string; toolHint?: string; streamId?: string };
  /** The agent's slash commands changed. */
  "agent:commands": { agentId: string; commands: AgentCommandDto[] };
  /** The agent reported its status. */
  "agent:status": { agentId: string; status: AgentStatus; statusMessage: string | null; statusSince: string | null };
}

export type ChannelEventName = keyof ChannelEvents;

/** One listener per event, in the form socket.io-client's typed `Socket<ListenEvents>` expects. */
export type ChannelEventListeners = { [K in ChannelEventName]: (payload: ChannelEvents[K]) => void };

/** `subscribe:channel`'s ack: `channelId` when it is followed; a foreign or unknown channel gets `{ok: false}`. */
export interface SubscribeAck {
  ok: boolean;
  channelId?: string;
  error?: string;
}

/** `subscribe:channels`'s ack: the channels now followed, and those refused (foreign or unknown, not told apart). */
export interface SubscribeManyAck {
  ok: boolean;
  channelIds?: string[];
  refused?: string[];
  error?: string;
}

/** What a client sends on /ws to follow channels, with its ack, in the form socket.io-client's `Socket<…, EmitEvents>` expects. */
export interface ClientEvents {
  "subscribe:channel": (channel: SubscribeArg, ack: (answer: SubscribeAck) => void) => void;
  "subscribe:channels": (channels: SubscribeArg[], ack: (answer: SubscribeManyAck) => void) => void;
  "unsubscribe:channel": (channelId: string, ack: (answer: { ok: boolean }) => void) => void;
}
