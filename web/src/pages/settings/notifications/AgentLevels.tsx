// "What each agent sends you": for every agent the person sees, all its messages, its reviews only, or
// only the reviews assigned to them (worker/notify/rules.ts). Applies to push and to every channel.
import { createSignal, For, onMount, Show } from "solid-js";
import { api, apiPath } from "../../../lib/api";
import { agents, errorText, toast } from "../../../lib/state";
import type { AgentNotifyLevel, List, NotifyLevel } from "../../../lib/types";

const LEVEL_TEXT: Record<NotifyLevel, string> = { all: "All messages", reviews: "Reviews only", assigned: "Reviews assigned to me" };

export function AgentLevels() {
  const [levels, setLevels] = createSignal<Record<string, NotifyLevel>>({});
  const [loaded, setLoaded] = createSignal(false);

  onMount(async () => {
    try {
      const { data } = await api.get<List<AgentNotifyLevel>>("/api/notifications/agents");
      setLevels(Object.fromEntries(data.map((l) => [l.agentId, l.level])));
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setLoaded(true);
    }
  });

  const change = async (agentId: string, name: string, level: NotifyLevel, select: HTMLSelectElement) => {
    const before = levels()[agentId] ?? "all";
    setLevels((l) => ({ ...l, [agentId]: level }));
    try {
      await api.put(apiPath`/api/notifications/agents/${agentId}`, { level });
      toast(`${name}: ${LEVEL_TEXT[level].toLowerCase()}`, "success");
    } catch (err) {
      setLevels((l) => ({ ...l, [agentId]: before }));
      select.value = before;
      toast(errorText(err), "error");
    }
  };

  return (
    <section class="card" aria-labelledby="levels-title">
      <h2 id="levels-title">What each agent sends you</h2>
      <p class="muted">For push in this browser and every channel. The inbox always shows everything.</p>
      <Show when={loaded()}>
        <Show when={agents.length > 0} fallback={<p class="empty-inline">No agents yet.</p>}>
          <ul class="level-list">
            <For each={agents}>
              {(a) => (
                <li class="row gap">
                  <label class="grow" for={`level-${a.id}`}>
                    {a.name}
                  </label>
                  <select
                    id={`level-${a.id}`}
                    class="input input-sm"
                    value={levels()[a.id] ?? "all"}
                    onChange={(e) => void change(a.id, a.name, e.currentTarget.value as NotifyLevel, e.currentTarget)}
                  >
                    <For each={Object.keys(LEVEL_TEXT) as NotifyLevel[]}>
                      {(l) => (
                        <option value={l} selected={(levels()[a.id] ?? "all") === l}>
                          {LEVEL_TEXT[l]}
                        </option>
                      )}
                    </For>
                  </select>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </section>
  );
}
