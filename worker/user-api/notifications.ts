// A person's notification settings besides push (docs/api.md, "Notification channels"): their channels
// with "Send test", and what each agent sends them. Quiet hours are a preference (preferences.ts).
// A channel is its person's alone: anyone else's id answers 404. Its URL passes the SSRF guard and the
// https rule when saved (and again before each send: notify/deliver.ts); an ntfy token is write-only,
// and a signed webhook's secret is shown once, in the answer that creates it.
import { and, count, eq } from "drizzle-orm";
import { Hono } from "hono";
import type { AgentNotifyLevelDto, CreatedNotificationChannelDto, NotificationChannelDto, NotificationTestDto } from "../../contract/dto";
import { LIMITS } from "../../contract/limits";
import { createNotificationChannelBody, notifyLevelBody, updateNotificationChannelBody } from "../../contract/requests/notifications";
import { linkBase } from "../answer-links/tokens";
import type { Db } from "../db/client";
import { agents, notificationChannels, notifyLevels } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { invalid, notFound } from "../lib/errors";
import { newId, nowIso } from "../lib/ids";
import { doc, jsonBody } from "../lib/validate";
import { deliverNotice, type NotificationChannelRow, refuseChannelUrl } from "../notify/deliver";
import { testNotice } from "../notify/notice";
import { newWebhookSecret, visibleAgent, visibleAgentsOf } from "../services/agents";
import { webhookPolicy } from "../webhooks/ssrf";

export function channelDto(c: NotificationChannelRow): NotificationChannelDto {
  const state = c.lastAttemptAt === null ? "untested" : c.failures > 0 ? "failing" : "ok";
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    url: c.url,
    enabled: c.enabled,
    hasToken: c.token !== null,
    status: {
      state,
      lastAttemptAt: c.lastAttemptAt,
      lastSuccessAt: c.lastSuccessAt,
      lastStatusCode: c.lastStatusCode,
      lastError: c.lastError,
      failures: c.failures,
    },
    createdAt: c.createdAt,
  };
}

/** 400 when the channel may not post to `url`: the SSRF guard, and https outside the dev loopback exception. */
function assertChannelUrl(env: Env, url: string) {
  const refused = refuseChannelUrl(url, webhookPolicy(env));
  if (refused) throw invalid([{ path: "url", message: `cannot receive notifications: ${refused}`, code: "forbidden_url" }]);
}

async function ownChannel(d: Db, userId: string, id: string): Promise<NotificationChannelRow> {
  const channel = await d.query.notificationChannels.findFirst({ where: and(eq(notificationChannels.id, id), eq(notificationChannels.userId, userId)) });
  if (!channel) throw notFound("Notification channel");
  return channel;
}

