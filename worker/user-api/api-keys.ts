// API keys: created and rotated here, shown once, stored only as SHA-256.
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import type { ApiKeyDto, IssuedApiKeyDto } from "../../contract/dto";
import type { Db } from "../db/client";
import { agents, apiKeys } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { revokeEverywhere } from "../gateway/revocation";
import { ApiError, invalid, notFound } from "../lib/errors";
import { visibleAgentsOf } from "../services/agents";
import { sha256Hex } from "../lib/crypto";
import { newId, nowIso } from "../lib/ids";
import { doc, jsonBody } from "../lib/validate";
import { createApiKeyBody } from "../../contract/requests/account";
import { newApiKey } from "../auth/api-key";
import { inList } from "../db/lists";
import { forgetCallers } from "../room";

type KeyRow = typeof apiKeys.$inferSelect;

const keyDto = (k: KeyRow): ApiKeyDto => ({
  id: k.id,
  label: k.label,
  keyPrefix: k.keyPrefix,
  agentIds: k.agentIds,
  lastUsedAt: k.lastUsedAt,
  createdAt: k.createdAt,
});

async function ownKey(d: Db, userId: string, id: string) {
  const key = await d.query.apiKeys.findFirst({ where: and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)) });
  if (!key) throw notFound("API key");
  return key;
}

/**
 * A revoked or rotated key stops at once: its Socket.IO connections end on every shard, and every room
 * that may know it (its scope's, or all its user's) reads it from D1 again (room/access.ts).
 */
async function keyEnded(env: Env, d: Db, key: KeyRow): Promise<void> {
  const channelIds = key.agentIds ?? (await d.select({ id: agents.id }).from(agents).where(eq(agents.userId, key.userId))).map((a) => a.id);
  await Promise.all([revokeEverywhere(env, { kind: "key", keyId: key.id }), forgetCallers(env, key.userId, channelIds)]);
}

export const apiKeyRoutes = new Hono<AppEnv>()
  .get("/", doc("List API keys (never the keys themselves)"), async (c) => {
    const list = await c.var.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.userId, c.get("principal").userId))
      .orderBy(apiKeys.createdAt);
    return c.json({ data: list.map(keyDto) });
  })
  .post(
    "/",
    doc("Create an API key, optionally scoped to agents; the key is shown once", { responses: { 201: "The key, shown once" } }),
    jsonBody(createApiKeyBody),
    async (c) => {
      const body = c.req.valid("json");
      const d = c.var.db;
      const userId = c.get("principal").userId;
      if (body.agentIds) {
        // One query: the named agents the person sees (their own, and those they are a member of).
        const found = await d
          .select({ id: agents.id, userId: agents.userId })
          .from(agents)
          .where(and(visibleAgentsOf(c.get("principal")), inList(agents.id, body.agentIds)));
        const missing = body.agentIds.map((id, i) => ({ id, i })).filter(({ id }) => !found.some((f) => f.id === id));
        if (missing.length) throw invalid(missing.map(({ i }) => ({ path: `agentIds.${i}`, message: "no such agent", code: "not_found" })));
        // A key speaks as the agent: only its owner gives one out.
        const notOwned = body.agentIds.map((id, i) => ({ id, i })).filter(({ id }) => found.some((f) => f.id === id && f.userId !== userId));
        if (notOwned.length) {
          throw new ApiError(
            403,
            "Only the agent's owner can create API keys for it",
            notOwned.map(({ i }) => ({ path: `agentIds.${i}`, message: "you are a member of this agent, not its owner", code: "forbidden" })),
          );
        }
      }
      const { key, keyPrefix } = newApiKey();
      const row: KeyRow = {
        id: newId(),
        userId,
        label: body.label,
        keyPrefix,
        keyHash: await sha256Hex(key),
        agentIds: body.agentIds ?? null,
        lastUsedAt: null,
        createdAt: nowIso(),
      };
      await d.insert(apiKeys).values(row);
      return c.json({ ...keyDto(row), key } satisfies IssuedApiKeyDto, 201);
    },
  )
  .delete("/:id", doc("Revoke an API key: it stops working at once"), async (c) => {
    const d = c.var.db;
    const key = await ownKey(d, c.get("principal").userId, c.req.param("id"));
    await d.delete(apiKeys).where(eq(apiKeys.id, key.id));
    await keyEnded(c.env, d, key);
    return c.json({ id: key.id, deleted: true });
  })
  .post("/:id/rotate", doc("Replace a key's secret: the old key stops at once, the new one is shown once"), async (c) => {
    const d = c.var.db;
    const row = await ownKey(d, c.get("principal").userId, c.req.param("id"));
    const { key, keyPrefix } = newApiKey();
    await d
      .update(apiKeys)
      .set({ keyPrefix, keyHash: await sha256Hex(key), lastUsedAt: null })
      .where(eq(apiKeys.id, row.id));
    await keyEnded(c.env, d, row);
    return c.json({ ...keyDto({ ...row, keyPrefix, lastUsedAt: null }), key } satisfies IssuedApiKeyDto);
  });
