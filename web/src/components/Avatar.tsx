// An agent's picture, or its initials on a colour derived from its id.
import { createSignal, Show } from "solid-js";

function hue(id: string) {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

export function initials(name: string) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return ((words[0]?.[0] ?? "?") + (words.length > 1 ? (words[words.length - 1]?.[0] ?? "") : (words[0]?.[1] ?? ""))).toUpperCase();
}

export function Avatar(props: { name: string; id: string; url?: string | null; size?: "sm" | "md" | "lg" }) {
  const [broken, setBroken] = createSignal(false);
  return (
    <span class={`avatar avatar-${props.size ?? "md"}`} style={{ "--hue": String(hue(props.id)) }} aria-hidden="true">
      <Show when={props.url && !broken()} fallback={initials(props.name)}>
        <img src={props.url!} alt="" referrerpolicy="no-referrer" onError={() => setBroken(true)} />
      </Show>
    </span>
  );
}
