// Settings → Notifications: push for this browser (on for each device separately: a phone and a laptop
// both can), the person's channels, what each agent sends them, and their quiet hours.
import { createSignal, onMount, Show } from "solid-js";
import { currentSubscription, disablePush, enablePush, pushSupported } from "../../lib/push";
import { errorText, toast } from "../../lib/state";
import { AgentLevels } from "./notifications/AgentLevels";
import { Channels } from "./notifications/Channels";
import { QuietHours } from "./notifications/QuietHours";

export function Notifications() {
  return (
    <>
      <BrowserPush />
      <Channels />
      <AgentLevels />
      <QuietHours />
    </>
  );
}

function BrowserPush() {
  const supported = pushSupported();
  const [on, setOn] = createSignal(false);
  const [busy, setBusy] = createSignal(supported);
  const [error, setError] = createSignal<string>();

  onMount(async () => {
    if (!supported) return;
    try {
      setOn((await currentSubscription()) !== null && Notification.permission === "granted");
    } finally {
      setBusy(false);
    }
  });

  const toggle = async (want: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      if (want) await enablePush();
      else await disablePush();
      setOn(want);
      toast(want ? "Notifications are on for this browser." : "Notifications are off for this browser.", "success");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="notif-title">
      <h2 id="notif-title">Notifications</h2>
      <p>
        Get a notification on this device whenever an agent sends a message or asks for your review; a click opens the chat. Turn it on in each browser you use.
      </p>
      <label class="switch-row" classList={{ disabled: !supported }}>
        <input
          type="checkbox"
          // biome-ignore lint/a11y/useAriaPropsForRole: a checkbox input exposes its own checked state to the switch role (HTML-AAM); ARIA in HTML says not to add aria-checked
          role="switch"
          name="push"
          checked={on()}
          disabled={!supported || busy()}
          onChange={(e) => {
            const want = e.currentTarget.checked;
            e.currentTarget.checked = on();
            void toggle(want);
          }}
        />
        <span>
          <span class="choice-label">Push notifications in this browser</span>
          <span class="field-hint">
            <Show when={supported} fallback="This browser does not support push notifications.">
              {on() ? "On: this browser gets a notification for every agent message." : "Off."}
            </Show>
          </span>
        </span>
      </label>
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <p class="field-hint">
        On iPhone and iPad, push notifications need Nod added to the Home Screen first (Share → Add to Home Screen), then opened from there and turned on here.
      </p>
    </section>
  );
}
