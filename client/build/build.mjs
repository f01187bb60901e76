// `npm run build:client`: the @nod/client package's dist/ — the library (ESM, fetch only), the framework adapters
// (dist/adapters/, one module each, importing its framework), its two bins (each one self-contained file for
// Node 20, so the package has no dependencies) and the .d.ts (types.mjs).
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { buildTypes } from "./types.mjs";

const client = fileURLToPath(new URL("..", import.meta.url));
const dist = `${client}dist`;
rmSync(dist, { recursive: true, force: true });

const common = { absWorkingDir: client, logLevel: "warning", format: "esm", legalComments: "eof" };

// The library imports contract/ for types only, so unbundled it stays a single file with no imports.
await build({ ...common, entryPoints: ["src/index.ts"], target: "es2022", outfile: "dist/index.js" });

// The adapters, unbundled too: each imports its framework (an optional peer dependency, found in the user's
// project) and `../index.js`, the library above, so `instanceof ReviewExpiredError` holds across entry points.
// The main entry imports none of them.
await build({ ...common, entryPoints: ["src/adapters/*.ts"], target: "es2022", outdir: "dist/adapters" });

// The bins carry everything they use (nod-mcp: the MCP SDK and zod). Bundled CommonJS modules call `require`,
// which ESM lacks: the banner gives them Node's.
const bin = {
  ...common,
  bundle: true,
  platform: "node",
  target: "node20",
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __nodCreateRequire } from "node:module";\nconst require = __nodCreateRequire(import.meta.url);',
  },
};
await build({ ...bin, entryPoints: ["bin/nod-mcp.ts"], outfile: "dist/nod-mcp.js" });
await build({ ...bin, entryPoints: ["bin/nod.ts"], outfile: "dist/nod.js" });

await buildTypes(client);
