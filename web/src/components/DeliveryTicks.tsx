// Delivery of a message to its agent: sent ✓, webhook delivered ✓✓, webhook failed ⚠ (Retry), agent received ✓✓.
import { createSignal, Match, Switch } from "solid-js";
import { api, apiPath } from "../lib/api";
import { agentById, errorText, toast } from "../lib/state";
import type { Message } from "../lib/types";

const LABEL = {
  sent: "Sent",
  webhook_delivered: "Delivered by webhook",
  webhook_failed: "Webhook failed",
  agent_received: "Received by the agent",
} as const;
/** On an agent's message the ticks are about the person's answer reaching the agent. */
const ANSWER_LABEL = {
  sent: "Answer sent",
  webhook_delivered: "Answer delivered by webhook",
  webhook_failed: "Answer webhook failed",
  agent_received: "Answer received by the agent",
} as const;

export function DeliveryTicks(props: { message: Message; onUpdate: (m: Message) => void }) {
  const [busy, setBusy] = createSignal(false);
  const retry = async () => {
    setBusy(true);
    try {
      props.onUpdate(await api.post<Message>(apiPath`/api/messages/${props.message.id}/retry-webhook`, {}));
      toast("Webhook sent again", "success");
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setBusy(false);
    }
  };
  const status = () => props.message.deliveryStatus;
  const label = () => (props.message.senderType === "agent" ? ANSWER_LABEL : LABEL)[status()];
  return (
    <span class={`ticks ticks-${status()}`} data-delivery={status()} title={label()}>
      <Switch>
        <Match when={status() === "sent"}>
          <span aria-hidden="true">✓</span>
        </Match>
        <Match when={status() === "webhook_delivered" || status() === "agent_received"}>
          <span aria-hidden="true">✓✓</span>
        </Match>
        <Match when={status() === "webhook_failed"}>
          <span aria-hidden="true">⚠</span>
        </Match>
      </Switch>
      <span class="ticks-label">{label()}</span>
      {/* The agent's owner manages its webhook: a member sees the failure, not the Retry (the API would refuse it). */}
      {status() === "webhook_failed" && agentById(props.message.channelId)?.access !== "member" && (
        <button type="button" class="btn btn-sm btn-link" onClick={retry} disabled={busy()}>
          {busy() ? "Retrying…" : "Retry"}
        </button>
      )}
    </span>
  );
}
