// The Engine.IO sessions of one shard that have no Socket.IO CONNECT yet, oldest first. Their
// deadlines live in the session state (`connectBy`, checked by the alarm); this only keeps their
// number bounded: making room for a newcomer closes the oldest, so a flood of idle handshakes
// cannot lock out the clients that do connect.
export class AwaitingConnect {
  /** sid → how to close the session; a Map iterates in insertion order, i.e. oldest first. */
  private readonly closers = new Map<string, () => void>();

  constructor(private readonly cap: number) {}

  get size() {
    return this.closers.size;
  }

  has(sid: string) {
    return this.closers.has(sid);
  }

  /** Adds a session as the newest, closing the oldest ones while the shard is at its cap. */
  admit(sid: string, close: () => void) {
    this.closers.delete(sid);
    for (const [oldest, closeOldest] of this.closers) {
      if (this.closers.size < this.cap) break;
      this.closers.delete(oldest);
      closeOldest();
    }
    this.closers.set(sid, close);
  }

  /** The session moved to another transport (polling upgraded to WebSocket): keeps its place. */
  moved(sid: string, close: () => void) {
    if (this.closers.has(sid)) this.closers.set(sid, close);
  }

  delete(sid: string) {
    this.closers.delete(sid);
  }
}
