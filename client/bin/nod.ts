// nod: Nod from a shell. Asks a person and waits for the answer, so a script or CI job can gate on it, and
// sends messages, files and heartbeats. Configured by NOD_URL, NOD_API_KEY, NOD_CHANNEL or flags.
//
//   NOD_URL=https://nod.example.com NOD_API_KEY=hp_… npx nod ask "Deploy v2.1 to production?" --approve
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { NodError } from "../src/index";
import { COMMANDS, type Context } from "./cli/commands";
import { clientFrom, type GlobalFlags } from "./cli/config";
import { EXIT, type ExitCode, UsageError } from "./cli/exit-codes";
import { commandHelp, mainHelp } from "./cli/help";
import { progress as makeProgress } from "./cli/progress";

const GLOBAL_OPTIONS = {
  url: { type: "string" },
  "api-key": { type: "string" },
  channel: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The package's version, from the package.json beside dist/. */
function version(): string {
  try {
    return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
  } catch {
    return "unknown";
  }
}

async function main(argv: string[]): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const about = name === "help" && rest[0] ? COMMANDS[rest[0]] : undefined;
    // Bare `nod` is a usage error: its help goes to stderr, leaving stdout to answers.
    (name === undefined ? process.stderr : process.stdout).write(about ? commandHelp(about) : mainHelp(COMMANDS, version()));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")})`);

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, name);
  }
  const values = parsed.values as Context["values"];
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const progress = makeProgress();
  const onInterrupt = () => {
    progress.stop();
    process.stderr.write("nod: interrupted; a review already asked stays open (nod pending lists it, nod wait <id> picks it up)\n");
    process.exit(EXIT.interrupted);
  };
  process.once("SIGINT", onInterrupt);
  process.once("SIGTERM", onInterrupt);
  return command.run({
    values,
    positionals: parsed.positionals,
    client: () => clientFrom(values as GlobalFlags, process.env, (line) => progress.say(line)),
    progress,
    print: (value, plain) => {
      if (values.json || plain === undefined) process.stdout.write(`${JSON.stringify(value, null, values.json ? 2 : 0)}\n`);
      else if (plain !== "") process.stdout.write(`${plain}\n`); // an empty list prints nothing, not a blank line
    },
  });
}

/** Maps what went wrong to a message on stderr and an exit code (README, "The CLI"). */
function report(err: unknown): ExitCode {
  if (err instanceof UsageError) {
    process.stderr.write(`nod: ${err.message}\n${err.command ? `See nod ${err.command} --help.\n` : "See nod --help.\n"}`);
    return EXIT.usage;
  }
  if (err instanceof NodError) {
    process.stderr.write(`nod: ${err.message}\n`);
    for (const e of err.errors) process.stderr.write(`  ${e.path || "(body)"}: ${e.message}\n`);
    if (err.status === 400 || err.status === 413 || err.status === 415) return EXIT.usage;
    return err.status === 429 || err.status >= 500 ? EXIT.failed : EXIT.refused;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  process.stderr.write(`nod: ${err instanceof Error ? err.message : String(err)}${cause}\n`);
  return EXIT.failed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(report(err)),
);
