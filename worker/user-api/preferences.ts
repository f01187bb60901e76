import { eq } from "drizzle-orm";
import { Hono } from "hono";
import type { PreferencesDto } from "../../contract/dto";
import { users } from "../db/schema";
import type { AppEnv } from "../env";
import { doc, jsonBody } from "../lib/validate";
import { preferencesSchema, updatePreferencesBody } from "../../contract/requests/account";

const readPreferences = (stored: Record<string, unknown>): PreferencesDto => preferencesSchema.parse(stored);

export const preferenceRoutes = new Hono<AppEnv>()
  .get("/", doc("The person's preferences: theme, inline HTML, push"), async (c) => {
    const user = await c.var.db.query.users.findFirst({ where: eq(users.id, c.get("principal").userId) });
    return c.json(readPreferences(user?.preferences ?? {}));
  })
  .patch("/", doc("Change some preferences"), jsonBody(updatePreferencesBody), async (c) => {
    const d = c.var.db;
    const userId = c.get("principal").userId;
    const user = await d.query.users.findFirst({ where: eq(users.id, userId) });
    const next = readPreferences({ ...(user?.preferences ?? {}), ...c.req.valid("json") });
    await d.update(users).set({ preferences: next }).where(eq(users.id, userId));
    return c.json(next);
  });
