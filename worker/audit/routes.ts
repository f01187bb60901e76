// Reading a channel's audit log (the room writes it: writer.ts): a page of entries, the whole log as JSON
// Lines, and the hash chain checked, of the stored log or of an exported file. For the agent's owner and
// its members; anyone else gets 404, as if the agent did not exist.
//
// A long log never has to fit in memory: the export and the stored log's check read it in pages of
// PAGE rows. A file to check arrives as a request body (at most LIMITS.jsonBodyBytes, like every body).
import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import { Hono, type MiddlewareHandler } from "hono";
import type { AuditEntryDto, AuditVerifyDto, PageDto } from "../../contract/dto";
import { auditQuery } from "../../contract/requests/agent";
import { auditEntrySchema } from "../../contract/requests/audit";
import { sessionAuth } from "../auth/session";
import type { Db } from "../db/client";
import { auditLog } from "../db/schema";
import type { AppEnv, Principal } from "../env";
import { invalid, zodErrors } from "../lib/errors";
import { doc, query } from "../lib/validate";
import { visibleAgent } from "../services/agents";
import { ChainVerifier } from "./chain";

/** Rows per read of the export and of the stored chain's check. */
export const PAGE = 500;

/** Deeper lines than this are refused before zod or the hash walk them (an entry's data is shallow). */
const MAX_LINE_DEPTH = 64;

/**
 * The session check, unless an earlier wrapper on /api/agents already made it (user-api/index.ts mounts
 * these routes beside the agent routes, whose `signedIn` runs first): one session lookup per request.
 */
const signedIn: MiddlewareHandler<AppEnv> = (c, next) => ((c.var.principal as Principal | undefined) ? next() : sessionAuth(c, next));

/** The agent's id if the caller owns it or is one of its members (services/agents.ts, one query), else 404. */
const visibleAgentId = async (d: Db, p: Principal, agentId: string) => (await visibleAgent(d, p, agentId)).agent.id;

type AuditRow = typeof auditLog.$inferSelect;

/** A stored row as the API shows it (the key order of every export line). */
export const entryDto = (r: AuditRow): AuditEntryDto => ({
  channelId: r.channelId,
  seq: r.seq,
  at: r.at,
  action: r.action,
  actor: { type: r.actorType, id: r.actorId, displayName: r.actorName },
  messageId: r.messageId,
  data: r.data as AuditEntryDto["data"],
  ip: r.ip,
  userAgent: r.userAgent,
  prevHash: r.prevHash,
  hash: r.hash,
});

/**
 * Up to `limit` entries after seq `after`, oldest first. With `messageId`, one review's trail through
 * audit_log_message_idx: the unary + keeps SQLite off the primary key, which it would otherwise pick and
 * then walk the channel's whole log (a review's trail is a handful of rows, sorted after).
 */
export function readPage(d: Db, channelId: string, after: number, limit: number, messageId?: string) {
  const where =
    messageId === undefined
      ? and(eq(auditLog.channelId, channelId), gt(auditLog.seq, after))
      : and(eq(auditLog.messageId, messageId), sql`+${auditLog.channelId} = ${channelId}`, sql`+${auditLog.seq} > ${after}`);
  return d.select().from(auditLog).where(where).orderBy(asc(auditLog.seq)).limit(limit);
}

/** The whole log in seq order, one non-empty page at a time. */
async function* pages(d: Db, channelId: string): AsyncGenerator<AuditEntryDto[]> {
  let after = 0;
  for (;;) {
    const rows = await readPage(d, channelId, after, PAGE);
    if (rows.length > 0) yield rows.map(entryDto);
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.seq;
  }
}

