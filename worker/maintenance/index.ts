// The hourly clean-up, run by a Workers Cron Trigger (wrangler.toml [triggers]); housekeeping stays off
// the request paths. Each purge deletes in bounded batches (run.ts) within one time budget; a purge
// that fails is logged and the others still run; the invocation then fails so the Cron's log shows it.
import { db } from "../db/client";
import type { Env } from "../env";
import { logError } from "../lib/log";
import { purgeExpiredShares } from "./expired-shares";
import { purgeExpiredAnswerLinks } from "./expired-answer-links";
import { purgeExpiredSignIns } from "./expired-sign-ins";
import { purgeExpiredMessages } from "./message-retention";
import { purgeOldHistory } from "./old-history";
import { purgeOrphanFiles } from "./orphan-files";
import type { MaintenanceRun, Removed } from "./run";

/**
 * No batch starts after this much wall-clock time: a run stays far inside a Cron invocation's limits
 * whatever the backlog, and the next hourly run picks up the rest.
 */
const RUN_BUDGET_MS = 20_000;

const PURGES: [name: string, purge: (run: MaintenanceRun) => Promise<Removed>][] = [
  ["expired sign-ins", purgeExpiredSignIns],
  ["expired share links", purgeExpiredShares],
  ["expired answer links", purgeExpiredAnswerLinks],
  ["orphan files", purgeOrphanFiles],
  ["old history", purgeOldHistory],
  ["message retention", purgeExpiredMessages],
];

interface MaintenanceReport {
  removed: Removed;
  /** false when the time budget left work for the next run. */
  complete: boolean;
  failed: string[];
}

/** Runs every purge once, with cutoffs measured from `now`. */
export async function runMaintenance(env: Env, now = Date.now(), budgetMs = RUN_BUDGET_MS): Promise<MaintenanceReport> {
  const run: MaintenanceRun = { env, db: db(env.DB), now, deadline: Date.now() + budgetMs, cutShort: false, failed: [] };
  const removed: Removed = {};
  for (const [name, purge] of PURGES) {
    try {
      Object.assign(removed, await purge(run));
    } catch (err) {
      logError(`clean-up: ${name} failed`, err);
      run.failed.push(name);
    }
  }
  return { removed, complete: !run.cutShort, failed: run.failed };
}

/** The Worker's `scheduled` handler. */
export const scheduled: ExportedHandlerScheduledHandler<Env> = async (controller, env) => {
  const report = await runMaintenance(env, controller.scheduledTime);
  console.log("clean-up", JSON.stringify(report));
  if (report.failed.length) throw new Error(`clean-up: ${report.failed.length} part(s) failed (logged above)`);
};
