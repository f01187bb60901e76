// What the APIs answer with for a message (API.md "Message"). Free of Worker types, so the web app and
// the typed client can import the very same shapes.
import type { JsonObject } from "../lib/json";
import type { DeliveryStatus } from "./message";
import type { ReviewType } from "./review";

export interface AttachmentDto {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
}

export interface ReviewDto {
  type: ReviewType;
  payload: JsonObject;
  status: "pending" | "completed" | "expired";
  response: JsonObject | null;
  expiresAt: string | null;
  completedAt: string | null;
  completed_at: string | null;
}

export interface MessageDto {
  id: string;
  channelId: string;
  seq: number;
  senderType: "agent" | "user";
  senderId: string;
  text: string | null;
  status: "info" | "success" | "warning" | "error" | null;
  review: ReviewDto | null;
  metadata: JsonObject | null;
  deliveryStatus: DeliveryStatus;
  createdAt: string;
  attachments: AttachmentDto[];
}
