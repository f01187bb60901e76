// The Files page's list (`GET /api/files` on the user API): every file attached to a message in the
// person's agents (and those they are a member of), newest first, filtered by kind, agent and name, one D1 round trip a page.
import { and, desc, eq, inArray, isNotNull, like, lt, not, or, sql, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import type { z } from "zod";
import type { Db } from "../db/client";
import { inList } from "../db/lists";
import { agents, attachments } from "../db/schema";
import type { AppEnv, Principal } from "../env";
import { notFound } from "../lib/errors";
import { canUseAgent, memberChannel, visibleAgent } from "../services/agents";
import type { GalleryFileDto, PageDto } from "../../contract/dto";
import type { FileKind } from "../../contract/enums";
import { KIND_PREFIXES, PDF_TYPE, TEXT_APPLICATION_SUBTYPES, TEXT_SUFFIXES } from "../../contract/file-kinds";
import { galleryQuery, listFilesQuery } from "../../contract/requests/file";
import { doc, parseWith } from "../lib/validate";
import { channelFiles } from "./routes";

const mime = attachments.mimeType;

// The kinds as SQL, built from the very lists contract/file-kinds.ts classifies with (MIME types are
// stored in lower case: files/store.ts cleanMime). A type is of the first kind that fits, as fileKindOf says.
const image = like(mime, `${KIND_PREFIXES.image}%`);
const pdf = eq(mime, PDF_TYPE);
const video = like(mime, `${KIND_PREFIXES.video}%`);
const audio = like(mime, `${KIND_PREFIXES.audio}%`);
const textLike = or(
  like(mime, "text/%"),
  inArray(
    mime,
    TEXT_APPLICATION_SUBTYPES.map((s) => `application/${s}`),
  ),
  ...TEXT_SUFFIXES.map((s) => like(mime, `%${s}`)),
)!;
const media = or(image, pdf, video, audio)!;

const KIND_FILTERS: Record<FileKind, SQL> = {
  image,
  pdf,
  video,
  audio,
  // `image/svg+xml` has a text suffix but is an image.
  text: and(textLike, not(media))!,
  other: not(or(media, textLike)!),
};

/** The columns of a gallery row: no `textContent` (up to 50 KB a file), which the grid never shows. */
const columns = {
  id: attachments.id,
  filename: attachments.filename,
  mimeType: attachments.mimeType,
  size: attachments.size,
  messageId: attachments.messageId,
  channelId: attachments.channelId,
  createdAt: attachments.createdAt,
  agentName: agents.name,
};

type GalleryQuery = z.output<typeof galleryQuery>;

/**
 * One page of the person's files, newest first (by id, which starts with its creation time); the cursor
 * is the last id of a page. Only attached files: each one's message is what the page links to.
 */
export async function listGallery(d: Db, p: Principal, q: GalleryQuery): Promise<PageDto<GalleryFileDto>> {
  if (q.agent !== undefined && !canUseAgent(p, q.agent)) throw notFound("Agent");
  // The person's own agents' files, and those of the agents they are a member of (stored under the owner's id).
  const mine = eq(attachments.userId, p.userId);
  const seen = p.keyId !== undefined ? mine : or(mine, memberChannel(attachments.channelId, p.userId))!;
  const conditions: SQL[] = [seen, isNotNull(attachments.messageId)];
  if (p.agentIds !== null) conditions.push(inList(attachments.channelId, p.agentIds));
  if (q.agent !== undefined) conditions.push(eq(attachments.channelId, q.agent));
  if (q.type !== undefined) conditions.push(KIND_FILTERS[q.type]);
  // A substring, case-insensitive (ASCII) like the message search, without LIKE's pattern characters.
  if (q.search) conditions.push(sql`instr(lower(${attachments.filename}), lower(${q.search})) > 0`);
  if (q.cursor !== undefined) conditions.push(lt(attachments.id, q.cursor));
  const rows = await d
    .select(columns)
    .from(attachments)
    .innerJoin(agents, eq(agents.id, attachments.channelId))
    .where(and(...conditions))
    .orderBy(desc(attachments.id))
    .limit(q.limit);
  // An agent filter that finds nothing: the agent's own empty list, or someone else's agent (404).
  if (rows.length === 0 && q.agent !== undefined && q.cursor === undefined) await visibleAgent(d, p, q.agent);
  const last = rows.at(-1);
  return { data: rows, nextCursor: rows.length === q.limit && last ? last.id : null };
}

/**
 * `GET /api/files`: the Files page. With a `channel` it is the channel's list instead, the same array
 * `GET /api/v1/files` answers, as it was before the Files page (so scripts that used it keep working).
 */
export const galleryRoutes = new Hono<AppEnv>().get(
  "/",
  doc("The Files page: the person's attached files across agents, newest first, by kind, agent and name (`{data, nextCursor}`)", {
    query: galleryQuery.extend({ channel: listFilesQuery.shape.channel.describe("instead: that channel's files, as GET /api/v1/files lists them") }),
  }),
  async (c) => {
    const d = c.var.db;
    const p = c.get("principal");
    const raw = c.req.query();
    if (raw.channel !== undefined) return c.json(await channelFiles(d, p, parseWith(listFilesQuery, raw, "query")));
    return c.json(await listGallery(d, p, parseWith(galleryQuery, raw, "query")));
  },
);
