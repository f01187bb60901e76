// D1 binds at most 100 parameters per query, so a list is never bound value by value: it travels as
// one JSON parameter and SQLite's json_each unpacks it, however long it is.
import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** `column IN (…values)`, binding one parameter whatever the length of `values`. */
export const inList = (column: SQLiteColumn, values: readonly (string | number)[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
