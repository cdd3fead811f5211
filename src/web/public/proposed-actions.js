// What the draft's agent run did with tools, for the approver: the read-only
// lookups it made (and what they answered), and the actions it proposes.
// Each proposed action runs only when approved here (or through the API);
// approving the draft does not run them.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from './api.js';
import { html } from './html.js';

export function ProposedActions({ draft }) {
  const [run, setRun] = useState(null);
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  const complete = draft.streaming_state === 'complete';
  useEffect(() => {
    if (!draft.agent_run_id || !complete) return;
    let live = true;
    api(`/v1/agent-runs/${enc(draft.agent_run_id)}`)
      .then((found) => live && setRun(found))
      .catch(() => live && setRun(null));
    return () => {
      live = false;
    };
  }, [draft.agent_run_id, complete]);
  if (!run || (run.tool_calls.length === 0 && run.proposed_actions.length === 0)) return null;

  const decide = async (action, decision) => {
    setBusy(action.id);
    setError(null);
    try {
      const decided = await api(
        `/v1/messaging/messages/${enc(draft.id)}/proposed-actions/${enc(action.id)}/${decision}`,
        { method: 'POST', body: {} },
      );
      setRun({
        ...run,
        proposed_actions: run.proposed_actions.map((a) => (a.id === decided.id ? decided : a)),
      });
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(null);
    }
  };

  const lookups = run.tool_calls.filter((c) => c.read_only);
  return html`<div class="draft-tools">
    ${
      lookups.length > 0 &&
      html`<details>
        <summary>Looked up with tools (${lookups.length})</summary>
        <ul>
          ${lookups.map(
            (c) =>
              html`<li key=${c.id}>
                <code>${c.name}(${c.arguments})</code> — ${c.status}
                ${c.error ? html`: ${c.error}` : c.result && html`<pre>${c.result}</pre>`}
              </li>`,
          )}
        </ul>
      </details>`
    }
    ${
      run.proposed_actions.length > 0 &&
      html`<h4>Proposed actions</h4>
        <p class="muted">
          They run only when you approve each one; approving the draft does not run them.
        </p>
        <ul class="proposed-actions">
          ${run.proposed_actions.map(
            (a) =>
              html`<li key=${a.id} data-action-id=${a.id}>
                <code>${a.tool}(${a.arguments})</code>
                <span class="badge">${a.status}</span>
                ${
                  a.status === 'pending' &&
                  html`<button
                      type="button"
                      disabled=${busy !== null}
                      onClick=${() => decide(a, 'approve')}
                    >
                      Run it
                    </button>
                    <button
                      type="button"
                      disabled=${busy !== null}
                      onClick=${() => decide(a, 'reject')}
                    >
                      Reject
                    </button>`
                }
                ${a.error && html`<p class="conflict">${a.error}</p>`}
                ${a.result && html`<pre>${a.result}</pre>`}
              </li>`,
          )}
        </ul>`
    }
    ${error && html`<p class="conflict" role="alert">${error}</p>`}
  </div>`;
}
