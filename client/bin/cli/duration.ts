// `--timeout 2h`: a review's expiry as people write it. The server counts in whole seconds.
import { UsageError } from "./exit-codes";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90", "90s", "15m", "2h", "1d", "1h30m" → seconds; anything else is a usage error. */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return positive(Number(trimmed), text);
  const parts = [...trimmed.matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) {
    throw new UsageError(`--timeout: "${text}" is not a duration (like 90s, 15m, 2h, 1h30m, 1d)`);
  }
  return positive(
    parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_SECONDS[unit!]!, 0),
    text,
  );
}

function positive(seconds: number, text: string) {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new UsageError(`--timeout: "${text}" must be at least one second`);
  return seconds;
}

/** 65 → "1m 05s", for the spinner. */
export function formatElapsed(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}h ${pad(m)}m ${pad(s)}s` : m ? `${m}m ${pad(s)}s` : `${s}s`;
}
