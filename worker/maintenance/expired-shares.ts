// Share links past their expiry: they already serve nothing (files/shares.ts checks expiresAt), the
// rows only take space.
import { lte } from "drizzle-orm";
import { fileShares } from "../db/schema";
import { isoAt, purgeRows, type MaintenanceRun, type Removed } from "./run";

export async function purgeExpiredShares(run: MaintenanceRun): Promise<Removed> {
  return { shareLinks: await purgeRows(run, fileShares, fileShares.tokenHash, lte(fileShares.expiresAt, isoAt(run.now))) };
}
