import { drizzle } from "drizzle-orm/d1";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import * as schema from "./schema";

export const db = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof db>;
export { schema };

/** Sets `c.var.db`: one D1 handle per request, for the /api routes and the auth in front of them. */
export const withDb = createMiddleware<AppEnv>(async (c, next) => {
  c.set("db", db(c.env.DB));
  await next();
});
