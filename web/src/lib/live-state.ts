// The live connection's state, kept apart from live.ts so the first screen does not load socket.io-client.
import { createSignal } from "solid-js";
export type LiveState = "off" | "connecting" | "live" | "reconnecting";
export const [liveStateSignal, setLiveState] = createSignal<LiveState>("off");
