import { defineConfig } from "drizzle-kit";

// `npm run db:generate` turns worker/db/schema.ts into the SQL migrations that wrangler applies to D1.
export default defineConfig({
  dialect: "sqlite",
  schema: "./worker/db/schema.ts",
  out: "./migrations",
});