/** How deeply a parsed JSON value nests (iteratively: a hostile line cannot overflow the stack). */
function depthOver(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The entries of a JSON Lines file with their 1-based line numbers (blank lines skipped); 400 naming the first bad line. */
function parseExport(text: string): { line: number; entry: AuditEntryDto }[] {
  const out: { line: number; entry: AuditEntryDto }[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const source = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (source.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (err) {
      const why = err instanceof Error ? err.message : "not JSON";
      throw invalid([{ path: `line.${line}`, message: `not JSON: ${why}`, code: "invalid_json" }], `Line ${line} is not JSON: ${why}`);
    }
    if (depthOver(value, MAX_LINE_DEPTH)) {
      throw invalid([{ path: `line.${line}`, message: `nested deeper than ${MAX_LINE_DEPTH} levels`, code: "too_deep" }], `Line ${line} is nested too deeply`);
    }
    const parsed = auditEntrySchema.safeParse(value);
    if (!parsed.success) {
      const errors = zodErrors(parsed.error, `line.${line}`);
      const summary = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
      throw invalid(errors, `Line ${line} is not an audit entry: ${summary}`);
    }
    out.push({ line, entry: parsed.data });
  }
  return out;
}

/** The stored hash of each seq from 1 to `upTo`, in pages. */
async function* storedHashes(d: Db, channelId: string, upTo: number): AsyncGenerator<{ seq: number; hash: string }> {
  let after = 0;
  for (;;) {
    const rows = await d
      .select({ seq: auditLog.seq, hash: auditLog.hash })
      .from(auditLog)
      .where(and(eq(auditLog.channelId, channelId), gt(auditLog.seq, after), lte(auditLog.seq, upTo)))
      .orderBy(asc(auditLog.seq))
      .limit(PAGE);
    yield* rows;
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.seq;
  }
}

/**
 * Where the first `n` entries of a file (already checked as a chain, so entry k has seq k) first differ
 * from the stored log: null when they are the stored ones. One query when they are (the last hash seals
 * every entry before it); otherwise the stored hashes are read until the first that differs.
 */
async function firstDifference(d: Db, channelId: string, entries: readonly AuditEntryDto[], n: number): Promise<{ seq: number; reason: string } | null> {
  if (n === 0) return null;
  const [head] = await d
    .select({ hash: auditLog.hash })
    .from(auditLog)
    .where(and(eq(auditLog.channelId, channelId), eq(auditLog.seq, n)));
  if (head?.hash === entries[n - 1]!.hash) return null;
  let expected = 1;
  for await (const stored of storedHashes(d, channelId, n)) {
    if (stored.seq !== expected) break; // the stored log has a gap here (GET verify reports it)
    if (stored.hash !== entries[expected - 1]!.hash) {
      return {
        seq: expected,
        reason: `entry ${expected} is not the stored entry ${expected}: the file was rewritten (its hashes recomputed) or is of another log`,
      };
    }
    expected++;
  }
  return { seq: expected, reason: `the stored log has no entry ${expected}` };
}

export const auditRoutes = new Hono<AppEnv>()
  .use(signedIn)
  .get(
    "/:id/audit",
    doc("The agent's audit log, oldest first, a page after `cursor` (the last seq seen); `messageId`: one review's trail", {
      responses: { 200: "{data: AuditEntryDto[], nextCursor: string | null}" },
    }),
    query(auditQuery),
    async (c) => {
      const d = c.var.db;
      const channelId = await visibleAgentId(d, c.get("principal"), c.req.param("id"));
      const { messageId, cursor, limit } = c.req.valid("query");
      const rows = await readPage(d, channelId, cursor ?? 0, limit + 1, messageId);
      const more = rows.length > limit;
      const data = rows.slice(0, limit).map(entryDto);
      return c.json({ data, nextCursor: more ? String(data.at(-1)!.seq) : null } satisfies PageDto<AuditEntryDto>);
    },
  )
  .get(
    "/:id/audit/export",
    doc("The whole audit log as JSON Lines (application/x-ndjson): one entry per line, in seq order", {
      responses: { 200: "application/x-ndjson, one AuditEntryDto per line, as an attachment audit-<agentId>.jsonl" },
    }),
    async (c) => {
      const d = c.var.db;
      const channelId = await visibleAgentId(d, c.get("principal"), c.req.param("id"));
      const source = pages(d, channelId);
      const encoder = new TextEncoder();
      // One page per pull: the reader's pace decides how far ahead the export reads.
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await source.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value.map((e) => `${JSON.stringify(e)}\n`).join("")));
        },
        async cancel() {
          await source.return(undefined);
        },
      });
      return new Response(body, {
        headers: {
          "content-type": "application/x-ndjson; charset=utf-8",
          "content-disposition": `attachment; filename="audit-${channelId}.jsonl"`,
          "cache-control": "no-store",
        },
      });
    },
  )
  .get(
    "/:id/audit/verify",
    doc("Recomputes every hash of the stored audit log: whether the chain holds, and where it first breaks", { responses: { 200: "AuditVerifyDto" } }),
    async (c) => {
      const d = c.var.db;
      const channelId = await visibleAgentId(d, c.get("principal"), c.req.param("id"));
      const verifier = new ChainVerifier(channelId);
      for await (const page of pages(d, channelId)) for (const entry of page) await verifier.push(entry);
      return c.json(verifier.result() satisfies AuditVerifyDto);
    },
  )
  .post(
    "/:id/audit/verify",
    doc(
      "Checks an exported file (JSON Lines, as the export writes it; send it as application/x-ndjson): its chain, and that its entries are the stored ones. A malformed line is a 400 naming it",
      { body: auditEntrySchema, responses: { 200: "AuditVerifyDto, with the broken entry's line and matchesStore" } },
    ),
    async (c) => {
      const d = c.var.db;
      const channelId = await visibleAgentId(d, c.get("principal"), c.req.param("id"));
      // Decoded here (a JSON Lines body is not text/* to the runtime), invalid UTF-8 as U+FFFD: it then fails its hash.
      const lines = parseExport(new TextDecoder().decode(await c.req.arrayBuffer()));
      const verifier = new ChainVerifier(channelId);
      for (const { entry } of lines) await verifier.push(entry);
      const result = verifier.result();
      const entries = lines.map((l) => l.entry);
      // The entries before the break (all of them when none) must be the stored ones: a file rewritten with
      // recomputed hashes holds on its own, but not against the store, and differs there first.
      const intact = result.firstBroken === null ? entries.length : result.firstBroken - 1;
      const differs = await firstDifference(d, channelId, entries, intact);
      const broken = differs ?? (result.firstBroken === null ? null : { seq: result.firstBroken, reason: result.reason! });
      return c.json({
        ok: broken === null,
        entries: entries.length,
        firstBroken: broken?.seq ?? null,
        reason: broken?.reason ?? null,
        line: broken ? (lines[broken.seq - 1]?.line ?? null) : null,
        matchesStore: differs === null && result.firstBroken === null,
      } satisfies AuditVerifyDto);
    },
  );
