// Which of this shard's sessions are subscribed to which channels, in the shard's own SQLite storage.
//
// Not in each WebSocket's attachment, where the rest of a session's state lives: an attachment holds at
// most 16 KiB, which about 650 channel ids fill, and a person's socket subscribes to every agent they
// see. Past the cap the attachment write fails, and the channels subscribed after it got no events.
// Storage survives hibernation like attachments do; rows of sessions that ended are dropped when they
// close, and by the heartbeat for any that went without a close.
//
// It also remembers the channels whose room this shard told "nobody here" (deliverAll found no
// follower): the room stops sending them, so the next socket that follows one must tell the room.
export class Subscriptions {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS subscriptions (channel_id TEXT NOT NULL, sid TEXT NOT NULL, PRIMARY KEY (channel_id, sid)) WITHOUT ROWID");
    sql.exec("CREATE INDEX IF NOT EXISTS subscriptions_by_sid ON subscriptions (sid)");
    sql.exec("CREATE TABLE IF NOT EXISTS declined_channels (channel_id TEXT PRIMARY KEY) WITHOUT ROWID");
  }

  /** The room was told this shard has no follower of the channel. */
  declined(channelId: string): void {
    this.sql.exec("INSERT INTO declined_channels (channel_id) VALUES (?) ON CONFLICT DO NOTHING", channelId);
  }

  /** Whether the channel's room stopped sending here (and must be told of a new follower). */
  isDeclined(channelId: string): boolean {
    return this.sql.exec("SELECT 1 FROM declined_channels WHERE channel_id = ?", channelId).toArray().length > 0;
  }

  /** The room was told of a follower again. */
  rejoined(channelId: string): void {
    this.sql.exec("DELETE FROM declined_channels WHERE channel_id = ?", channelId);
  }

  has(sid: string, channelId: string): boolean {
    return this.sql.exec("SELECT 1 FROM subscriptions WHERE channel_id = ? AND sid = ?", channelId, sid).toArray().length > 0;
  }

  /** Subscribes `sid` to each channel; returns those it was not subscribed to yet. */
  add(sid: string, channelIds: readonly string[]): string[] {
    const added: string[] = [];
    for (const channelId of new Set(channelIds)) {
      const cursor = this.sql.exec("INSERT INTO subscriptions (channel_id, sid) VALUES (?, ?) ON CONFLICT DO NOTHING", channelId, sid);
      if (cursor.rowsWritten > 0) added.push(channelId);
    }
    return added;
  }

  /** Returns whether `sid` was subscribed. */
  remove(sid: string, channelId: string): boolean {
    return this.sql.exec("DELETE FROM subscriptions WHERE channel_id = ? AND sid = ?", channelId, sid).rowsWritten > 0;
  }

  clear(sid: string): void {
    this.sql.exec("DELETE FROM subscriptions WHERE sid = ?", sid);
  }

  /** The sessions subscribed to the channel. */
  sessionsOn(channelId: string): Set<string> {
    return new Set(
      this.sql
        .exec<{ sid: string }>("SELECT sid FROM subscriptions WHERE channel_id = ?", channelId)
        .toArray()
        .map((r) => r.sid),
    );
  }

  /** Drops every row of a session not in `live` (one that ended without a close reaching this shard). */
  keepOnly(live: readonly string[]): void {
    this.sql.exec("DELETE FROM subscriptions WHERE sid NOT IN (SELECT value FROM json_each(?))", JSON.stringify(live));
  }
}
