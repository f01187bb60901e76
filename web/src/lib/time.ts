// Clocks and human-readable times. One shared ticker drives every "3 min ago" and countdown.
import { createSignal } from "solid-js";

const [now, setNow] = createSignal(Date.now());
setInterval(() => setNow(Date.now()), 1000);
export { now };

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

export function ago(iso: string | null | undefined, at = now()): string {
  if (!iso) return "never";
  const ms = at - Date.parse(iso);
  if (ms < 45_000) return "just now";
  return `${duration(ms)} ago`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric" });

export const clock = (iso: string) => timeFmt.format(new Date(iso));
export const fullDate = (iso: string) => dateTimeFmt.format(new Date(iso));
export const day = (iso: string) => dayFmt.format(new Date(iso));

/** A short time for lists: the clock today, else the day. */
export function shortTime(iso: string, at = now()) {
  const d = new Date(iso);
  const today = new Date(at);
  return d.toDateString() === today.toDateString() ? timeFmt.format(d) : dayFmt.format(d);
}

export function timeLeft(expiresAt: string | null, at = now()): { text: string; ms: number; urgent: boolean } | null {
  if (!expiresAt) return null;
  const ms = Date.parse(expiresAt) - at;
  if (ms <= 0) return { text: "expiring…", ms, urgent: true };
  return { text: `${duration(ms)} left`, ms, urgent: ms < 10 * 60_000 };
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}
