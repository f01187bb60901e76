// Live events inside the page: the Socket.IO connection (loaded later) and local actions publish here.
import type { AgentStatus, DeliveryStatus, Message, OwnerAgent } from "./types";

export interface LiveEvents {
  "message:created": Message;
  "message:deleted": { messageId: string; channelId?: string };
  "review:responded": Message;
  "review:expired": { messageId: string; channelId?: string };
  "message:delivery": { messageId: string; deliveryStatus: DeliveryStatus; channelId?: string };
  "agent:status": { agentId: string; status: AgentStatus; statusMessage: string | null; statusSince: string | null };
  /** The connection came back: views refetch what replay cannot bring (answers, expiries, ticks). */
  resync: void;
  "agent:changed": OwnerAgent;
}

type Handler<K extends keyof LiveEvents> = (data: LiveEvents[K]) => void;
const handlers = new Map<keyof LiveEvents, Set<Handler<never>>>();

export function on<K extends keyof LiveEvents>(name: K, fn: Handler<K>): () => void {
  let set = handlers.get(name);
  if (!set) handlers.set(name, (set = new Set()));
  set.add(fn as Handler<never>);
  return () => set!.delete(fn as Handler<never>);
}

export function emit<K extends keyof LiveEvents>(name: K, data: LiveEvents[K]) {
  for (const fn of handlers.get(name) ?? []) {
    try {
      (fn as Handler<K>)(data);
    } catch (err) {
      console.error(`live handler for ${name} failed`, err);
    }
  }
}
