// Owner-only user management.
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { attachments, users } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, notFound } from "../lib/errors";
import { hashPassword } from "../lib/crypto";
import { newId, nowIso } from "../lib/ids";
import { doc, jsonBody } from "../lib/validate";
import { createUserBody, updateUserBody } from "../../contract/requests/account";
import { endUserSessions, ownerOnly } from "../auth/session";
import { revokeEverywhere } from "../gateway/revocation";
import { deleteObjects } from "../files/r2";
import { channelsOfUserQuery, forgetCallers, forgetUser } from "../room";
import { userDto, type UserRow } from "../services/users";

/** Nod always keeps at least one owner: the condition under which an owner may stop being one. */
const MORE_THAN_ONE_OWNER = "(SELECT count(*) FROM users WHERE role = 'owner') > 1";

const lastOwner = () => new ApiError(400, "The last owner cannot be removed or made a member");

export const userRoutes = new Hono<AppEnv>()
  .use(ownerOnly)
  .get("/", doc("List users (owner only)"), async (c) => {
    const list = await c.var.db.select().from(users).orderBy(users.createdAt);
    return c.json({ data: list.map(userDto) });
  })
  .post("/", doc("Create a user (owner only)", { responses: { 201: "The new user" } }), jsonBody(createUserBody), async (c) => {
    const body = c.req.valid("json");
    const d = c.var.db;
    if (await d.query.users.findFirst({ where: eq(users.email, body.email) })) {
      throw new ApiError(409, "A user with this email exists", [{ path: "email", message: "already in use", code: "conflict" }]);
    }
    const row: UserRow = {
      id: newId(),
      email: body.email,
      displayName: body.displayName,
      role: body.role,
      passwordHash: await hashPassword(body.password),
      preferences: {},
      createdAt: nowIso(),
    };
    await d.insert(users).values(row);
    return c.json(userDto(row), 201);
  })
  .patch("/:id", doc("Change a user's name, role or password (owner only)"), jsonBody(updateUserBody), async (c) => {
    const body = c.req.valid("json");
    const d = c.var.db;
    const user = await d.query.users.findFirst({ where: eq(users.id, c.req.param("id")) });
    if (!user) throw notFound("User");
    const demoted = body.role === "member" && user.role === "owner";
    if (demoted) {
      // Checked and written in one statement: two owners demoting each other at once leave one.
      const result = await c.env.DB.prepare(`UPDATE users SET role = 'member' WHERE id = ? AND (role = 'member' OR ${MORE_THAN_ONE_OWNER})`)
        .bind(user.id)
        .run();
      if (result.meta.changes === 0) throw lastOwner();
    }
    const changes: Partial<UserRow> = {
      ...(body.displayName ? { displayName: body.displayName } : {}),
      ...(body.role && !demoted ? { role: body.role } : {}),
      ...(body.password ? { passwordHash: await hashPassword(body.password) } : {}),
    };
    if (Object.keys(changes).length) await d.update(users).set(changes).where(eq(users.id, user.id));
    // A new password ends their sessions; a demotion closes their sockets, which hold the role they
    // connected with (HTTP reads the role on every request, so their session itself stays).
    // Any change reaches the rooms that know them (room/access.ts): their name is on their answers.
    if (body.password) await endUserSessions(c.env, user.id);
    else await Promise.all([demoted && revokeEverywhere(c.env, { kind: "user-sessions", userId: user.id }), forgetUser(c.env, user.id)]);
    return c.json(userDto({ ...user, ...changes, ...(body.role ? { role: body.role } : {}) }));
  })
  .delete("/:id", doc("Delete a user and everything they own (owner only)"), async (c) => {
    const d = c.var.db;
    const user = await d.query.users.findFirst({ where: eq(users.id, c.req.param("id")) });
    if (!user) throw notFound("User");
    if (user.id === c.get("principal").userId) throw new ApiError(400, "You cannot delete yourself");
    // Their agents, messages and records cascade in D1; the file bytes in R2 go too.
    const [files, channels] = await d.batch([
      d.select({ key: attachments.r2Key }).from(attachments).where(eq(attachments.userId, user.id)),
      channelsOfUserQuery(d, user.id),
    ]);
    // Checked and written in one statement, as for a demotion.
    const result = await c.env.DB.prepare(`DELETE FROM users WHERE id = ? AND (role = 'member' OR ${MORE_THAN_ONE_OWNER})`).bind(user.id).run();
    if (result.meta.changes === 0) {
      if (!(await d.query.users.findFirst({ where: eq(users.id, user.id) }))) throw notFound("User"); // deleted meanwhile
      throw lastOwner();
    }
    // Their sockets go too: the web app's (sessions) and their agents' (API keys); and their keys from the rooms that knew them.
    await Promise.all([
      revokeEverywhere(c.env, { kind: "user", userId: user.id }),
      forgetCallers(
        c.env,
        user.id,
        channels.map((a) => a.id),
      ),
    ]);
    await deleteObjects(
      c.env.FILES,
      files.map((f) => f.key),
    );
    return c.json({ id: user.id, deleted: true });
  });
