// The SSRF guard for webhook URLs, applied when a URL is accepted and again before every send.
// WHATWG URL parsing already turns every IPv4 spelling (decimal, octal, hex, short forms) into a
// dotted quad; ipaddr.js then classifies the address, and only public unicast is allowed.
import ipaddr from "ipaddr.js";
import type { Env } from "../env";
import { invalid, type FieldError } from "../lib/errors";

const BLOCKED_NAMES = new Set(["localhost", "metadata", "metadata.goog", "instance-data", "kubernetes.default"]);
const BLOCKED_SUFFIXES = [".localhost", ".internal", ".local", ".home.arpa"];

export interface WebhookPolicy {
  allowHosts: string[];
  allowLoopback: boolean;
}

export const webhookPolicy = (env: Pick<Env, "WEBHOOK_ALLOW_HOSTS" | "ALLOW_LOOPBACK_WEBHOOKS">): WebhookPolicy => ({
  allowHosts: (env.WEBHOOK_ALLOW_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean),
  allowLoopback: env.ALLOW_LOOPBACK_WEBHOOKS === "true",
});

/** Whether a URL's hostname names this machine: `localhost`, `*.localhost`, or a loopback address (IPv4-mapped too). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === "loopback";
}

/** Why a URL may not receive webhooks, or null when it may. */
export function refuseWebhookUrl(raw: string, policy: WebhookPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "only http and https URLs can receive webhooks";
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const bare = host.startsWith("[") ? host.slice(1, -1) : host;
  if (policy.allowHosts.includes(host) || policy.allowHosts.includes(bare)) return null;

  if (ipaddr.isValid(bare)) {
    const address = ipaddr.process(bare); // IPv4-mapped IPv6 becomes the IPv4 address it carries
    const range = address.range();
    if (range === "unicast") return null;
    if (range === "loopback" && policy.allowLoopback) return null;
    return `the address ${bare} is ${range}, not public`;
  }
  if (BLOCKED_NAMES.has(host) || BLOCKED_SUFFIXES.some((s) => host.endsWith(s))) {
    if (isLoopbackHost(host) && policy.allowLoopback) return null;
    return `the host ${host} is internal`;
  }
  // A single label (no dot) is an intranet name, never a public host.
  if (!host.includes(".")) return `the host ${host} is not a public name`;
  return null;
}

/** 400 listing every URL the guard refuses, as `[path, url]` pairs (absent URLs are skipped). */
export function assertWebhookUrls(env: Env, urls: [string, string | null | undefined][]): void {
  const policy = webhookPolicy(env);
  const errors: FieldError[] = [];
  for (const [path, url] of urls) {
    const refused = url ? refuseWebhookUrl(url, policy) : null;
    if (refused) errors.push({ path, message: `cannot receive webhooks: ${refused}`, code: "forbidden_url" });
  }
  if (errors.length) throw invalid(errors);
}
