// A conversation with one agent: older messages load as you scroll up, new ones arrive live.
import { createEffect, createResource, createSignal, For, on, onCleanup, Show } from "solid-js";
import { Avatar } from "../components/Avatar";
import { Composer } from "../components/Composer";
import { MessageItem, ProvisionalMessage } from "../components/MessageItem";
import { ProgressLine } from "../components/ProgressLine";
import { StatusDot, STATUS_LABEL } from "../components/StatusDot";
import { api, apiPath, qs } from "../lib/api";
import { on as onLive } from "../lib/bus";
import { createMessageList, followLive } from "../lib/message-list";
import { query } from "../lib/router";
import { createStreams } from "../lib/streams";
import { agentById, agentsLoaded, errorText, sawMessage, setOpenChannel, setUnread, toast } from "../lib/state";
import { ago, day, now } from "../lib/time";
import type { Message, Page } from "../lib/types";

const PAGE = 30;

export default function Chat(props: { params: Record<string, string> }) {
  return (
    <Show when={props.params.id} keyed>
      {(id) => <Conversation id={id} />}
    </Show>
  );
}

function Conversation(props: { id: string }) {
  const agent = () => agentById(props.id);
  const list = createMessageList({ order: "seq", accepts: (m) => m.channelId === props.id });
  const messages = list.items;
  const streams = createStreams(props.id, list);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loaded, setLoaded] = createSignal(false);
  const [loadingOlder, setLoadingOlder] = createSignal(false);
  const [highlight, setHighlight] = createSignal<string | undefined>();
  let scroller!: HTMLDivElement;
  let sentinel!: HTMLDivElement;
  let messagesEl!: HTMLDivElement;

  setOpenChannel(props.id);
  onCleanup(() => setOpenChannel(undefined));

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  /** Whether the view follows the newest message (until the person scrolls up). */
  let stick = true;
  const toBottom = () => {
    stick = true;
    requestAnimationFrame(() => (scroller.scrollTop = scroller.scrollHeight));
  };
  /** Keeps the newest content in view, unless the person scrolled up. */
  const followIfStuck = () => stick && toBottom();

  const upsert = (m: Message) => {
    if (m.channelId !== props.id) return;
    sawMessage(m);
    list.upsert(m);
  };

  let readTimer: ReturnType<typeof setTimeout> | undefined;
  const markRead = () => {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      if (document.visibilityState !== "visible") return;
      const last = messages[messages.length - 1];
      setUnread(props.id, 0);
      void api.post(apiPath`/api/agents/${props.id}/read`, last ? { seq: last.seq } : {}).catch(() => undefined);
    }, 300);
  };

  /** The newest page: on opening, and again after a reconnect (answers and expiries replay does not bring). */
  const [newest, { refetch: reloadNewest }] = createResource(
    () => props.id,
    (channel) => api.get<Page<Message>>(`/api/messages${qs({ channel, limit: PAGE })}`),
  );
  // A failed reload after a reconnect stays quiet: the messages on screen are still good.
  const error = () => (!loaded() && newest.error ? errorText(newest.error) : "");
  const showNewest = (page: Page<Message>) => {
    const first = !loaded();
    const follow = first || nearBottom();
    for (const m of [...page.data].reverse()) upsert(m);
    if (first) setCursor(page.nextCursor);
    setLoaded(true);
    if (follow) toBottom();
    markRead();
    // After this update is on screen: the message asked for, then scrolling takes over.
    if (first) queueMicrotask(() => void opened());
  };
  // Read in an effect (which does not suspend the page) and only when ready (an errored read throws).
  createEffect(
    on(
      () => (newest.state === "ready" ? newest() : undefined),
      (page) => page && showNewest(page),
    ),
  );

  /** Older pages load one at a time, keeping what is on screen where it was. */
  const loadOlder = async () => {
    const c = cursor();
    if (!c || loadingOlder()) return;
    setLoadingOlder(true);
    try {
      const page = await api.get<Page<Message>>(`/api/messages${qs({ channel: props.id, limit: PAGE, cursor: c })}`);
      const before = scroller.scrollHeight;
      const top = scroller.scrollTop;
      list.addOlder(page.data);
      setCursor(page.nextCursor);
      scroller.scrollTop = top + (scroller.scrollHeight - before);
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setLoadingOlder(false);
    }
  };

  /** Opening a message from the inbox: load pages until it is here, then scroll to it. */
  const focusMessage = async (id: string) => {
    for (let i = 0; i < 10 && !list.has(id) && cursor(); i++) await loadOlder();
    const el = document.getElementById(`m-${id}`);
    if (el) {
      setHighlight(id);
      stick = false;
      el.scrollIntoView({ block: "center" });
      el.querySelector<HTMLElement>("button, input, textarea, select")?.focus({ preventScroll: true });
      setTimeout(() => setHighlight(undefined), 2500);
    }
  };

  let ro: ResizeObserver | undefined;
  let io: IntersectionObserver | undefined;
  let closed = false;
  onCleanup(() => {
    closed = true;
    ro?.disconnect();
    io?.disconnect();
  });
  /** Once the first page is shown (and the message asked for found): follow growth, load older on scroll-up. */
  const opened = async () => {
    const target = query().get("m");
    if (target) await focusMessage(target);
    if (closed) return;
    // Content that grows after rendering (review widgets, images, plugin frames) keeps the view at the bottom.
    let programmatic = false;
    ro = new ResizeObserver(() => {
      if (!stick) return;
      programmatic = true;
      scroller.scrollTop = scroller.scrollHeight;
    });
    ro.observe(messagesEl);
    scroller.addEventListener("scroll", () => {
      if (programmatic) {
        programmatic = false;
        return;
      }
      stick = nearBottom();
    });
    io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && loaded()) void loadOlder();
      },
      { root: scroller, rootMargin: "200px 0px 0px 0px" },
    );
    io.observe(sentinel);
  };

  // A new message scrolls into view when the view was at the bottom (or it is the person's own).
  followLive(list, ["message:created"]);
  const offs = [
    onLive("message:created", (m) => {
      if (m.channelId !== props.id) return;
      const follow = nearBottom() || m.senderType === "user";
      sawMessage(m);
      list.apply("message:created", m);
      if (follow) toBottom();
      markRead();
    }),
    onLive("resync", () => void reloadNewest()),
    // A provisional bubble (tokens before their draft) appears below the last message.
    onLive("message:delta", (d) => d.channelId === props.id && followIfStuck()),
  ];
  onCleanup(() => {
    for (const off of offs) off();
  });
  const onVisible = () => document.visibilityState === "visible" && markRead();
  document.addEventListener("visibilitychange", onVisible);
  onCleanup(() => document.removeEventListener("visibilitychange", onVisible));

  createEffect(
    on(
      () => query().get("m"),
      (m) => m && loaded() && void focusMessage(m),
      { defer: true },
    ),
  );

  const sent = (m: Message) => {
    upsert(m);
    toBottom();
  };

  return (
    <div class="chat">
      <header class="chat-head">
        <Show when={agent()} fallback={<h1 class="chat-title">{agentsLoaded() ? "Agent not found" : "…"}</h1>}>
          {(a) => (
            <>
              <span class="avatar-wrap">
                <Avatar name={a().name} id={a().id} url={a().avatarUrl} />
                <StatusDot status={a().status} />
              </span>
              <div class="chat-title-block">
                <h1 class="chat-title">{a().name}</h1>
                <p class="chat-sub">
                  <span class={`status-text status-${a().status}`}>{STATUS_LABEL[a().status]}</span>
                  <Show when={a().statusMessage}>
                    <span> · {a().statusMessage}</span>
                  </Show>
                  <span class="muted"> · {a().lastActiveAt ? `active ${ago(a().lastActiveAt, now())}` : "no activity yet"}</span>
                </p>
              </div>
              <a class="btn btn-ghost btn-sm" href={`/settings/agents#agent-${a().id}`}>
                Settings
              </a>
            </>
          )}
        </Show>
      </header>
      <div class="chat-scroll" ref={scroller}>
        <div ref={sentinel} class="sentinel" aria-hidden="true" />
        <Show when={loadingOlder()}>
          <p class="muted center small" role="status">
            Loading older messages…
          </p>
        </Show>
        <Show when={loaded() && !cursor() && messages.length > 0}>
          <p class="muted center small">The beginning of the conversation</p>
        </Show>
        <Show when={error()}>
          <p class="form-error center">{error()}</p>
        </Show>
        <Show when={loaded() && messages.length === 0}>
          <div class="empty">
            <p>No messages yet.</p>
            <p class="muted small">When this agent sends a message or asks for a review, it appears here.</p>
          </div>
        </Show>
        <div
          class="messages"
          ref={messagesEl}
          role="log"
          aria-label={`Conversation with ${agent()?.name ?? "agent"}`}
          aria-live="polite"
          aria-relevant="additions"
        >
          <For each={messages}>
            {(m, i) => (
              <>
                <Show when={i() === 0 || day(messages[i() - 1]!.createdAt) !== day(m.createdAt)}>
                  <h2 class="day-sep">
                    <span>{day(m.createdAt)}</span>
                  </h2>
                </Show>
                <MessageItem
                  message={m}
                  agent={agent()}
                  onUpdate={upsert}
                  onSent={sent}
                  onShowMessage={(id) => void focusMessage(id)}
                  highlight={highlight() === m.id}
                  text={streams.textOf(m)}
                  writing={streams.writing(m)}
                />
              </>
            )}
          </For>
          <For each={streams.provisional()}>
            {(streamId) => (
              <ProvisionalMessage
                streamId={streamId}
                text={streams.tokens(streamId).text}
                writing={!streams.tokens(streamId).ended}
                agent={agent()}
                channelId={props.id}
              />
            )}
          </For>
        </div>
        <ProgressLine channelId={props.id} onShow={followIfStuck} />
      </div>
      <Show when={agent()}>{(a) => <Composer agent={a()} onSent={sent} />}</Show>
    </div>
  );
}
