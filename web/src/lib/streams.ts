// Streamed replies of one channel as they are being written. A stored draft (streamId, streamState
// "streaming") gets its text from PATCHes (message:created/updated, authoritative) and, between them,
// from live tokens (message:delta, never stored) appended here. Tokens may come before the draft is
// posted: they make a provisional bubble, merged into the message when it arrives (or replaced by the
// agent's whole reply, posted without a streamId).
import { onCleanup } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { on as onLive } from "./bus";
import type { MessageList } from "./message-list";
import type { Message } from "./types";

interface LiveText {
  text: string;
  /** The agent said its tokens are done (streamEnd); the stored message still says when it is complete. */
  ended: boolean;
  /** When the first token came: provisional bubbles are shown in that order. */
  since: string;
  /** Tokens that came before any stored copy: what the draft starts with is not known yet. */
  unanchored: boolean;
}

export type Streams = ReturnType<typeof createStreams>;

/**
 * Tokens that came before the draft was here, put after its text: unless they already include it
 * (the agent posted what it had streamed), or it already includes them (a PATCH came first).
 */
const anchor = (stored: string, tokens: string) => (tokens.startsWith(stored) ? tokens : stored.endsWith(tokens) ? stored : stored + tokens);

/** Tokens with no draft and no news for this long are dropped (the agent stopped, or never posted one). */
const PROVISIONAL_IDLE_MS = 60_000;

/** Follows the channel's tokens until the calling component is cleaned up. */
export function createStreams(channelId: string, list: MessageList) {
  const [live, setLive] = createStore<Record<string, LiveText>>({});
  const stored = (streamId: string) => list.items.find((m) => m.streamId === streamId);
  const drop = (streamId: string) => setLive(produce((s) => delete s[streamId]));
  const idle = new Map<string, ReturnType<typeof setTimeout>>();
  const provisional = () => Object.keys(live).filter((streamId) => !stored(streamId));

  /**
   * A message that is not a draft: tokens streamed without one (the agent posts its reply whole at
   * the end) are that reply, once they ended or its text holds them.
   */
  const replyArrived = (m: Message) => {
    if (m.channelId !== channelId || m.streamId || m.senderType !== "agent") return;
    for (const streamId of provisional()) {
      const cur = live[streamId]!;
      if (cur.ended || (m.text ?? "").includes(cur.text.trim())) drop(streamId);
    }
  };

  /**
   * A stored copy arrived. Its text wins, unless the tokens already shown extend it: tokens and
   * PATCHes travel different paths, so a PATCH can land after the tokens that follow it.
   */
  const settle = (m: Message) => {
    if (m.channelId !== channelId || !m.streamId) return;
    const cur = live[m.streamId];
    if (!cur) return;
    const text = m.text ?? "";
    if (m.streamState === "complete") drop(m.streamId);
    else if (cur.unanchored) setLive(m.streamId, { text: anchor(text, cur.text), unanchored: false });
    else if (!cur.text.startsWith(text)) drop(m.streamId);
  };

  const offs = [
    onLive("message:created", (m) => {
      settle(m);
      replyArrived(m);
    }),
    onLive("message:updated", settle),
    onLive("message:delta", (d) => {
      if (d.channelId !== channelId) return;
      const m = stored(d.streamId);
      if (m?.streamState === "complete") return; // late tokens of a finished reply
      const cur = live[d.streamId];
      setLive(d.streamId, {
        text: (cur?.text ?? m?.text ?? "") + d.delta,
        ended: !!d.streamEnd,
        since: cur?.since ?? new Date().toISOString(),
        unanchored: cur ? cur.unanchored : !m,
      });
      clearTimeout(idle.get(d.streamId));
      idle.set(
        d.streamId,
        setTimeout(() => {
          idle.delete(d.streamId);
          if (!stored(d.streamId)) drop(d.streamId);
        }, PROVISIONAL_IDLE_MS),
      );
    }),
    // After a reconnect the page reloads the stored drafts; tokens missed meanwhile are gone.
    onLive("resync", () =>
      setLive(
        produce((s) => {
          for (const k of Object.keys(s)) delete s[k];
        }),
      ),
    ),
  ];
  onCleanup(() => {
    for (const off of offs) off();
    for (const timer of idle.values()) clearTimeout(timer);
  });

  return {
    /** What a message's bubble shows: its stored text, or the tokens beyond it while it is written. */
    textOf: (m: Message) => {
      const cur = m.streamId && m.streamState !== "complete" ? live[m.streamId] : undefined;
      // Unanchored here: the draft came with a page load, not an event.
      return !cur ? m.text : cur.unanchored ? anchor(m.text ?? "", cur.text) : cur.text;
    },
    /** Whether a message is still being written (the caret shows). */
    writing: (m: Message) => m.streamState === "streaming" && !(m.streamId && live[m.streamId]?.ended),
    /** The ids of streams with tokens and no stored draft here (not posted yet, or its event on the way). */
    provisional: (): string[] => provisional().sort((a, b) => live[a]!.since.localeCompare(live[b]!.since)),
    /** A provisional stream's tokens so far, and whether the agent said they are done. */
    tokens: (streamId: string) => ({ text: live[streamId]?.text ?? "", ended: !!live[streamId]?.ended }),
  };
}
