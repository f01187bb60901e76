// Error logging that never leaks what a query bound. Drizzle's query errors carry their parameters
// (message text, password answers, secrets) in the message and in `params`: only the SQL and the
// driver's own reason are logged. An error that crossed a Durable Object's RPC boundary arrives as a
// plain Error with the same message, so the message itself is cut at drizzle's "params:" line too.
import { DrizzleQueryError } from "drizzle-orm/errors";

/** Drizzle's message is "Failed query: <sql>\nparams: <values>": everything from "params:" on goes. */
const withoutParams = (message: string) => message.replace(/\n?\s*params:[\s\S]*$/, " (params withheld)");

/** What may be logged of an error: its name, message and stack, minus any bound parameters. */
function loggable(err: unknown): string {
  if (err instanceof DrizzleQueryError) {
    const reason = err.cause instanceof Error ? withoutParams(err.cause.message) : String(err.cause ?? "unknown");
    return `DrizzleQueryError: ${reason} (query: ${err.query})`;
  }
  if (err instanceof Error) return `${err.name}: ${withoutParams(err.message)}${err.cause ? ` (cause: ${loggable(err.cause)})` : ""}`;
  return String(err);
}

/** console.error with every error argument made loggable. */
export function logError(what: string, ...details: unknown[]): void {
  console.error(what, ...details.map((d) => (d instanceof Error ? loggable(d) : d)));
}
