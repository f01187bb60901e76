// Owner-only user management.
import { count, eq } from "drizzle-orm";
import { Hono } from "hono";
import { db } from "../db/client";
import { attachments, sessions, users } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, notFound } from "../lib/errors";
import { hashPassword } from "../lib/crypto";
import { newId, nowIso } from "../lib/ids";
import { doc, jsonBody } from "../lib/validate";
import { createUserBody, updateUserBody } from "../schemas/account";
import { ownerOnly } from "../auth/session";
import { deleteObjects } from "../files/r2";

type UserRow = typeof users.$inferSelect;

export const userDto = (u: UserRow) => ({ id: u.id, email: u.email, displayName: u.displayName, role: u.role, createdAt: u.createdAt });

export const userRoutes = new Hono<AppEnv>()
  .use(ownerOnly)
  .get("/", doc("List users (owner only)"), async (c) => {
    const list = await db(c.env.DB).select().from(users).orderBy(users.createdAt);
    return c.json({ data: list.map(userDto) });
  })
  .post("/", doc("Create a user (owner only)", { responses: { 201: "The new user" } }), jsonBody(createUserBody), async (c) => {
    const body = c.req.valid("json");
    const d = db(c.env.DB);
    if (await d.query.users.findFirst({ where: eq(users.email, body.email) })) {
      throw new ApiError(409, "A user with this email exists", [{ path: "email", message: "already in use" }]);
    }
    const row: UserRow = { id: newId(), email: body.email, displayName: body.displayName, role: body.role, passwordHash: await hashPassword(body.password), preferences: {}, createdAt: nowIso() };
    await d.insert(users).values(row);
    return c.json(userDto(row), 201);
  })
  .patch("/:id", doc("Change a user's name, role or password (owner only)"), jsonBody(updateUserBody), async (c) => {
    const body = c.req.valid("json");
    const d = db(c.env.DB);
    const user = await d.query.users.findFirst({ where: eq(users.id, c.req.param("id")) });
    if (!user) throw notFound("User");
    if (body.role === "member" && user.role === "owner") await keepAnOwner(d);
    const changes: Partial<UserRow> = {
      ...(body.displayName ? { displayName: body.displayName } : {}),
      ...(body.role ? { role: body.role } : {}),
      ...(body.password ? { passwordHash: await hashPassword(body.password) } : {}),
    };
    await d.update(users).set(changes).where(eq(users.id, user.id));
    if (body.password) await d.delete(sessions).where(eq(sessions.userId, user.id));
    return c.json(userDto({ ...user, ...changes }));
  })
  .delete("/:id", doc("Delete a user and everything they own (owner only)"), async (c) => {
    const d = db(c.env.DB);
    const user = await d.query.users.findFirst({ where: eq(users.id, c.req.param("id")) });
    if (!user) throw notFound("User");
    if (user.id === c.get("principal").userId) throw new ApiError(400, "You cannot delete yourself");
    if (user.role === "owner") await keepAnOwner(d);
    // Their agents, messages and records cascade in D1; the file bytes in R2 go too.
    const files = await d.select({ key: attachments.r2Key }).from(attachments).where(eq(attachments.userId, user.id));
    await d.delete(users).where(eq(users.id, user.id));
    await deleteObjects(c.env.FILES, files.map((f) => f.key));
    return c.json({ id: user.id, deleted: true });
  });

/** Nod always keeps at least one owner. */
async function keepAnOwner(d: ReturnType<typeof db>) {
  const [row] = await d.select({ n: count() }).from(users).where(eq(users.role, "owner"));
  if ((row?.n ?? 0) <= 1) throw new ApiError(400, "The last owner cannot be removed or made a member");
}
