import type { PersonDto, WaitDto } from "../../contract/dto";
import type { RequestOrigin } from "../audit/writer";
import type { AgentStatus, AnswerVia, MessageStatus, ReviewType, SenderType, StreamState } from "../../contract/enums";
import type { ChannelEventName, ChannelEvents } from "../../contract/events";
import type { FieldError } from "../lib/errors";
import type { StoredReviewPolicy } from "../db/schema";

/** What a room method answers instead of throwing: RPC keeps the status code and every field error. */
export type RoomResult<T> = { ok: true; value: T } | { ok: false; status: 400 | 403 | 404 | 409 | 410 | 413; message: string; errors?: FieldError[] };

/** A caller the room does not admit to its channel (room/access.ts): an unknown key, or not its channel. */
export type Refused = { ok: false; status: 401 | 404; message: string; errors?: FieldError[] };

/** A wait's outcome as the room hands it out: the JSON body encoded once for every waiter. */
export interface EncodedWait {
  status: WaitResult["status"];
  body: string;
}

/** A wait's outcome: the API's answer (WaitDto), or gone (the message is gone, or never had a review: a 404). */
export type WaitResult = WaitDto | { status: "gone" };

/** A validated message, ready to be stored by its channel's room. */
export interface NewMessage {
  channelId: string;
  userId: string;
  senderType: SenderType;
  senderId: string;
  text?: string | null;
  status?: MessageStatus | null;
  metadata?: Record<string, unknown>;
  webhookUrl?: string;
  review?: {
    type: ReviewType;
    payload: Record<string, unknown>;
    expiresAt: string;
    callback?: { url: string; method?: string; headers?: Record<string, string> };
    /** Who may answer, the quorum, the default, reminders, escalation: its people already resolved to members. */
    policy?: StoredReviewPolicy;
  };
  attachmentIds: string[];
  idempotencyKey?: string;
  /** A streamed reply's draft (or a stream posted complete at once). */
  stream?: { streamId: string; streamState: StreamState };
  /** An earlier message of the channel, with a settled review, that this one revises (an iteration chain). */
  iterationOf?: string;
}

export interface StatusReport {
  agentId: string;
  status: AgentStatus;
  message?: string | null;
}

/**
 * An event of a channel on its way to the subscribers: one member per event of contract/events.ts, so a
 * payload that does not fit its name does not compile. `personData`, when set, is what people see instead.
 */
export type RoomEvent = {
  [K in ChannelEventName]: { channelId: string; name: K; data: ChannelEvents[K]; personData?: ChannelEvents[K] };
}[ChannelEventName];

/** A person's answer to a review, with who gave it and from where (the audit log keeps both). */
export interface Answer {
  response: unknown;
  /** Blank feedback is no feedback: null. */
  feedback: string | null;
  by: PersonDto;
  via: AnswerVia;
  origin: RequestOrigin | null;
}
