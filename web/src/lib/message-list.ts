// A list of messages kept in step with the live events; the chat and the inbox each hold one. The
// patches live here once; what differs between the lists (which messages belong, where a new one
// goes) is passed in.
import { onCleanup } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import type { ChannelEvents } from "../../../contract/events";
import { on as onLive } from "./bus";
import type { Message } from "./types";

/** The channel events that change a list of messages (agent:status changes agents, not messages). */
export type MessageListEvents = Pick<
  ChannelEvents,
  "message:created" | "review:responded" | "message:deleted" | "review:expired" | "message:delivery" | "message:updated"
>;
export type MessageListEvent = keyof MessageListEvents;
const EVENTS: MessageListEvent[] = ["message:created", "review:responded", "message:deleted", "review:expired", "message:delivery", "message:updated"];

export interface MessageListOptions {
  /** Whether a new message belongs in this list (the chat: its channel; the inbox: its filters). */
  accepts: (m: Message) => boolean;
  /**
   * "seq": one channel, oldest first, a message goes where its seq puts it.
   * "newest-first": across channels (seq is per channel), a new message goes on top.
   */
  order: "seq" | "newest-first";
}

export type MessageList = ReturnType<typeof createMessageList>;

export function createMessageList(options: MessageListOptions) {
  const [items, setItems] = createStore<Message[]>([]);
  const indexOf = (id: string) => items.findIndex((m) => m.id === id);
  const has = (id: string) => indexOf(id) !== -1;

  /** Adds a message that is not in the list yet, where the order puts it. */
  const insert = (m: Message) => {
    let at = 0;
    if (options.order === "seq") {
      at = items.length;
      while (at > 0 && items[at - 1]!.seq > m.seq) at--;
    }
    setItems(produce((list) => list.splice(at, 0, m)));
  };
  /**
   * Swaps in a newer copy of a message in the list; false when it is not here. A copy is a snapshot
   * (an answer's HTTP response, an event), and its delivery status may be older than a
   * message:delivery already applied: the server never sets "sent" again, so a copy's "sent" keeps
   * the status the list has.
   */
  const replace = (m: Message) => {
    const i = indexOf(m.id);
    if (i === -1) return false;
    const copy = m.deliveryStatus === "sent" ? { ...m, deliveryStatus: items[i]!.deliveryStatus } : m;
    // A streamed reply changes many times a second: merged in place, its row (and DOM node) stays.
    setItems(i, m.streamId ? reconcile(copy) : copy);
    return true;
  };
  const upsert = (m: Message) => replace(m) || insert(m);
  const remove = (id: string) => setItems((list) => list.filter((m) => m.id !== id));
  /** Drops the messages `keep` says no; the others keep their rows. */
  const prune = (keep: (m: Message) => boolean) => setItems((list) => list.filter(keep));
  const patch = (id: string, fn: (m: Message) => void) => {
    const i = indexOf(id);
    if (i !== -1) setItems(i, produce(fn));
  };
  /** A fresh first page (newest first, as the API lists): the rows of messages still in it stay. */
  const reset = (page: Message[]) => setItems(reconcile(page, { key: "id" }));
  /** The next page back (newest first, as the API lists), on the older end; ones already here are skipped. */
  const addOlder = (page: Message[]) => {
    const fresh = page.filter((m) => !has(m.id));
    setItems(produce((list) => (options.order === "seq" ? list.unshift(...fresh.reverse()) : list.push(...fresh))));
  };

  const patches: { [K in MessageListEvent]: (data: MessageListEvents[K]) => void } = {
    "message:created": (m) => {
      if (options.accepts(m)) upsert(m);
      // A first revision makes its target the root of a chain (①): the server set that, no event says so.
      if (m.iteration === 2 && m.iterationGroupId)
        patch(m.iterationGroupId, (root) => {
          root.iteration ??= 1;
          root.iterationGroupId ??= root.id;
        });
    },
    // Only a copy already here: an answer to one not loaded has no place to go yet.
    "review:responded": (m) => replace(m),
    "message:deleted": (d) => remove(d.messageId),
    "review:expired": (d) =>
      patch(d.messageId, (m) => {
        if (m.review) m.review.status = "expired";
      }),
    "message:delivery": (d) =>
      patch(d.messageId, (m) => {
        m.deliveryStatus = d.deliveryStatus;
      }),
    // A streamed draft's text grew or it was completed; one missed while loading goes in as new.
    "message:updated": (m) => {
      if (!replace(m) && options.accepts(m)) insert(m);
    },
  };
  /** Applies one live event to the list. */
  const apply = <K extends MessageListEvent>(name: K, data: MessageListEvents[K]) => patches[name](data);

  return { items, has, insert, replace, upsert, remove, prune, reset, addOlder, apply };
}

/**
 * Applies the bus's list events to `list` until the calling component is cleaned up. Events named in
 * `own` are left to the page, which applies them itself around its own steps.
 */
export function followLive(list: MessageList, own: MessageListEvent[] = []) {
  const follow = <K extends MessageListEvent>(name: K) => onLive(name, (data) => list.apply(name, data));
  const offs = EVENTS.filter((name) => !own.includes(name)).map(follow);
  onCleanup(() => {
    for (const off of offs) off();
  });
}
