// Share links: a URL that serves one file to anyone who has it, without a session, until it expires
// (1 h unless asked, at most 7 days) or its owner revokes the file's links. The token lives only in the
// URL; D1 keeps its SHA-256 (as for API keys and sessions), so the table alone opens nothing.
import { and, eq, gt, inArray, or, sql, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import type { Db } from "../db/client";
import { inList } from "../db/lists";
import { attachments, fileShares } from "../db/schema";
import type { AppEnv, Principal } from "../env";
import { randomToken, sha256Hex } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { nowIso } from "../lib/ids";
import { doc, jsonBody } from "../lib/validate";
import type { ShareLinkDto } from "../../contract/dto";
import { LIMITS } from "../../contract/limits";
import { shareFileBody } from "../../contract/requests/file";
import { memberChannel } from "../services/agents";
import { fileHeaders } from "./routes";

/** Where a link is served: under /api, so it reaches the Worker (wrangler.toml `run_worker_first`). */
export const SHARE_PATH = "/api/share/";

/** 32 random bytes, base64url: 43 characters. Anything else cannot be a token and is not looked up. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A file `id` the caller sees (within the session's scope) as a condition on `attachments`: of their own
 * agents, or (a person) of one they are a member of. A member who may download a file may share it too.
 */
function ownFile(p: Principal, id: string): SQL {
  const mine = eq(attachments.userId, p.userId);
  return and(
    eq(attachments.id, id),
    p.keyId !== undefined ? mine : or(mine, memberChannel(attachments.channelId, p.userId)),
    p.agentIds === null ? undefined : inList(attachments.channelId, p.agentIds),
  )!;
}

const ownFileIds = (d: Db, p: Principal, id: string) => d.select({ id: attachments.id }).from(attachments).where(ownFile(p, id));

/** `POST /api/files/:id/share` and `DELETE /api/files/:id/share`, behind the session (user-api/index.ts). */
export const shareRoutes = new Hono<AppEnv>()
  .post(
    "/:id/share",
    doc("A link that downloads the file without a session, until it expires or is revoked", {
      responses: { 201: "`{url, expiresAt}`", 404: "No such file of yours" },
    }),
    jsonBody(shareFileBody, { optional: true }),
    async (c) => {
      const p = c.get("principal");
      const d = c.var.db;
      const seconds = c.req.valid("json").expiresInSeconds ?? LIMITS.shareDefaultSeconds;
      const token = randomToken(32);
      const now = Date.now();
      const expiresAt = new Date(now + seconds * 1000).toISOString();
      // One round trip: the row is inserted only if the file is the caller's.
      const inserted = await d
        .insert(fileShares)
        .select(
          d
            .select({
              tokenHash: sql<string>`${await sha256Hex(token)}`.as("token_hash"),
              attachmentId: attachments.id,
              userId: attachments.userId,
              expiresAt: sql<string>`${expiresAt}`.as("expires_at"),
              createdAt: sql<string>`${new Date(now).toISOString()}`.as("created_at"),
            })
            .from(attachments)
            .where(ownFile(p, c.req.param("id"))),
        )
        .returning({ expiresAt: fileShares.expiresAt });
      if (inserted.length === 0) throw notFound("File");
      const url = `${new URL(c.req.url).origin}${SHARE_PATH}${token}`;
      return c.json({ url, expiresAt } satisfies ShareLinkDto, 201);
    },
  )
  .delete("/:id/share", doc("Revokes every share link of the file", { responses: { 200: "`{revoked}`: how many links ended" } }), async (c) => {
    const p = c.get("principal");
    const d = c.var.db;
    const id = c.req.param("id");
    // One round trip: whether the file is the caller's, and its links gone if it is.
    const [file, revoked] = await d.batch([
      ownFileIds(d, p, id).limit(1),
      d
        .delete(fileShares)
        .where(and(eq(fileShares.attachmentId, id), inArray(fileShares.attachmentId, ownFileIds(d, p, id))))
        .returning({ tokenHash: fileShares.tokenHash }),
    ]);
    if (file.length === 0) throw notFound("File");
    return c.json({ revoked: revoked.length });
  });

/** The empty 404 of every link that serves nothing: unknown, expired, revoked or its file gone alike. */
const noFile = () => new Response(null, { status: 404, headers: { "Cache-Control": "no-store" } });

/** `GET /api/share/:token`: public, no session (user-api/index.ts mounts it outside `signedIn`). */
export const sharedFileRoutes = new Hono<AppEnv>().get(
  "/:token",
  doc("A shared file's bytes, to anyone with the link (an empty 404 once it expired or was revoked)"),
  async (c) => {
    const token = c.req.param("token");
    if (!TOKEN.test(token)) return noFile();
    const [row] = await c.var.db
      .select({ file: attachments })
      .from(fileShares)
      .innerJoin(attachments, eq(attachments.id, fileShares.attachmentId))
      .where(and(eq(fileShares.tokenHash, await sha256Hex(token)), gt(fileShares.expiresAt, nowIso())))
      .limit(1);
    if (!row) return noFile();
    const object = await c.env.FILES.get(row.file.r2Key);
    if (!object) return noFile();
    return new Response(object.body, {
      headers: {
        ...fileHeaders(row.file, "attachment", row.file.mimeType),
        // A revoked link stops at once: no copy is kept along the way.
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
      },
    });
  },
);
