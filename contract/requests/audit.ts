// The audit log as a file: `GET /api/agents/:id/audit/export` writes one entry per line (JSON Lines), and
// `POST /api/agents/:id/audit/verify` reads such a file back with this schema. Nothing is trimmed or
// defaulted: the hash covers the values exactly as the file has them.
import { z } from "zod";
import type { AuditEntryDto } from "../dto";
import { AUDIT_ACTIONS } from "../enums";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits (a SHA-256)");

/** One line of an export: an AuditEntryDto, no more keys. */
export const auditEntrySchema = z
  .strictObject({
    channelId: z.string().min(1),
    seq: z.number().int().min(1),
    at: z.string(),
    action: z.enum(AUDIT_ACTIONS),
    actor: z.strictObject({ type: z.enum(["user", "agent", "system"]), id: z.string().nullable(), displayName: z.string().nullable() }),
    messageId: z.string().nullable(),
    data: z.record(z.string(), z.json()),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    prevHash: hex64,
    hash: hex64,
  })
  .describe(
    "One line of the body: the body is JSON Lines (application/x-ndjson), one audit entry per line in seq order, as GET /api/agents/{id}/audit/export writes it",
  );

// The schema and the DTO describe the same entry (a change to one fails the build until the other follows).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _same: Same<z.output<typeof auditEntrySchema>, AuditEntryDto> = true;
void _same;
