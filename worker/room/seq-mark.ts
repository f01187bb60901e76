// The highest seq a channel ever handed out, kept in the room's own storage. D1's max(seq) alone is
// not enough: once the newest message is deleted (retracted, or removed by retention), a restarted
// room would hand its number out again, and a client catching up with `after` would skip the new one.
export class SeqMark {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS seq_mark (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)");
  }

  get(): number {
    return this.sql.exec<{ seq: number }>("SELECT seq FROM seq_mark WHERE id = 1").toArray()[0]?.seq ?? 0;
  }

  /** After a commit: never lowers the mark. */
  raise(seq: number): void {
    this.sql.exec("INSERT INTO seq_mark (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq)", seq);
  }

  /** The channel is gone. */
  clear(): void {
    this.sql.exec("DELETE FROM seq_mark");
  }
}
