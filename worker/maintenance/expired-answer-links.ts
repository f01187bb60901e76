// Answer links past their expiry (their review's): they already open nothing (answer-links/tokens.ts
// checks expiresAt), the rows only take space.
import { lte } from "drizzle-orm";
import { answerTokens } from "../db/schema";
import { isoAt, purgeRows, type MaintenanceRun, type Removed } from "./run";

export async function purgeExpiredAnswerLinks(run: MaintenanceRun): Promise<Removed> {
  return { answerLinks: await purgeRows(run, answerTokens, answerTokens.tokenHash, lte(answerTokens.expiresAt, isoAt(run.now))) };
}
