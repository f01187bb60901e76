// The package's declarations, self-contained. tsc emits the .d.ts of client/src and of the contract files it
// reads types from; but the contract's request types are zod inferences (`z.input<typeof schema>`), which a
// consumer could only resolve with zod installed. So every emitted file that imports zod is replaced by its
// exported type aliases written out in full (TypeScript's own checker prints them, through its API), and the
// files the entry points do not reach are dropped. The main entry's declarations import no package at all; each
// adapter's (`src/adapters/<name>.ts`) imports only its framework, an optional peer dependency of the package.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { API } from "typescript/unstable/sync";

const require = createRequire(import.meta.url);
/** The package's entry points (relative to dist/types/client/src) and the packages each may import. */
const ENTRIES = {
  "index.d.ts": [],
  "adapters/ai-sdk.d.ts": ["ai"],
  "adapters/openai-agents.d.ts": ["@openai/agents"],
  "adapters/langgraph.d.ts": ["@langchain/langgraph"],
};

/** TypeFormatFlags: NoTruncation | UseFullyQualifiedType | InTypeAlias (the alias itself is written out). */
const EXPAND = 1 | 64 | 8388608;

export async function buildTypes(client) {
  const tsconfig = join(client, "tsconfig.types.json");
  const out = join(client, "dist", "types");
  const repo = resolve(client, "..");
  const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
  execFileSync(process.execPath, [tsc, "-p", tsconfig], { stdio: "inherit" });

  const entries = Object.entries(ENTRIES).map(([file, allowed]) => ({ file: join(out, "client", "src", file), allowed }));
  const reachedAll = () => new Set(entries.flatMap(({ file }) => [...reachable(file)]));
  const zodFiles = [...reachedAll()].filter((file) => /from "zod"/.test(readFileSync(file, "utf8")));
  if (zodFiles.length) expandTypeAliases(zodFiles, { out, repo, tsconfig });

  // Relative imports get their `.js`, so consumers resolving like Node (module: node16/nodenext) find them.
  const kept = reachedAll();
  for (const file of kept) writeFileSync(file, withJsExtensions(file, readFileSync(file, "utf8")));
  for (const file of walk(out)) if (!kept.has(file)) rmSync(file);
  removeEmptyDirs(out);
  for (const { file: entry, allowed } of entries) {
    for (const file of reachable(entry)) {
      const bare = [...readFileSync(file, "utf8").matchAll(/from "([^."][^"]*)"/g)].map((m) => m[1]).filter((name) => !allowed.includes(name));
      if (bare.length) throw new Error(`${relative(out, file)} still imports ${bare.join(", ")}: the types of ${relative(out, entry)} would need it installed`);
    }
  }
}

/** The .d.ts files an entry imports, transitively (itself included). */
function reachable(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      const target = resolveDts(file, spec);
      if (target) visit(target);
    }
  };
  visit(entry);
  return seen;
}

const importsOf = (text) => [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);

function resolveDts(from, spec) {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ""));
  for (const candidate of [`${base}.d.ts`, join(base, "index.d.ts")]) if (existsSync(candidate)) return candidate;
  return undefined;
}

function withJsExtensions(file, text) {
  return text.replace(/((?:from|import)\s*\(?\s*")(\.{1,2}\/[^"]+?)(")/g, (whole, head, spec, tail) => {
    if (spec.endsWith(".js")) return whole;
    const target = resolveDts(file, spec);
    if (!target) return whole;
    return `${head}${target.endsWith("index.d.ts") && !existsSync(`${resolve(dirname(file), spec)}.d.ts`) ? `${spec}/index.js` : `${spec}.js`}${tail}`;
  });
}

/** Rewrites each file as its exported type aliases, expanded by the checker; the zod schemas themselves go. */
function expandTypeAliases(files, { out, repo, tsconfig }) {
  const api = new API({ cwd: repo });
  try {
    const project = api.updateSnapshot({ openProject: tsconfig }).getProjects()[0];
    if (!project) throw new Error(`TypeScript opened no project for ${tsconfig}`);
    for (const file of files) {
      const source = join(repo, relative(out, file)).replace(/\.d\.ts$/, ".ts");
      const sourceText = readFileSync(source, "utf8");
      const emitted = readFileSync(file, "utf8");
      const lines = [`// Generated from ${relative(repo, source)}: its exported types, written out (the package ships no zod).`];
      for (const match of emitted.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?export (?:declare )?type (\w+)(<)?/g)) {
        const [, doc, name, generic] = match;
        if (generic) throw new Error(`${relative(repo, source)}: generic type ${name} cannot be written out; keep it out of the client's types`);
        const at = new RegExp(`type ${name}\\b`).exec(sourceText);
        if (!at) throw new Error(`${relative(repo, source)}: type ${name} not found in the source`);
        const symbol = project.checker.getSymbolAtPosition(source, at.index + "type ".length);
        if (!symbol) throw new Error(`${relative(repo, source)}: no symbol for ${name}`);
        const text = project.checker.typeToString(project.checker.getDeclaredTypeOfSymbol(symbol), undefined, EXPAND);
        if (/\bimport\(|\bz\.|\$Zod/.test(text)) throw new Error(`${relative(repo, source)}: ${name} still names zod: ${text.slice(0, 200)}`);
        lines.push(`${doc ?? ""}export type ${name} = ${text};`);
      }
      writeFileSync(file, `${lines.join("\n")}\nexport {};\n`);
    }
  } finally {
    api.close();
  }
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

function removeEmptyDirs(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) removeEmptyDirs(path);
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}
