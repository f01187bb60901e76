// One Durable Object alarm multiplexing every timer of a room (review expiries, reminders and escalations,
// webhook retries, notification channels' retries, idle streamed drafts).
// Timers live in the room's own SQLite storage, indexed by due time, so they survive eviction and
// restarts; the alarm is always set to the earliest one. Alarms are at-least-once: whoever handles
// a timer re-checks its facts, and a timer is removed only once its work is done.
/** The timer that expires a message's review. */
export const expiryKey = (messageId: string) => `expire:${messageId}`;
/** The timer that re-notifies who has not answered a review yet (its policy's `remind`). */
export const remindKey = (messageId: string) => `remind:${messageId}`;
/** The timer that escalates a review to more people (its policy's `escalate`). */
export const escalateKey = (messageId: string) => `escalate:${messageId}`;
/** Every timer a pending review may have: all go the moment it settles (answered, decided, defaulted, expired, retracted, purged). */
export const reviewTimerKeys = (messageId: string) => [expiryKey(messageId), remindKey(messageId), escalateKey(messageId)];

export interface Timer {
  key: string;
  kind: "expire" | "remind" | "escalate" | "webhook" | "stream" | "notice";
  channelId: string;
  dueAt: number;
  data: Record<string, unknown>;
}

interface TimerRow extends Record<string, SqlStorageValue> {
  key: string;
  kind: string;
  channel_id: string;
  due_at: number;
  data: string;
}

export class Timers {
  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(`CREATE TABLE IF NOT EXISTS timers (
      key TEXT PRIMARY KEY, kind TEXT NOT NULL, channel_id TEXT NOT NULL, due_at INTEGER NOT NULL, data TEXT NOT NULL)`);
    storage.sql.exec("CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at)");
  }

  /** Sets (or moves) a timer and brings the alarm forward if it is now the earliest. */
  async set(timer: Timer): Promise<void> {
    this.storage.sql.exec(
      "INSERT INTO timers (key, kind, channel_id, due_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, data = excluded.data",
      timer.key,
      timer.kind,
      timer.channelId,
      timer.dueAt,
      JSON.stringify(timer.data),
    );
    const alarm = await this.storage.getAlarm();
    if (alarm === null || timer.dueAt < alarm) await this.storage.setAlarm(timer.dueAt);
  }

  delete(key: string): void {
    this.storage.sql.exec("DELETE FROM timers WHERE key = ?", key);
  }

  get(key: string): Timer | undefined {
    const row = this.storage.sql.exec<TimerRow>("SELECT * FROM timers WHERE key = ?", key).toArray()[0];
    return row && toTimer(row);
  }

  /** Timers due by `now`, earliest first. */
  due(now: number, limit = 500): Timer[] {
    return this.storage.sql.exec<TimerRow>("SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit).toArray().map(toTimer);
  }

  count(): number {
    return this.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM timers").one().n;
  }

  /** Drops every timer and the alarm (the channel is gone). */
  async clear(): Promise<void> {
    this.storage.sql.exec("DELETE FROM timers");
    await this.storage.deleteAlarm();
  }

  /** Points the alarm at the earliest remaining timer (or clears it). */
  async rearm(): Promise<void> {
    const next = this.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM timers ORDER BY due_at LIMIT 1").toArray()[0];
    if (next) await this.storage.setAlarm(next.due_at);
    else await this.storage.deleteAlarm();
  }
}

function toTimer(row: TimerRow): Timer {
  return { key: row.key, kind: row.kind as Timer["kind"], channelId: row.channel_id, dueAt: row.due_at, data: JSON.parse(row.data) };
}
