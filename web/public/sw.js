// Nod's service worker: shows Web Push notifications and opens the chat on click. No fetch handler:
// every request goes to the network as before.
//
// A review the person may answer comes with their answer link (`answerUrl`, /r/<token>) and, for a
// two-way choice, `actions`: a button posts its answer to the link (JSON, via "push-action"; the token is
// the authority, no cookie), a click elsewhere opens the link's page. A `{type: "settled"}` push says the
// review with that tag was settled: its notification is closed (see `settled` for what browsers require).
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(data.type === "settled" ? settled(data) : show(data));
});

function show(data) {
  const actions = data.answerUrl && Array.isArray(data.actions) ? data.actions : [];
  return self.registration.showNotification(data.title || "Nod", {
    body: data.body || "",
    tag: data.tag,
    icon: "/icon-192.png",
    badge: "/icon-192.png",
    requireInteraction: Boolean(data.review),
    actions: actions.map((a) => ({ action: a.action, title: a.title })),
    data: data.answerUrl ? { url: data.url || "/", answerUrl: data.answerUrl, actions } : { url: data.url || "/" },
  });
}

/**
 * A settled review: its notification goes. Every push must show something (userVisibleOnly): Chromium
 * waives it while a window of the app is visible or another of its notifications is shown (else it shows
 * "This site has been updated in the background" once its small allowance of silent pushes is spent);
 * Safari (and Firefox) count a push that shows nothing against the subscription. So, unless Chromium's
 * waiver applies, the notification is replaced by a quiet one with the same tag ("Answered by Ann").
 */
async function settled(data) {
  const reg = self.registration;
  const open = await reg.getNotifications({ tag: data.tag });
  for (const n of open) n.close();
  const chromium = typeof Notification !== "undefined" && "maxActions" in Notification;
  if (chromium) {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const others = (await reg.getNotifications()).filter((n) => n.tag !== data.tag);
    if (windows.some((w) => w.visibilityState === "visible") || others.length > 0) return;
  }
  await reg.showNotification(data.title || "Nod", {
    body: data.body || "",
    tag: data.tag,
    icon: "/icon-192.png",
    badge: "/icon-192.png",
    silent: true,
    data: { url: data.url || "/", settled: true },
  });
}

/** Opens `url` (relative to this origin): the app routes a chat without a reload when it is open. */
async function openUrl(url, inApp) {
  const href = new URL(url, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (!open || !inApp) return self.clients.openWindow(href);
  // The app routes it without a reload (see web/src/lib/push.ts).
  open.postMessage({ type: "open", url: href });
  return open.focus();
}

/**
 * A click on `notification` (or on its button `action`): a button answers through the answer link and
 * closes it, opening the link's page when that fails; a click elsewhere opens the answer page for a review
 * the person may answer, else the chat. On `self` so a test can call it with a real notification.
 */
async function handleNotificationClick(notification, action) {
  const data = notification.data || {};
  notification.close();
  const chosen = action && Array.isArray(data.actions) ? data.actions.find((a) => a.action === action) : undefined;
  if (chosen && data.answerUrl) {
    try {
      const res = await fetch(new URL(data.answerUrl, self.location.origin), {
        method: "POST",
        headers: { "content-type": "application/json" },
        credentials: "omit",
        body: JSON.stringify({ response: chosen.response, via: "push-action" }),
      });
      if (res.ok) return;
    } catch {
      // Offline or refused: the page says why and lets the person answer there.
    }
  }
  if (data.answerUrl) return openUrl(data.answerUrl, false);
  return openUrl(data.url || "/", true);
}
self.nodHandleNotificationClick = handleNotificationClick;

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(handleNotificationClick(event.notification, event.action));
});
