// Files stored (POST /files/store) but never attached to a message within a day: the row and the bytes.
import { asc, and, inArray, isNull, lt } from "drizzle-orm";
import { attachments } from "../db/schema";
import { deleteObjects } from "../files/r2";
import { BATCH, drain, isoAt, type MaintenanceRun, type Removed } from "./run";

/** How long a stored file may wait for its message. */
const ORPHAN_AFTER_MS = 24 * 3_600_000;

export async function purgeOrphanFiles(run: MaintenanceRun): Promise<Removed> {
  const { db } = run;
  const cutoff = isoAt(run.now - ORPHAN_AFTER_MS);
  const orphanFiles = await drain(run, async () => {
    const orphans = db
      .select({ id: attachments.id })
      .from(attachments)
      .where(and(isNull(attachments.messageId), lt(attachments.createdAt, cutoff)))
      .orderBy(asc(attachments.createdAt))
      .limit(BATCH);
    // Rows first, in one statement: a file attached by now is no longer an orphan and stays. Should the
    // R2 delete then fail, the bytes outlive their row; the other order could break an attached file.
    const removed = await db.delete(attachments).where(inArray(attachments.id, orphans)).returning({ key: attachments.r2Key });
    await deleteObjects(
      run.env.FILES,
      removed.map((r) => r.key),
    );
    return removed.length;
  });
  return { orphanFiles };
}
