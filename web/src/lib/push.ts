// Web Push in this browser: the service worker (web/public/sw.js), and this device's subscription,
// stored on the server with POST/DELETE /api/push/subscribe. A person may subscribe several devices.
import { api } from "./api";
import { navigate } from "./router";

export const pushSupported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

/** Registers the service worker once; a click on a notification asks the open app to show that chat. */
export function startServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js").catch((err) => console.warn("service worker registration failed", err));
  navigator.serviceWorker.addEventListener("message", (e: MessageEvent<{ type?: string; url?: string }>) => {
    if (e.data?.type !== "open" || !e.data.url) return;
    const url = new URL(e.data.url, location.origin);
    if (url.origin === location.origin) navigate(url.pathname + url.search + url.hash);
  });
}

const registration = () => navigator.serviceWorker.ready;
const SUBSCRIBE_TIMEOUT_MS = 30_000;

/** This browser's current subscription, if any. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  return (await registration()).pushManager.getSubscription();
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** Asks for permission, subscribes with the server's VAPID key and stores the subscription. */
export async function enablePush(): Promise<PushSubscription> {
  if (!pushSupported()) throw new Error("This browser does not support push notifications.");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for this site: allow them in the browser's site settings.");
  const { publicKey } = await api.get<{ publicKey: string }>("/api/push/vapid-key");
  const reg = await registration();
  let sub = await reg.pushManager.getSubscription();
  // A subscription made with another key (the server's keys changed) cannot be reused.
  const old = sub?.options.applicationServerKey;
  if (sub && old && !sameBytes(new Uint8Array(old), keyBytes(publicKey))) {
    await sub.unsubscribe();
    sub = null;
  }
  try {
    // The browser asks its vendor's push service; offline it may never answer.
    sub ??= await Promise.race([
      reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer in 30 s")), SUBSCRIBE_TIMEOUT_MS)),
    ]);
  } catch (err) {
    throw new Error(`The browser's push service did not accept the subscription (${err instanceof Error ? err.message : String(err)}).`);
  }
  await api.post("/api/push/subscribe", sub.toJSON());
  return sub;
}

/** Forgets this browser's subscription, on the server and in the browser. */
export async function disablePush(): Promise<void> {
  const sub = await currentSubscription();
  if (!sub) return;
  await api.del("/api/push/subscribe", { endpoint: sub.endpoint });
  await sub.unsubscribe();
}

function sameBytes(a: Uint8Array, b: Uint8Array) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
