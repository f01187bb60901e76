// Slash commands: a person runs one of the agent's commands; the agent reads which one in the message's metadata.
import { commandText } from "../../contract/requests/message";
import { invalid } from "../lib/errors";
import type { AgentRow } from "./agents";

/**
 * The text and metadata of a person's command message, checked against the agent's current commands:
 * 400 for a command the agent does not offer, or arguments to one that takes none. Only this path sets
 * a person's metadata, so an agent can trust `metadata.command` to be one of its own commands.
 */
export function runCommand(agent: AgentRow, invocation: { name: string; args?: string | undefined }) {
  const command = (agent.commands ?? []).find((c) => c.command === invocation.name);
  const args = invocation.args ?? "";
  if (!command) throw invalid([{ path: "command.name", message: `the agent has no command "/${invocation.name}"`, code: "unknown_command" }]);
  if (args && !command.acceptsArgs) throw invalid([{ path: "command.args", message: `"/${command.command}" takes no arguments`, code: "unexpected_args" }]);
  return { text: commandText(command.command, args), metadata: { command: command.command, args } };
}
