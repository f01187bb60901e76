// Webhook-delivery and agent-status-history rows older than HISTORY_RETENTION_DAYS (wrangler.toml).
import { inArray, lt } from "drizzle-orm";
import { agentStatusHistory, webhookDeliveries } from "../db/schema";
import type { Env } from "../env";
import { BATCH, DAY_MS, drain, isoAt, type MaintenanceRun, type Removed } from "./run";

export const DEFAULT_HISTORY_DAYS = 90;

/** HISTORY_RETENTION_DAYS as a whole number of days ≥ 1; anything else means the default. */
export function historyRetentionDays(env: Env): number {
  const days = Number(env.HISTORY_RETENTION_DAYS);
  return Number.isInteger(days) && days >= 1 ? days : DEFAULT_HISTORY_DAYS;
}

export async function purgeOldHistory(run: MaintenanceRun): Promise<Removed> {
  const { db } = run;
  const cutoff = isoAt(run.now - historyRetentionDays(run.env) * DAY_MS);
  const webhookDeliveriesRemoved = await drain(run, async () => {
    const old = db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(lt(webhookDeliveries.createdAt, cutoff)).limit(BATCH);
    return (await db.delete(webhookDeliveries).where(inArray(webhookDeliveries.id, old)).returning({ id: webhookDeliveries.id })).length;
  });
  const statusHistory = await drain(run, async () => {
    const old = db.select({ id: agentStatusHistory.id }).from(agentStatusHistory).where(lt(agentStatusHistory.createdAt, cutoff)).limit(BATCH);
    return (await db.delete(agentStatusHistory).where(inArray(agentStatusHistory.id, old)).returning({ id: agentStatusHistory.id })).length;
  });
  return { webhookDeliveries: webhookDeliveriesRemoved, statusHistory };
}
