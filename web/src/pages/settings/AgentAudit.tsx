// An agent's audit log: download it (JSON Lines) and check its hash chain.
import { createSignal, Show } from "solid-js";
import type { AuditVerifyDto } from "../../../../contract/dto";
import { api, apiPath } from "../../lib/api";
import { errorText, toast } from "../../lib/state";
import type { Agent } from "../../lib/types";

export function AgentAudit(props: { agent: Agent }) {
  const [result, setResult] = createSignal<AuditVerifyDto>();
  const [busy, setBusy] = createSignal(false);
  const verify = async () => {
    setBusy(true);
    try {
      setResult(await api.get<AuditVerifyDto>(apiPath`/api/agents/${props.agent.id}/audit/verify`));
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="row gap small audit-tools">
      <span class="muted">Audit log:</span>
      <a class="btn btn-sm" href={apiPath`/api/agents/${props.agent.id}/audit/export`} download="">
        Download (JSON Lines)
      </a>
      <button type="button" class="btn btn-sm" disabled={busy()} aria-busy={busy()} onClick={() => void verify()}>
        Verify chain
      </button>
      <span role="status" data-audit-verify>
        <Show when={result()}>
          {(r) =>
            r().ok ? (
              <span class="tag tag-ok">Intact: {r().entries} entries</span>
            ) : (
              <span class="tag urgent">
                Broken at entry {r().firstBroken}
                {r().reason ? `: ${r().reason}` : ""}
              </span>
            )
          }
        </Show>
      </span>
    </div>
  );
}
