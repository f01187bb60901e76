// A review's trail: its entries of the agent's audit log (asked, voted, answered, escalated, …), oldest
// first, loaded when the disclosure opens and again whenever the review changes while it is open.
import { createResource, createSignal, For, Match, Switch } from "solid-js";
import type { AuditEntryDto, PageDto } from "../../../contract/dto";
import { api, apiPath, qs } from "../lib/api";
import { agentById, errorText } from "../lib/state";
import { clock, fullDate } from "../lib/time";
import type { Message } from "../lib/types";
import { AUDIT_LABEL, responseLabel } from "./team";

/** At most this many pages of 100: a review's trail is short; the agent's export has the rest. */
const MAX_PAGES = 5;

async function loadTrail(key: { channelId: string; messageId: string }): Promise<AuditEntryDto[]> {
  const out: AuditEntryDto[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: PageDto<AuditEntryDto> = await api.get(`${apiPath`/api/agents/${key.channelId}/audit`}${qs({ messageId: key.messageId, cursor, limit: 100 })}`);
    out.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return out;
}

const actorName = (e: AuditEntryDto) =>
  e.actor.displayName ?? (e.actor.type === "agent" ? (agentById(e.channelId)?.name ?? "the agent") : e.actor.type === "system" ? "Nod" : "someone");

export function Trail(props: { message: Message }) {
  const [open, setOpen] = createSignal(false);
  // A new key (a vote, the answer, an expiry) while open loads the trail again.
  const key = () =>
    open()
      ? {
          channelId: props.message.channelId,
          messageId: props.message.id,
          v: `${props.message.review?.status}:${props.message.review?.votes?.length ?? 0}:${props.message.review?.assignees?.length ?? -1}`,
        }
      : false;
  const [entries] = createResource(key, loadTrail);
  const detail = (e: AuditEntryDto) => {
    const response = e.data.response;
    if (props.message.review && response && typeof response === "object" && !Array.isArray(response)) return responseLabel(props.message.review, response);
    return "";
  };
  return (
    <details class="trail" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Trail</summary>
      <Switch>
        <Match when={entries.error}>
          <p class="form-error" role="alert">
            {errorText(entries.error)}
          </p>
        </Match>
        <Match when={entries.loading && !entries.latest}>
          <p class="muted small" aria-busy="true">
            Loading…
          </p>
        </Match>
        <Match when={entries.latest?.length === 0}>
          <p class="muted small">Nothing recorded yet.</p>
        </Match>
        <Match when={entries.latest}>
          <ol class="trail-list" aria-label="Trail of this review">
            <For each={entries.latest}>
              {(e) => (
                <li data-action={e.action}>
                  <time datetime={e.at} title={fullDate(e.at)} class="muted">
                    {clock(e.at)}
                  </time>
                  <span class="trail-action">{AUDIT_LABEL[e.action] ?? e.action}</span>
                  <span class="trail-actor">by {actorName(e)}</span>
                  <span class="trail-detail muted">{detail(e)}</span>
                </li>
              )}
            </For>
          </ol>
        </Match>
      </Switch>
    </details>
  );
}
