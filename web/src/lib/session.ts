// Entering and leaving the app: what happens after sign-in and at sign-out.
import { api } from "./api";
import { navigate } from "./router";
import { loadAgents, refreshPendingCount, setMe, setPrefs } from "./state";
import type { Preferences, User } from "./types";

/** After sign-in (or on load with a session): preferences, agents, the pending count, live updates. */
export async function enterApp(user: User) {
  const [p] = await Promise.all([api.get<Preferences>("/api/preferences").catch(() => undefined), loadAgents().catch(() => undefined)]);
  if (p) setPrefs(p);
  setMe(user);
  refreshPendingCount(0);
  void import("./live").then((m) => m.startLive());
}

export async function signOut() {
  try {
    await api.post("/api/auth/logout", {});
  } catch {
    /* the session is gone either way */
  }
  (await import("./live")).stopLive();
  setMe(null);
  navigate("/login", { replace: true });
}
