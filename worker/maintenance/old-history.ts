// Webhook-delivery and agent-status-history rows older than HISTORY_RETENTION_DAYS (wrangler.toml).
import { lt } from "drizzle-orm";
import { agentStatusHistory, webhookDeliveries } from "../db/schema";
import type { Env } from "../env";
import { DAY_MS, isoAt, purgeRows, type MaintenanceRun, type Removed } from "./run";

const DEFAULT_HISTORY_DAYS = 90;

/** HISTORY_RETENTION_DAYS as a whole number of days ≥ 1; anything else means the default. */
function historyRetentionDays(env: Env): number {
  const days = Number(env.HISTORY_RETENTION_DAYS);
  return Number.isInteger(days) && days >= 1 ? days : DEFAULT_HISTORY_DAYS;
}

export async function purgeOldHistory(run: MaintenanceRun): Promise<Removed> {
  const cutoff = isoAt(run.now - historyRetentionDays(run.env) * DAY_MS);
  const webhookDeliveriesRemoved = await purgeRows(run, webhookDeliveries, webhookDeliveries.id, lt(webhookDeliveries.createdAt, cutoff));
  const statusHistory = await purgeRows(run, agentStatusHistory, agentStatusHistory.id, lt(agentStatusHistory.createdAt, cutoff));
  return { webhookDeliveries: webhookDeliveriesRemoved, statusHistory };
}
