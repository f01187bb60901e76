// Live events inside the page: the Socket.IO connection (loaded later) and local actions publish here.
import type { ChannelEvents } from "../../../contract/events";
import type { Agent, OwnerAgent } from "./types";

/** The server's channel events (contract/events.ts, as they arrive) plus the page's own. */
export interface LiveEvents extends ChannelEvents {
  /** The connection came back: views refetch what replay cannot bring (answers, expiries, ticks). */
  resync: undefined;
  "agent:changed": OwnerAgent | Agent;
}

type Handler<K extends keyof LiveEvents> = (data: LiveEvents[K]) => void;
const handlers = new Map<keyof LiveEvents, Set<Handler<never>>>();

export function on<K extends keyof LiveEvents>(name: K, fn: Handler<K>): () => void {
  const set = handlers.get(name) ?? new Set<Handler<never>>();
  handlers.set(name, set);
  set.add(fn as Handler<never>);
  return () => set.delete(fn as Handler<never>);
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
