// First run, sign-in and the session: the routes a person uses before and around everything else.
import { count, eq } from "drizzle-orm";
import { Hono } from "hono";
import { releaseLoginAttempt, reserveLoginAttempt } from "../auth/login-limit";
import { endOtherSessions, endSession, sessionAuth, sessionHashOf, startSession } from "../auth/session";
import { issueTicket } from "../auth/tickets";
import { users } from "../db/schema";
import type { AppEnv } from "../env";
import { hashPassword, verifyPassword } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId, nowIso } from "../lib/ids";
import { doc, jsonBody } from "../lib/validate";
import { changePasswordBody, loginBody, setupBody } from "../../contract/requests/account";
import { userDto } from "../services/users";

// Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
const DUMMY_HASH = "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export const authRoutes = new Hono<AppEnv>()
  .get("/setup", doc("Whether the first-run owner setup is still needed"), async (c) => {
    const [row] = await c.var.db.select({ n: count() }).from(users);
    return c.json({ needed: (row?.n ?? 0) === 0 });
  })
  .post(
    "/setup",
    doc("Create the owner on first run (409 once anyone exists)", { responses: { 201: "The owner, signed in" } }),
    jsonBody(setupBody),
    async (c) => {
      const body = c.req.valid("json");
      const user = {
        id: newId(),
        email: body.email,
        displayName: body.displayName,
        role: "owner" as const,
        passwordHash: await hashPassword(body.password),
        preferences: {},
        createdAt: nowIso(),
      };
      // One statement decides the race between two first-run setups: insert only while the table is empty.
      const result = await c.env.DB.prepare(
        "INSERT INTO users (id, email, display_name, role, password_hash, preferences, created_at) SELECT ?, ?, ?, ?, ?, '{}', ? WHERE NOT EXISTS (SELECT 1 FROM users)",
      )
        .bind(user.id, user.email, user.displayName, user.role, user.passwordHash, user.createdAt)
        .run();
      if (result.meta.changes === 0) throw new ApiError(409, "Setup is already done: sign in instead");
      await startSession(c, user.id);
      return c.json(userDto(user), 201);
    },
  )
  .post("/login", doc("Sign in: sets the session cookie"), jsonBody(loginBody), async (c) => {
    const { email, password } = c.req.valid("json");
    await reserveLoginAttempt(c, email); // before the hash: the limit bounds password checks, not failures
    const user = await c.var.db.query.users.findFirst({ where: eq(users.email, email) });
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new ApiError(401, "Wrong email or password");
    await releaseLoginAttempt(c, email);
    await startSession(c, user.id);
    return c.json(userDto(user));
  })
  .post("/logout", doc("Sign out: ends this session"), async (c) => {
    await endSession(c);
    return c.json({ ok: true });
  })
  .get("/me", doc("The signed-in person"), sessionAuth, async (c) => {
    const user = await c.var.db.query.users.findFirst({ where: eq(users.id, c.get("principal").userId) });
    return c.json(userDto(user!));
  })
  .post("/change-password", doc("Change the password; other sessions end"), sessionAuth, jsonBody(changePasswordBody), async (c) => {
    const body = c.req.valid("json");
    const d = c.var.db;
    const userId = c.get("principal").userId;
    const user = await d.query.users.findFirst({ where: eq(users.id, userId) });
    if (!user || !(await verifyPassword(body.currentPassword, user.passwordHash))) {
      throw new ApiError(400, "The current password is wrong", [{ path: "currentPassword", message: "wrong password" }]);
    }
    await d
      .update(users)
      .set({ passwordHash: await hashPassword(body.newPassword) })
      .where(eq(users.id, userId));
    await endOtherSessions(c, userId);
    return c.json({ ok: true });
  })
  .post("/ws-ticket", doc("A ticket for one Socket.IO CONNECT `{token}` within 60 s, bound to this session"), sessionAuth, async (c) => {
    const ticket = await issueTicket(c.env, (await sessionHashOf(c))!);
    if (!ticket) throw new ApiError(401, "Not signed in"); // the session ended since sessionAuth looked
    return c.json({ ticket });
  });
