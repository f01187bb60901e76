// Streamed replies (docs/api.md, "Streaming"): a draft message an agent posts with `streamState:
// "streaming"`, then replaces the text of (PATCH /api/v1/messages/streams/:streamId) until it completes.
// Each PATCH is one D1 round trip (the update, returning the row, batched with its attachments), run in
// the room's write queue so its `message:updated` is ordered with the channel's other events. A draft
// nobody touches for STREAM_IDLE_MS is completed as it stands by a room timer (timers.ts), which every
// PATCH pushes back.
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { attachments, messages } from "../db/schema";
import type { MessageDto } from "../../contract/dto";
import { messageDto, type MessageRow } from "../services/messages";
import type { Timer, Timers } from "./timers";

/** A draft left this long without a PATCH is completed as it stands. */
export const STREAM_IDLE_MS = 10 * 60_000;

/** The timer that completes an idle draft; one per stream of the room's channel. */
export const streamKey = (streamId: string) => `stream:${streamId}`;

/** Sets (or pushes back) the idle deadline of a draft. */
export const armStreamTimer = (timers: Timers, channelId: string, streamId: string, now = Date.now()) =>
  timers.set({ key: streamKey(streamId), kind: "stream", channelId, dueAt: now + STREAM_IDLE_MS, data: { streamId } });

/** A stream's message as both audiences see it (people never see password answers again). */
export interface StreamUpdate {
  row: MessageRow;
  forAgent: MessageDto;
  forPerson: MessageDto;
}

export type StreamOutcome = { ok: true; value: StreamUpdate } | { ok: false; status: 404 | 409 };

/** The stream's message; with `userId`, only if that user owns it (the PATCH's ownership check, at no extra read). */
const ofStream = (channelId: string, streamId: string, userId?: string) =>
  and(eq(messages.channelId, channelId), eq(messages.streamId, streamId), ...(userId !== undefined ? [eq(messages.userId, userId)] : []));

/**
 * Changes a draft that is still streaming: new text, and/or completes it. One round trip: the update
 * (which only matches a streaming draft) and the message's attachments, in one batch. Only when nothing
 * matched does a second read tell "no such stream" (404) from "already complete" (409).
 */
export async function changeDraft(
  d: Db,
  channelId: string,
  streamId: string,
  changes: { text?: string; complete: boolean },
  userId?: string,
): Promise<StreamOutcome> {
  const set = { ...(changes.text !== undefined ? { text: changes.text } : {}), ...(changes.complete ? { streamState: "complete" as const } : {}) };
  const [updated, files] = await d.batch([
    d
      .update(messages)
      .set(set)
      .where(and(ofStream(channelId, streamId, userId), eq(messages.streamState, "streaming")))
      .returning(),
    d
      .select()
      .from(attachments)
      .where(
        inArray(
          attachments.messageId,
          d
            .select({ id: messages.id })
            .from(messages)
            .where(ofStream(channelId, streamId, userId)),
        ),
      )
      .orderBy(attachments.position),
  ]);
  const row = updated[0];
  if (!row) {
    const [existing] = await d
      .select({ id: messages.id })
      .from(messages)
      .where(ofStream(channelId, streamId, userId))
      .limit(1);
    return { ok: false, status: existing ? 409 : 404 };
  }
  return { ok: true, value: { row, forAgent: messageDto(row, files, "agent"), forPerson: messageDto(row, files, "person") } };
}

/** Whether a stream timer is really due now: a PATCH may have pushed it back since the alarm read it. */
export const streamTimerDue = (timers: Timers, timer: Timer, now = Date.now()) => {
  const current = timers.get(timer.key);
  return current !== undefined && current.dueAt <= now;
};
