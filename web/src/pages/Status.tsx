// Every agent's health: status and message, time in this status, last activity, message counts and a
// status-history timeline drawn as SVG.
import { createMemo, createSignal, For, Index, onCleanup, Show } from "solid-js";
import { Avatar } from "../components/Avatar";
import { STATUS_LABEL } from "../components/StatusDot";
import { api, apiPath, qs } from "../lib/api";
import { useAsync } from "../lib/async";
import { on as onLive } from "../lib/bus";
import { agents, agentsLoaded } from "../lib/state";
import { ago, clock, duration, fullDate, now } from "../lib/time";
import type { Agent, AgentStats, AgentStatus, List, StatusRow } from "../lib/types";

const RANGES = [
  { id: "all", label: "All reports", ms: 0 },
  { id: "1h", label: "1 hour", ms: 3600_000 },
  { id: "24h", label: "24 hours", ms: 86_400_000 },
  { id: "7d", label: "7 days", ms: 7 * 86_400_000 },
] as const;

export default function Status() {
  const [range, setRange] = createSignal<(typeof RANGES)[number]>(RANGES[0]);
  return (
    <div class="page">
      <header class="page-head">
        <h1>Status</h1>
        <fieldset class="segmented" aria-label="Timeline range">
          <For each={RANGES}>
            {(r) => (
              <button type="button" class="seg" aria-pressed={range().id === r.id} onClick={() => setRange(r)}>
                {r.label}
              </button>
            )}
          </For>
        </fieldset>
      </header>
      <Show when={agentsLoaded() && agents.length === 0}>
        <div class="empty">
          <p>No agents yet.</p>
          <p class="muted small">
            Agents report their status with <code>POST /api/v1/status/ping</code>. <a href="/settings/agents">Create an agent</a> first.
          </p>
        </div>
      </Show>
      <div class="status-grid">
        <For each={agents}>{(a) => <AgentStatusCard agent={a} rangeMs={range().ms} />}</For>
      </div>
    </div>
  );
}

function AgentStatusCard(props: { agent: Agent; rangeMs: number }) {
  const stats = useAsync(
    () => props.agent.id,
    (id) => api.get<AgentStats>(apiPath`/api/agents/${id}/stats`),
  );
  const history = useAsync(
    () => props.agent.id,
    (id) => api.get<List<StatusRow>>(apiPath`/api/agents/${id}/status-history` + qs({ limit: 500 })).then((r) => r.data),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      history.refetch();
      stats.refetch();
    }, 250);
  };
  const offs = [
    onLive("agent:status", (s) => s.agentId === props.agent.id && refresh()),
    onLive("message:created", (m) => m.channelId === props.agent.id && refresh()),
    onLive("review:responded", (m) => m.channelId === props.agent.id && refresh()),
    onLive("review:expired", () => refresh()),
    onLive("message:delivery", () => refresh()),
    onLive("resync", refresh),
  ];
  onCleanup(() => {
    for (const off of offs) off();
  });
  const a = () => props.agent;
  const titleId = `st-${props.agent.id}`;
  return (
    <article class="status-card" aria-labelledby={titleId} data-agent={a().id}>
      <header class="status-card-head">
        <Avatar name={a().name} id={a().id} url={a().avatarUrl} />
        <div class="grow">
          <h2 id={titleId} class="status-name">
            <a href={`/chat/${a().id}`}>{a().name}</a>
          </h2>
          <p class="small muted">{a().lastActiveAt ? `Last active ${ago(a().lastActiveAt, now())}` : "Never active"}</p>
        </div>
        <span class={`status-chip status-${a().status}`} data-status={a().status}>
          {STATUS_LABEL[a().status]}
        </span>
      </header>
      <p class="status-message">{a().statusMessage ?? <span class="muted">No status message</span>}</p>
      <p class="small">
        <Show when={a().statusSince} fallback={<span class="muted">No heartbeat yet</span>}>
          {STATUS_LABEL[a().status]} for <strong>{duration(now() - Date.parse(a().statusSince!))}</strong>
          <span class="muted"> (since {fullDate(a().statusSince!)})</span>
        </Show>
      </p>
      <Timeline rows={history.value() ?? []} rangeMs={props.rangeMs || fitRange(history.value() ?? [])} name={a().name} />
      <dl class="stats">
        <div>
          <dt>Sent</dt>
          <dd data-stat="sent">{stats.value()?.sent ?? "–"}</dd>
        </div>
        <div>
          <dt>Answered</dt>
          <dd data-stat="answered">{stats.value()?.answered ?? "–"}</dd>
        </div>
        <div>
          <dt>Pending</dt>
          <dd data-stat="pending">{stats.value()?.pending ?? "–"}</dd>
        </div>
        <div>
          <dt>Expired</dt>
          <dd data-stat="expired">{stats.value()?.expired ?? "–"}</dd>
        </div>
        <div classList={{ warn: (stats.value()?.webhookFailures ?? 0) > 0 }}>
          <dt>Webhook failures</dt>
          <dd data-stat="webhookFailures">{stats.value()?.webhookFailures ?? "–"}</dd>
        </div>
      </dl>
    </article>
  );
}

