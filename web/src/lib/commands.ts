// Slash commands in the composer: which of the agent's commands match what is typed, and what a typed line runs.
import type { AgentCommand } from "./types";

/** The command name being typed (`/dep` → "dep"), or null once there is a space (the arguments) or no leading slash. */
export function commandQuery(text: string): string | null {
  const m = /^\/(\S*)$/.exec(text);
  return m ? m[1]!.toLowerCase() : null;
}

/** The commands matching `query`: those starting with it first, then those containing it, each in the agent's order. */
export function matchCommands(commands: readonly AgentCommand[], query: string): AgentCommand[] {
  const starts = commands.filter((c) => c.command.startsWith(query));
  const contains = commands.filter((c) => !c.command.startsWith(query) && c.command.includes(query));
  return [...starts, ...contains];
}

/**
 * The agent's command a finished line runs (`/deploy prod` → deploy with args "prod"), or null for a plain
 * message (no slash, or a name the agent does not offer: sent as text as typed).
 */
export function parseCommand(commands: readonly AgentCommand[], text: string): { name: string; args: string } | null {
  const m = /^\/([a-z0-9][a-z0-9_-]*)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m || !commands.some((c) => c.command === m[1])) return null;
  return { name: m[1]!, args: (m[2] ?? "").trim() };
}
