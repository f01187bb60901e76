// The shapes the user API answers with (API.md "Message", "Review", agents, keys, users).
import type { ReviewType } from "../../../worker/schemas/review";

export type { ReviewType };
export type MessageStatus = "info" | "success" | "warning" | "error";
export type DeliveryStatus = "sent" | "webhook_delivered" | "webhook_failed" | "agent_received";
export type ReviewStatus = "pending" | "completed" | "expired";
export type AgentStatus = "active" | "busy" | "error" | "offline";

export type { AttachmentDto as Attachment, MessageDto as Message, ReviewDto as Review } from "../../../worker/schemas/dto";

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
