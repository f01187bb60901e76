// Agent API: channels (agents) and the heartbeat.
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { ApiError, notFound } from "../lib/errors";
import { doc, jsonBody } from "../lib/validate";
import { roomOf } from "../room";
import {
  agentCommandsBody,
  createAgentBody,
  deleteWebhookBody,
  setTagBody,
  setWebhookBody,
  statusPingBody,
  updateAgentBody,
} from "../../contract/requests/agent";
import { agentDto, canUseAgent, createAgent, ownAgent, resolveChannel, updateAgent, updateOwnAgent, usableAgents } from "../services/agents";
import { assertWebhookUrls } from "../webhooks/ssrf";

export const agentRoutes = new Hono<AppEnv>()
  .get("/agents", doc("List the channels (agents) this key can use"), async (c) => {
    const list = await usableAgents(c.var.db, c.get("principal"));
    return c.json(list.map(agentDto));
  })
  .post("/agents", doc("Create a channel", { responses: { 201: "The new agent" } }), jsonBody(createAgentBody), async (c) => {
    const p = c.get("principal");
    if (p.agentIds !== null) throw new ApiError(403, "This key is scoped to specific agents and cannot create new ones");
    return c.json(agentDto(await createAgent(c.var.db, c.env, p.userId, c.req.valid("json"))), 201);
  })
  .post("/agents/setTag", doc('Set or clear (null or "") the agent\'s tag, its sidebar group'), jsonBody(setTagBody), async (c) => {
    const { channelId, tag } = c.req.valid("json");
    return c.json(agentDto(await updateOwnAgent(c.var.db, c.get("principal"), channelId, { tag })));
  })
  .post(
    "/agents/setWebhook",
    doc("Replace the agent's webhook: its URL, extra headers and basic auth (the password is write-only)"),
    jsonBody(setWebhookBody),
    async (c) => {
      const { channelId, url, headers, auth } = c.req.valid("json");
      assertWebhookUrls(c.env, [["url", url]]);
      const changes = { webhookUrl: url, webhookHeaders: headers ?? null, webhookAuth: auth ?? null };
      return c.json(agentDto(await updateOwnAgent(c.var.db, c.get("principal"), channelId, changes)));
    },
  )
  .post("/agents/deleteWebhook", doc("Remove the agent's webhook with its headers and auth"), jsonBody(deleteWebhookBody), async (c) => {
    const changes = { webhookUrl: null, webhookHeaders: null, webhookAuth: null };
    return c.json(agentDto(await updateOwnAgent(c.var.db, c.get("principal"), c.req.valid("json").channelId, changes)));
  })
  .patch("/agents/:id", doc("Change a channel's name, description, avatar, tag, retention or webhook"), jsonBody(updateAgentBody), async (c) => {
    const d = c.var.db;
    const agent = await ownAgent(d, c.get("principal"), c.req.param("id"));
    return c.json(agentDto(await updateAgent(d, c.env, agent, c.req.valid("json"))));
  })
  .put(
    "/agents/:id/commands",
    doc("Replace the agent's slash commands (the whole list); people pick them in the composer"),
    jsonBody(agentCommandsBody),
    async (c) => {
      const p = c.get("principal");
      const agentId = c.req.param("id");
      if (!canUseAgent(p, agentId)) throw notFound("Agent");
      const updated = await roomOf(c.env, agentId).setCommands(agentId, p.userId, c.req.valid("json"));
      if (!updated) throw notFound("Agent");
      return c.json(agentDto(updated));
    },
  )
  .delete("/agents/:id", doc("Delete a channel with all its messages and files"), async (c) => {
    const agent = await ownAgent(c.var.db, c.get("principal"), c.req.param("id"));
    await roomOf(c.env, agent.id).destroy(agent.id);
    return c.json({ id: agent.id, deleted: true });
  })
  .post("/status/ping", doc("Report the agent's status (heartbeat)"), jsonBody(statusPingBody), async (c) => {
    const body = c.req.valid("json");
    const agent = await resolveChannel(c.var.db, c.get("principal"), body.agentId);
    const updated = await roomOf(c.env, agent.id).reportStatus({ agentId: agent.id, status: body.status, message: body.message ?? null });
    if (!updated) throw new ApiError(404, "Agent not found");
    return c.json(agentDto(updated));
  });
