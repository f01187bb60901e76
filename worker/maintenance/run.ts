// One run of the hourly clean-up, and the bounded batches every purge deletes in: each statement
// touches at most BATCH rows, so time and memory stay small however large the backlog, and no batch
// starts after the run's deadline; what is left waits for the next run.
import { inArray, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import type { Env } from "../env";

/** Rows deleted per statement. */
export const BATCH = 500;

export const DAY_MS = 86_400_000;

export interface MaintenanceRun {
  env: Env;
  db: Db;
  /** The scheduled time: every cutoff is measured from it. */
  now: number;
  /** Wall-clock time after which no new batch starts. */
  deadline: number;
  /** Set when the deadline stopped a purge before its backlog was gone. */
  cutShort: boolean;
  /** What failed (already logged); the run still does the rest. */
  failed: string[];
}

/** Counts of what a purge removed, by name. */
export type Removed = Record<string, number>;

export const isoAt = (ms: number) => new Date(ms).toISOString();

export const timeIsUp = (run: MaintenanceRun) => Date.now() >= run.deadline;

/**
 * Repeats `deleteBatch` (deletes at most BATCH rows, returns how many) until a short batch or the
 * deadline; the total. Batches count their rows with RETURNING: D1's `meta.changes` also counts the
 * rows an ON DELETE CASCADE took with them.
 */
export async function drain(run: MaintenanceRun, deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < BATCH) return total;
    if (timeIsUp(run)) {
      run.cutShort = true;
      return total;
    }
  }
}

/** Deletes every row of `table` that `where` matches, BATCH rows a statement (through `drain`), by its key column. */
export function purgeRows(run: MaintenanceRun, table: SQLiteTable, key: SQLiteColumn, where: SQL): Promise<number> {
  return drain(run, async () => {
    const batch = run.db.select({ key }).from(table).where(where).limit(BATCH);
    return (await run.db.delete(table).where(inArray(key, batch)).returning({ key })).length;
  });
}
