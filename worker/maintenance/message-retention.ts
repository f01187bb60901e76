// Per-agent message retention (agents.retention_days): every channel write goes through the channel's
// room, so the clean-up asks each room that has messages past its agent's retention to purge them
// (room/retention.ts), one batch per call, until done or the run's deadline.
import { and, asc, gt, isNotNull, sql } from "drizzle-orm";
import { agents } from "../db/schema";
import { logError } from "../lib/log";
import { roomOf } from "../room";
import { DAY_MS, isoAt, timeIsUp, type MaintenanceRun, type Removed } from "./run";

/** Agents read per query. */
const AGENT_PAGE = 100;

export async function purgeExpiredMessages(run: MaintenanceRun): Promise<Removed> {
  const removed = { channels: 0, messages: 0, messageFiles: 0 };
  const nowSeconds = Math.floor(run.now / 1000);
  // Only channels whose oldest message (lowest seq: one index lookup) is past the agent's retention:
  // the rooms of every other channel are not woken.
  const hasExpired = sql`unixepoch((SELECT m.created_at FROM messages m WHERE m.channel_id = ${agents.id} ORDER BY m.seq LIMIT 1)) < ${nowSeconds} - ${agents.retentionDays} * 86400`;
  let after = "";
  for (;;) {
    const page = await run.db
      .select({ id: agents.id, days: agents.retentionDays })
      .from(agents)
      .where(and(isNotNull(agents.retentionDays), gt(agents.id, after), hasExpired))
      .orderBy(asc(agents.id))
      .limit(AGENT_PAGE);
    for (const agent of page) {
      if (timeIsUp(run)) {
        run.cutShort = true;
        return removed;
      }
      const cutoff = isoAt(run.now - agent.days! * DAY_MS);
      try {
        removed.channels++;
        for (;;) {
          const batch = await roomOf(run.env, agent.id).purgeBefore(agent.id, cutoff);
          removed.messages += batch.messages;
          removed.messageFiles += batch.files;
          if (batch.done) break;
          if (timeIsUp(run)) {
            run.cutShort = true;
            return removed;
          }
        }
      } catch (err) {
        // One broken room does not hold up the others.
        logError("clean-up: message retention failed for a channel", agent.id, err);
        run.failed.push(`messages of ${agent.id}`);
      }
    }
    if (page.length < AGENT_PAGE) return removed;
    after = page.at(-1)!.id;
  }
}
