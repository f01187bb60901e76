import type { FieldError } from "../lib/errors";
import type { MessageDto } from "../services/messages";
import type { ReviewType } from "../schemas/review";

/** What a room method answers instead of throwing: RPC keeps the status code and every field error. */
export type RoomResult<T> =
  | { ok: true; value: T }
  | { ok: false; status: 400 | 404 | 409 | 410 | 413; message: string; errors?: FieldError[] };

/** A wait's outcome as the room hands it out: the JSON body encoded once for every waiter. */
export interface EncodedWait {
  status: WaitResult["status"];
  body: string;
}

export type WaitResult =
  | { status: "completed"; message: MessageDto }
  | { status: "expired"; message: MessageDto }
  | { status: "timeout" }
  /** The message is gone, or never had a review. */
  | { status: "gone" };

/** A validated message, ready to be stored by its channel's room. */
export interface NewMessage {
  channelId: string;
  userId: string;
  senderType: "agent" | "user";
  senderId: string;
  text?: string | null;
  status?: "info" | "success" | "warning" | "error" | null;
  metadata?: Record<string, unknown>;
  webhookUrl?: string;
  review?: {
    type: ReviewType;
    payload: Record<string, unknown>;
    expiresAt: string;
    callback?: { url: string; method?: string; headers?: Record<string, string> };
  };
  attachmentIds: string[];
  idempotencyKey?: string;
}

export interface StatusReport {
  agentId: string;
  status: "active" | "busy" | "error" | "offline";
  message?: string | null;
}

/** An event of a channel, as subscribers receive it. `personData`, when set, is what people see instead. */
export interface RoomEvent {
  channelId: string;
  name: "message:created" | "message:deleted" | "review:responded" | "review:expired" | "message:delivery" | "agent:status";
  data: unknown;
  personData?: unknown;
}