const channelRoutes = new Hono<AppEnv>()
  .get("/", doc("Your notification channels and their status (never their secrets)"), async (c) => {
    const list = await c.var.db.query.notificationChannels.findMany({
      where: eq(notificationChannels.userId, c.get("principal").userId),
      orderBy: notificationChannels.createdAt,
    });
    // Without PUBLIC_URL a channel gets no answer link: it could not open one relative to this site.
    return c.json({ data: list.map(channelDto), answerLinks: linkBase(c.env) !== "" });
  })
  .post(
    "/",
    doc("Add a channel: ntfy, a Slack-compatible or Discord webhook, or a signed webhook", {
      responses: { 201: "The channel; a signed webhook's `secret` (whsec_…) is in this answer only", 400: "Every problem with the body, or a URL refused" },
    }),
    jsonBody(createNotificationChannelBody),
    async (c) => {
      const body = c.req.valid("json");
      const d = c.var.db;
      const userId = c.get("principal").userId;
      assertChannelUrl(c.env, body.url);
      const [{ n }] = (await d.select({ n: count() }).from(notificationChannels).where(eq(notificationChannels.userId, userId))) as [{ n: number }];
      if (n >= LIMITS.notificationChannels) {
        throw invalid([{ path: "(root)", message: `at most ${LIMITS.notificationChannels} channels a person: delete one first`, code: "too_many" }]);
      }
      const row: NotificationChannelRow = {
        id: newId(),
        userId,
        kind: body.kind,
        name: body.name ?? new URL(body.url).host,
        url: body.url,
        token: body.token ?? null,
        secret: body.kind === "webhook" ? newWebhookSecret() : null,
        enabled: body.enabled,
        lastAttemptAt: null,
        lastSuccessAt: null,
        lastStatusCode: null,
        lastError: null,
        failures: 0,
        createdAt: nowIso(),
      };
      await d.insert(notificationChannels).values(row);
      const created: CreatedNotificationChannelDto = { ...channelDto(row), ...(row.secret ? { secret: row.secret } : {}) };
      return c.json(created, 201);
    },
  )
  .patch(
    "/:id",
    doc("Change a channel: its name, URL, ntfy token (`null` removes it), or whether it is on"),
    jsonBody(updateNotificationChannelBody),
    async (c) => {
      const body = c.req.valid("json");
      const d = c.var.db;
      const channel = await ownChannel(d, c.get("principal").userId, c.req.param("id"));
      if (body.url !== undefined) assertChannelUrl(c.env, body.url);
      if (body.token != null && channel.kind !== "ntfy") throw invalid([{ path: "token", message: "only an ntfy channel takes a token" }]);
      // Only the fields sent are in the body (zod adds no absent keys); `token: null` removes the token.
      const [updated] = await d.update(notificationChannels).set(body).where(eq(notificationChannels.id, channel.id)).returning();
      return c.json(channelDto(updated!));
    },
  )
  .delete("/:id", doc("Delete a channel: nothing more is sent to it"), async (c) => {
    const d = c.var.db;
    const channel = await ownChannel(d, c.get("principal").userId, c.req.param("id"));
    await d.delete(notificationChannels).where(eq(notificationChannels.id, channel.id));
    return c.json({ deleted: true });
  })
  .post("/:id/test", doc("Send a test notification now; answers how it went and the channel's status after it"), async (c) => {
    const d = c.var.db;
    const channel = await ownChannel(d, c.get("principal").userId, c.req.param("id"));
    const { attempt, channel: after } = await deliverNotice(c.env, d, channel, testNotice(nowIso()), `ntf_test_${newId()}`);
    if (!after) throw notFound("Notification channel"); // deleted while the test was on its way
    return c.json({ ok: attempt.ok, statusCode: attempt.statusCode, error: attempt.error, channel: channelDto(after) } satisfies NotificationTestDto);
  });

const levelRoutes = new Hono<AppEnv>()
  .get("/", doc("What each agent you see sends you: all, reviews, or assigned (reviews that name you); all until changed"), async (c) => {
    const p = c.get("principal");
    const rows = await c.var.db
      .select({ agentId: agents.id, level: notifyLevels.level })
      .from(agents)
      .leftJoin(notifyLevels, and(eq(notifyLevels.agentId, agents.id), eq(notifyLevels.userId, p.userId)))
      .where(visibleAgentsOf(p))
      .orderBy(agents.createdAt);
    return c.json({ data: rows.map((r): AgentNotifyLevelDto => ({ agentId: r.agentId, level: r.level ?? "all" })) });
  })
  .put("/:id", doc("Set what this agent sends you"), jsonBody(notifyLevelBody), async (c) => {
    const p = c.get("principal");
    const d = c.var.db;
    const { agent } = await visibleAgent(d, p, c.req.param("id"));
    const { level } = c.req.valid("json");
    await d
      .insert(notifyLevels)
      .values({ userId: p.userId, agentId: agent.id, level })
      .onConflictDoUpdate({ target: [notifyLevels.userId, notifyLevels.agentId], set: { level } });
    return c.json({ agentId: agent.id, level } satisfies AgentNotifyLevelDto);
  });

export const notificationRoutes = new Hono<AppEnv>().route("/channels", channelRoutes).route("/agents", levelRoutes);
