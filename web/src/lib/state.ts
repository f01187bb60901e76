// App-wide state: the signed-in person, their preferences and agents, the pending count, toasts.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { api } from "./api";
import { emit, on } from "./bus";
import { applyTheme } from "./theme";
import type { Agent, List, Message, OwnerAgent, Preferences, User } from "./types";

// ---- session ---------------------------------------------------------------------------------
/** undefined: still asking; null: signed out. */
const [me, setMe] = createSignal<User | null | undefined>(undefined);
export { me, setMe };

const [prefs, setPrefsSignal] = createSignal<Preferences>({ theme: readThemeCache(), inlineHtml: false, push: false, quietHours: null });
export { prefs };

function readThemeCache(): Preferences["theme"] {
  try {
    const t = localStorage.getItem("nod.theme");
    return t === "light" || t === "dark" ? t : "system";
  } catch {
    return "system";
  }
}

export function setPrefs(p: Preferences) {
  setPrefsSignal(p);
  applyTheme(p.theme);
  try {
    localStorage.setItem("nod.theme", p.theme);
  } catch {
    /* private mode */
  }
}

export async function savePrefs(change: Partial<Preferences>) {
  const before = prefs();
  setPrefs({ ...before, ...change });
  try {
    setPrefs(await api.patch<Preferences>("/api/preferences", change));
  } catch (err) {
    setPrefs(before);
    throw err;
  }
}

// ---- agents ----------------------------------------------------------------------------------
const [agents, setAgents] = createStore<Agent[]>([]);
const [agentsLoaded, setAgentsLoaded] = createSignal(false);
export { agents, agentsLoaded };

export const agentById = (id: string | undefined) => agents.find((a) => a.id === id);

export async function loadAgents() {
  const { data } = await api.get<List<Agent>>("/api/agents");
  setAgents(reconcile(data, { key: "id" }));
  setAgentsLoaded(true);
  return data;
}

/** An agent created or changed here: new ones (created here, so mine) start with nothing unread. */
export function upsertAgent(agent: OwnerAgent | Agent) {
  const i = agents.findIndex((a) => a.id === agent.id);
  if (i === -1) setAgents(agents.length, { unreadCount: 0, access: "owner", ...agent });
  else setAgents(i, (a) => ({ ...a, ...agent }));
  emit("agent:changed", agent);
}

export function removeAgent(id: string) {
  setAgents((list) => list.filter((a) => a.id !== id));
}

export function setUnread(agentId: string, n: number | ((n: number) => number)) {
  const i = agents.findIndex((a) => a.id === agentId);
  if (i === -1) return;
  setAgents(i, "unreadCount", (c) => (typeof n === "function" ? n(c ?? 0) : n));
}

/** The conversation on screen, so its new messages do not count as unread. */
const [openChannel, setOpenChannel] = createSignal<string | undefined>();
export { openChannel, setOpenChannel };

/** The highest seq seen per channel: what a reconnect asks the server to replay after. */
export const lastSeq = new Map<string, number>();
export function sawMessage(m: Pick<Message, "channelId" | "seq">) {
  if ((lastSeq.get(m.channelId) ?? -1) < m.seq) lastSeq.set(m.channelId, m.seq);
}

// ---- pending reviews (the inbox badge) --------------------------------------------------------
// Only what waits on me: pending reviews I may answer and have not voted on (the inbox's "Assigned to me").
const [pendingCount, setPendingCount] = createSignal(0);
export { pendingCount };
let countTimer: ReturnType<typeof setTimeout> | undefined;
export function refreshPendingCount(delay = 300) {
  clearTimeout(countTimer);
  countTimer = setTimeout(async () => {
    try {
      const { count } = await api.get<{ count: number }>("/api/reviews/count?status=pending&view=assigned-to-me");
      setPendingCount(count);
    } catch {
      /* shown elsewhere */
    }
  }, delay);
}

export function wireAppState() {
  on("message:created", (m) => {
    sawMessage(m);
    const i = agents.findIndex((a) => a.id === m.channelId);
    if (i !== -1 && m.senderType === "agent") {
      setAgents(i, "lastActiveAt", m.createdAt);
      if (openChannel() !== m.channelId || document.visibilityState !== "visible") setAgents(i, "unreadCount", (c) => (c ?? 0) + 1);
    }
    if (m.review) refreshPendingCount();
  });
  on("review:responded", () => refreshPendingCount());
  on("review:expired", () => refreshPendingCount());
  on("message:deleted", () => refreshPendingCount());
  // A vote or an escalation changes whom a review waits on.
  on("message:updated", (m) => {
    if (m.review) refreshPendingCount();
  });
  on("agent:status", (s) => {
    const i = agents.findIndex((a) => a.id === s.agentId);
    if (i !== -1)
      setAgents(
        i,
        produce((a) =>
          Object.assign(a, { status: s.status, statusMessage: s.statusMessage, statusSince: s.statusSince, lastActiveAt: new Date().toISOString() }),
        ),
      );
  });
  // The agent changed its slash commands: an open composer's palette follows.
  on("agent:commands", ({ agentId, commands }) => {
    const i = agents.findIndex((a) => a.id === agentId);
    if (i !== -1) setAgents(i, "commands", reconcile(commands));
  });
  on("resync", () => {
    void loadAgents().catch(() => undefined);
    refreshPendingCount(0);
  });
}

// ---- toasts ----------------------------------------------------------------------------------
export interface Toast {
  id: number;
  text: string;
  kind: "info" | "error" | "success";
}
const [toasts, setToasts] = createSignal<Toast[]>([]);
export { toasts };
let toastId = 0;
export function toast(text: string, kind: Toast["kind"] = "info", ms = 4000) {
  const id = ++toastId;
  setToasts((t) => [...t, { id, text, kind }]);
  setTimeout(() => dismissToast(id), ms);
}
export const dismissToast = (id: number) => setToasts((t) => t.filter((x) => x.id !== id));
export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
