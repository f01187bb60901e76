import { drizzle } from "drizzle-orm/d1";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import * as schema from "./schema";

const build = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof build>;

/** One drizzle instance per D1 binding: building one walks the whole schema, tens of µs a request several times over. */
const instances = new WeakMap<D1Database, Db>();

export function db(d1: D1Database): Db {
  const known = instances.get(d1);
  if (known) return known;
  const d = build(d1);
  instances.set(d1, d);
  return d;
}
export { schema };

/** Sets `c.var.db`: the D1 handle (see db) for the /api routes and the auth in front of them. */
export const withDb = createMiddleware<AppEnv>(async (c, next) => {
  c.set("db", db(c.env.DB));
  await next();
});
