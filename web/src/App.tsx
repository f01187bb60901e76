// The shell: decides between first-run setup, sign-in and the app, and routes the app's pages.
import { createEffect, createSignal, lazy, on, onMount, Show, Suspense, type Component, Match, Switch } from "solid-js";
import { Dynamic } from "solid-js/web";
import { ConfirmHost } from "./components/Dialog";
import { MenuIcon } from "./components/Icons";
import { Sidebar } from "./components/Sidebar";
import { Toasts } from "./components/Toasts";
import { api, ApiError, setUnauthorizedHandler } from "./lib/api";
import { isId } from "./lib/ids";
import { location$, match, navigate, type ParamChecks } from "./lib/router";
import { enterApp, signOut } from "./lib/session";
import { me, pendingCount, setMe, toast, wireAppState } from "./lib/state";
import type { User } from "./lib/types";

const Setup = lazy(() => import("./pages/Setup"));
const Login = lazy(() => import("./pages/Login"));
const Inbox = lazy(() => import("./pages/Inbox"));
const Chat = lazy(() => import("./pages/Chat"));
const Status = lazy(() => import("./pages/Status"));
const Files = lazy(() => import("./pages/Files"));
const Settings = lazy(() => import("./pages/Settings"));
const NotFound = lazy(() => import("./pages/NotFound"));

/** Pattern, page, and the checks its parameters must pass (a failing one shows the not-found view). */
const ROUTES: [string, Component<{ params: Record<string, string> }>, ParamChecks?][] = [
  ["/", Inbox],
  // Chat builds API paths from its id: one that is not an id (`..%2Fauth%2Flogout%3F`) never gets there.
  ["/chat/:id", Chat, { id: isId }],
  ["/status", Status],
  ["/files", Files],
  ["/settings", Settings],
  ["/settings/:section", Settings],
];

let wired = false;

export function App() {
  const [navOpen, setNavOpen] = createSignal(false);
  const path = () => location$().path;

  setUnauthorizedHandler(() => {
    if (me()) {
      toast("Your session ended. Sign in again.", "error");
      void import("./lib/live").then((m) => m.stopLive());
      setMe(null);
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    }
  });

  onMount(async () => {
    if (!wired) {
      wireAppState();
      wired = true;
    }
    try {
      await enterApp(await api.get<User>("/api/auth/me", { quiet401: true }));
      if (path() === "/login" || path() === "/setup") navigate("/", { replace: true });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) toast(err instanceof Error ? err.message : String(err), "error");
      const { needed } = await api.get<{ needed: boolean }>("/api/auth/setup").catch(() => ({ needed: false }));
      setMe(null);
      if (needed) navigate("/setup", { replace: true });
      else if (path() !== "/login")
        navigate(`/login${path() === "/" || path() === "/setup" ? "" : `?next=${encodeURIComponent(path() + location.search)}`}`, { replace: true });
    }
  });

  // Close the drawer and move focus to the page on navigation (not on query changes).
  createEffect(
    on(
      path,
      () => {
        setNavOpen(false);
        queueMicrotask(() => document.getElementById("main")?.focus({ preventScroll: true }));
      },
      { defer: true },
    ),
  );

  // The drawer (narrow screens): focus moves into it, Escape closes it.
  createEffect(
    on(
      navOpen,
      (open) => {
        if (open) queueMicrotask(() => document.querySelector<HTMLElement>(".sidebar a")?.focus());
      },
      { defer: true },
    ),
  );
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape" && navOpen()) setNavOpen(false);
  };
  document.addEventListener("keydown", onKey);

  createEffect(() => {
    const n = pendingCount();
    document.title = n > 0 ? `(${n}) Nod` : "Nod";
  });

  const page = () => {
    for (const [pattern, component, checks] of ROUTES) {
      const params = match(pattern, path(), checks);
      if (params) return { component, params };
    }
    return { component: NotFound, params: {} };
  };

  return (
    <>
      <a class="skip-link" href="#main" data-native>
        Skip to content
      </a>
      <Switch
        fallback={
          <div class="splash" aria-busy="true">
            <span class="sr-only">Loading</span>
          </div>
        }
      >
        <Match when={me() === null}>
          <Suspense fallback={<div class="splash" />}>
            <Show when={path() === "/setup"} fallback={<Login />}>
              <Setup />
            </Show>
          </Suspense>
        </Match>
        <Match when={me()}>
          <div class="layout" classList={{ "nav-open": navOpen() }}>
            <Sidebar onSignOut={signOut} />
            {/* Outside the tab order (Escape closes the drawer for keyboards); a screen reader on a touch screen can reach it. */}
            <button type="button" class="scrim" tabindex="-1" aria-label="Close menu" onClick={() => setNavOpen(false)} />
            <div class="main-wrap">
              <header class="topbar">
                <button type="button" class="btn-icon" aria-label="Open menu" aria-expanded={navOpen()} onClick={() => setNavOpen(!navOpen())}>
                  <MenuIcon />
                </button>
                <span class="topbar-title">Nod</span>
              </header>
              <main id="main" tabindex="-1">
                <Suspense fallback={<div class="page-loading" aria-busy="true" />}>
                  <Dynamic component={page().component} params={page().params} />
                </Suspense>
              </main>
            </div>
          </div>
        </Match>
      </Switch>
      <Toasts />
      <ConfirmHost />
    </>
  );
}
