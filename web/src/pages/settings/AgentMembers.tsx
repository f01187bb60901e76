// An agent's members: the people besides its owner who see it and answer its reviews. The owner (and an
// instance owner) adds them by email and removes them; a member sees who shared the agent with them.
import { createResource, createSignal, For, Show } from "solid-js";
import type { MemberDto } from "../../../../contract/dto";
import { TextField } from "../../components/Field";
import { confirmDialog } from "../../components/Dialog";
import { api, ApiError, apiPath } from "../../lib/api";
import { errorText, me, toast } from "../../lib/state";
import type { Agent, List, User } from "../../lib/types";

const loadMembers = (agentId: string) =>
  api.get<MemberDto[] | List<MemberDto>>(apiPath`/api/agents/${agentId}/members`).then((r) => (Array.isArray(r) ? r : r.data));

/** The owner first, as the server lists them (kept so should an answer come unordered). */
const ownerFirst = (list: MemberDto[]) => [...list].sort((a, b) => (a.role === b.role ? 0 : a.role === "owner" ? -1 : 1));

/** "Shared with you by Alice", for an agent the person is a member of. */
export function SharedBy(props: { agent: Agent }) {
  const [members] = createResource(() => props.agent.id, loadMembers);
  const owner = () => members.latest?.find((m) => m.role === "owner");
  return (
    <p class="shared-by small muted" data-shared-by>
      Shared with you{owner() ? ` by ${owner()!.displayName}` : ""}. Only its owner manages its webhook and keys.
    </p>
  );
}

export function AgentMembers(props: { agent: Agent }) {
  const [open, setOpen] = createSignal(false);
  const [members, { refetch }] = createResource(() => (open() ? props.agent.id : false), loadMembers);
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const canManage = () => props.agent.access === "owner" || me()?.role === "owner";
  // The instance owner picks from every user: their emails are offered as suggestions.
  const [users] = createResource(
    () => open() && canManage() && me()?.role === "owner",
    () => api.get<List<User>>("/api/users").then((r) => r.data),
  );
  const listId = `member-users-${props.agent.id}`;
  const panelId = `members-${props.agent.id}`;

  const add = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const userId = String(new FormData(form).get("userId") ?? "").trim();
    if (!userId) return setError("Give the person's email");
    setError(undefined);
    setBusy(true);
    try {
      await api.post(apiPath`/api/agents/${props.agent.id}/members`, { userId });
      form.reset();
      toast(`Shared ${props.agent.name} with ${userId}`, "success");
      await refetch();
    } catch (err) {
      setError(err instanceof ApiError && err.errors[0] ? err.errors[0].message : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (m: MemberDto) => {
    if (
      !(await confirmDialog({
        title: `Remove ${m.displayName}?`,
        body: `They no longer see ${props.agent.name} or answer its reviews.`,
        confirm: "Remove member",
        danger: true,
      }))
    )
      return;
    try {
      await api.del(apiPath`/api/agents/${props.agent.id}/members/${m.id}`);
      toast(`Removed ${m.displayName}`, "success");
      await refetch();
    } catch (err) {
      toast(errorText(err), "error");
    }
  };

  return (
    <div class="members">
      <button type="button" class="btn btn-sm" aria-expanded={open()} aria-controls={panelId} onClick={() => setOpen(!open())}>
        {open() ? "Hide members" : "Members"}
      </button>
      <Show when={open()}>
        <section id={panelId} class="agent-edit" aria-label={`Members of ${props.agent.name}`}>
          <Show when={members.error}>
            <p class="form-error" role="alert">
              {errorText(members.error)}
            </p>
          </Show>
          <Show when={members.latest} fallback={<p class="muted small">{members.loading ? "Loading…" : ""}</p>}>
            <ul class="member-list" aria-label="Members">
              <For each={ownerFirst(members.latest!)}>
                {(m) => (
                  <li data-member={m.id}>
                    <span class="grow">
                      <strong>{m.displayName}</strong> <span class="muted small">{m.email}</span>
                    </span>
                    <span class="tag" classList={{ "tag-ok": m.role === "owner" }}>
                      {m.role === "owner" ? "Owner" : "Member"}
                    </span>
                    <Show when={canManage() && m.role !== "owner"}>
                      <button type="button" class="btn btn-sm btn-danger-ghost" aria-label={`Remove ${m.displayName}`} onClick={() => void remove(m)}>
                        Remove
                      </button>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <Show when={canManage()}>
            <form class="member-add" novalidate onSubmit={add}>
              <TextField
                label="Add a member by email"
                name="userId"
                type="text"
                inputmode="email"
                autocomplete="off"
                placeholder="name@example.com"
                list={users.latest ? listId : undefined}
                hint="They must have an account here. Members see the agent's chat and answer its reviews."
                error={error()}
              />
              <datalist id={listId}>
                <For each={(users.latest ?? []).filter((u) => !members.latest?.some((m) => m.id === u.id))}>
                  {(u) => <option value={u.email}>{u.displayName}</option>}
                </For>
              </datalist>
              <button type="submit" class="btn btn-primary btn-sm member-add-btn" disabled={busy()}>
                Add member
              </button>
            </form>
          </Show>
        </section>
      </Show>
    </div>
  );
}
