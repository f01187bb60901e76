// `nod --help`: the commands, the configuration and the exit codes on one screen.
import type { Command } from "./commands";

export const GLOBAL_HELP = `Configuration (flags win over the environment):
  --url <url>         the Nod server, e.g. https://nod.example.com      (NOD_URL)
  --api-key <key>     an API key, hp_…                                  (NOD_API_KEY)
  --channel <id>      the channel (agent id); optional when the key is scoped to one agent   (NOD_CHANNEL)
  --json              print JSON on stdout (answers always are)
  -h, --help          this help, or a command's with nod <command> --help`;

export function mainHelp(commands: Record<string, Command>, version: string): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join("\n");
  return `nod ${version}: ask a person from a script or CI job and wait for the answer (Nod's agent API).

Usage: nod <command> [arguments] [options]

Commands:
${list}

${GLOBAL_HELP}

Examples:
  nod ask "Deploy v2.1 to production?" --approve --timeout 2h
  nod ask "Which region?" --options eu,us,asia
  nod send "Build #812 passed" --status success --file report.html
  nod ping --status busy --message "Migrating"

Exit codes: 0 answered (approved), 1 rejected, 2 expired, 3 bad usage or input, 4 refused by the server
(401/403 key, 404 channel or message), 5 server unreachable, 130 interrupted.
`;
}

export function commandHelp(command: Command): string {
  return `Usage: ${command.usage}\n\n${GLOBAL_HELP}\n`;
}
