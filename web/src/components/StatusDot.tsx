import type { AgentStatus } from "../lib/types";

export const STATUS_LABEL: Record<AgentStatus, string> = { active: "Active", busy: "Busy", error: "Error", offline: "Offline" };

/** A coloured dot with its status as text for screen readers (and a tooltip for everyone). */
export function StatusDot(props: { status: AgentStatus }) {
  return (
    <span
      class={`status-dot status-${props.status}`}
      role="img"
      aria-label={STATUS_LABEL[props.status] ?? props.status}
      title={STATUS_LABEL[props.status] ?? props.status}
    />
  );
}
