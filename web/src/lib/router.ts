// A tiny history router: one signal for the location, link clicks intercepted, patterns with :params.
import { createSignal } from "solid-js";

interface Loc {
  path: string;
  search: string;
  hash: string;
}

const read = (): Loc => ({ path: location.pathname, search: location.search, hash: location.hash });
const [loc, setLoc] = createSignal<Loc>(read());

export const location$ = loc;
export const query = () => new URLSearchParams(loc().search);

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  const current = location.pathname + location.search + location.hash;
  if (to === current) return;
  if (opts.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  setLoc(read());
  if (!opts.replace && !to.includes("#")) window.scrollTo(0, 0);
}

/** Changes some query parameters of the current page (undefined removes one). */
export function setQuery(params: Record<string, string | undefined>, opts: { replace?: boolean } = { replace: true }) {
  const q = query();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === "") q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  navigate(`${loc().path}${s ? `?${s}` : ""}`, opts);
}

/** Checks for a pattern's parameters, by name: a path whose parameter fails its check matches nothing. */
export type ParamChecks = Record<string, (value: string) => boolean>;

/**
 * `/chat/:id` against `/chat/abc` → `{id: "abc"}`, or null. A trailing `*` matches the rest.
 * Parameters are decoded, so they may hold any character (`/`, `?`, `..`): pass `checks` for those
 * that must have a shape (ids), and encode them again wherever they go into a URL (see `apiPath`).
 */
export function match(pattern: string, path = loc().path, checks: ParamChecks = {}): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!;
    if (part === "*") {
      params["*"] = s.slice(i).join("/");
      return params;
    }
    const seg = s[i];
    if (seg === undefined) return null;
    if (part.startsWith(":")) {
      const name = part.slice(1);
      const value = decodeSegment(seg);
      if (value === null || (checks[name] && !checks[name](value))) return null;
      params[name] = value;
    } else if (part !== seg) return null;
  }
  return p.length === s.length ? params : null;
}

/** A path segment decoded, or null when it is not valid percent-encoding (`%E0%A4%A`). */
function decodeSegment(seg: string): string | null {
  try {
    return decodeURIComponent(seg);
  } catch {
    return null;
  }
}

export function startRouter() {
  window.addEventListener("popstate", () => setLoc(read()));
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
    const href = a.getAttribute("href") ?? "";
    if (!href.startsWith("/") || href.startsWith("/api/") || a.dataset.native !== undefined) return;
    e.preventDefault();
    navigate(a.pathname + a.search + a.hash);
  });
}
