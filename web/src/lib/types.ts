// The shapes the user API answers with (API.md "Message", "Review", agents, keys, users).
import type { ReviewType } from "../../../worker/schemas/review";

export type { ReviewType };
export type MessageStatus = "info" | "success" | "warning" | "error";
export type DeliveryStatus = "sent" | "webhook_delivered" | "webhook_failed" | "agent_received";
export type ReviewStatus = "pending" | "completed" | "expired";
export type AgentStatus = "active" | "busy" | "error" | "offline";

export interface Attachment {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
}

export interface Review {
  type: ReviewType;
  payload: Record<string, unknown>;
  status: ReviewStatus;
  response: Record<string, unknown> | null;
  expiresAt: string | null;
  completedAt: string | null;
}

export interface Message {
  id: string;
  channelId: string;
  seq: number;
  senderType: "agent" | "user";
  senderId: string;
  text: string | null;
  status: MessageStatus | null;
  review: Review | null;
  metadata: Record<string, unknown> | null;
  deliveryStatus: DeliveryStatus;
  createdAt: string;
  attachments: Attachment[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Agent {
  id: string;
  name: string;
  description: string | null;
  avatarUrl: string | null;
  webhookUrl: string | null;
  webhookSecret?: string;
  status: AgentStatus;
  statusMessage: string | null;
  statusSince: string | null;
  lastActiveAt: string | null;
  createdAt: string;
  unreadCount?: number;
}

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: "owner" | "member";
  createdAt: string;
}

export interface ApiKey {
  id: string;
  label: string;
  keyPrefix: string;
  agentIds: string[] | null;
  lastUsedAt: string | null;
  createdAt: string;
  key?: string;
}

export interface Preferences {
  theme: "light" | "dark" | "system";
  inlineHtml: boolean;
  push: boolean;
}

export interface AgentStats {
  agentId: string;
  sent: number;
  received: number;
  reviews: number;
  pending: number;
  answered: number;
  expired: number;
  webhookFailures: number;
}

export interface StatusRow {
  status: AgentStatus;
  message: string | null;
  createdAt: string;
}