/** "All reports": from the oldest report loaded to now (at least 30 s). */
function fitRange(rows: StatusRow[]) {
  const oldest = rows[rows.length - 1];
  return oldest ? Math.max(30_000, (now() - Date.parse(oldest.createdAt)) * 1.04) : 3600_000;
}

interface Segment {
  status: AgentStatus | "unknown";
  from: number;
  to: number;
  message: string | null;
}

/** The status over the range as coloured bands: each report holds until the next one. */
function Timeline(props: { rows: StatusRow[]; rangeMs: number; name: string }) {
  const W = 1000;
  const segments = createMemo<Segment[]>(() => {
    const end = now();
    const start = end - props.rangeMs;
    const rows = [...props.rows].reverse(); // oldest first
    const out: Segment[] = [];
    const firstIn = rows.findIndex((r) => Date.parse(r.createdAt) >= start);
    const before = firstIn === -1 ? rows[rows.length - 1] : rows[firstIn - 1];
    const inRange = firstIn === -1 ? [] : rows.slice(firstIn);
    let cursor = start;
    let current: Segment = before
      ? { status: before.status, from: start, to: start, message: before.message }
      : { status: "unknown", from: start, to: start, message: null };
    for (const r of inRange) {
      const t = Date.parse(r.createdAt);
      if (r.status === current.status) continue;
      out.push({ ...current, from: cursor, to: t });
      cursor = t;
      current = { status: r.status, from: t, to: t, message: r.message };
    }
    out.push({ ...current, from: cursor, to: end });
    return out.filter((s) => s.to > s.from);
  });
  const x = (t: number) => ((t - (now() - props.rangeMs)) / props.rangeMs) * W;
  const changes = createMemo(() => props.rows.filter((r) => Date.parse(r.createdAt) >= now() - props.rangeMs));
  const label = () => {
    const counts = segments().filter((s) => s.status !== "unknown");
    return `Status timeline of ${props.name}: ${counts.length ? counts.map((s) => `${s.status} from ${clock(new Date(s.from).toISOString())}`).join(", ") : "no reports in this range"}`;
  };
  const ticks = () => {
    const n = 4;
    return Array.from({ length: n + 1 }, (_, i) => now() - props.rangeMs + (props.rangeMs * i) / n);
  };
  return (
    <figure class="timeline">
      <svg class="timeline-svg" viewBox={`0 0 ${W} 28`} preserveAspectRatio="none" role="img" aria-label={label()}>
        <rect x="0" y="0" width={W} height="28" rx="4" class="tl-bg" />
        <Index each={segments()}>
          {(s) => (
            <rect x={x(s().from)} y="0" width={Math.max(1.5, x(s().to) - x(s().from))} height="28" class={`tl-seg tl-${s().status}`} data-status={s().status}>
              <title>
                {s().status === "unknown" ? "No reports" : STATUS_LABEL[s().status as AgentStatus]}
                {s().message ? `: ${s().message}` : ""} ({fullDate(new Date(s().from).toISOString())} – {fullDate(new Date(s().to).toISOString())})
              </title>
            </rect>
          )}
        </Index>
      </svg>
      <div class="timeline-axis" aria-hidden="true">
        <Index each={ticks()}>{(t, i) => <span>{i === 4 ? "now" : `${duration(now() - t())} ago`}</span>}</Index>
      </div>
      <figcaption class="small muted">
        {changes().length} report{changes().length === 1 ? "" : "s"} in range
      </figcaption>
    </figure>
  );
}
