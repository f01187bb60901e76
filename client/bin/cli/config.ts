// Where `nod` talks to and as whom: flags win over the environment (NOD_URL, NOD_API_KEY, NOD_CHANNEL).
import { NodClient } from "../../src/index";
import { UsageError } from "./exit-codes";

export interface GlobalFlags {
  url?: string;
  "api-key"?: string;
  channel?: string;
}

/** Failed calls in a row before giving up: with the client's backoff (up to 15 s) about seven minutes of a
 *  server down or restarting, which a CI gate waiting hours for a person should ride out. */
const RETRIES = 30;

/** `onRetry` says on stderr why nod is still retrying, so a CI log shows an outage rather than silence. */
export function clientFrom(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env, onRetry?: (line: string) => void): NodClient {
  const url = flags.url ?? env.NOD_URL;
  const apiKey = flags["api-key"] ?? env.NOD_API_KEY;
  const channelId = flags.channel ?? (env.NOD_CHANNEL || undefined);
  if (!url) throw new UsageError("no server: set NOD_URL or pass --url https://nod.example.com");
  if (!apiKey) throw new UsageError("no API key: set NOD_API_KEY or pass --api-key hp_…");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`NOD_URL / --url is not a URL: ${url}`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new UsageError(`NOD_URL / --url must be http(s): ${url}`);
  return new NodClient({
    url: parsed.href,
    apiKey,
    ...(channelId ? { channelId } : {}),
    retries: RETRIES,
    ...(onRetry ? { onRetry: (err, failures, delayMs) => onRetry(retryLine(err, failures, delayMs)) } : {}),
  });
}

function retryLine(err: unknown, failures: number, delayMs: number): string {
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
  const what = err instanceof Error ? `${err.message}${cause}` : String(err);
  return `nod: ${what}; retrying in ${(delayMs / 1000).toFixed(1)} s (${failures} of ${RETRIES} failures in a row)`;
}
