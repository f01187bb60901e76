import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Each test file starts with fresh storage: give it Nod's tables.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
