// The room's events on their way to one gateway shard, in order. Separate RPC calls to a Durable Object
// may overtake each other (seen with 50 back-to-back deltas), so a shard gets one call at a time: events
// emitted while a call is in flight wait here and go together in the next call. An idle channel's event
// leaves at once; a busy one's are batched, never reordered.
import type { RoomEvent } from "./types";

export class ShardOutbox {
  private waiting: RoomEvent[] = [];
  private sending = false;

  constructor(
    /** Delivers events to the shard, in order; resolves with whether any socket there wanted them. */
    private readonly deliver: (events: RoomEvent[]) => Promise<boolean>,
    /** After each call: the shard has no subscriber left on the channel (or could not be reached). */
    private readonly settled: (anyone: boolean, sentAt: number) => void,
    private readonly failed: (err: unknown, events: RoomEvent[]) => void,
  ) {}

  send(event: RoomEvent) {
    this.waiting.push(event);
    if (!this.sending) void this.flush();
  }

  private async flush() {
    this.sending = true;
    while (this.waiting.length) {
      const events = this.waiting;
      this.waiting = [];
      const sentAt = Date.now();
      try {
        this.settled(await this.deliver(events), sentAt);
      } catch (err) {
        this.failed(err, events);
      }
    }
    this.sending = false;
  }
}
