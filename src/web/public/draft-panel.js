// The draft awaiting approval: it grows token by token while the agent
// streams; the approver can edit it, approve it now or at a time, reject it
// with a reason, or ask for a new one.
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';
import { DraftSources } from './draft-sources.js';
import { ProposedActions } from './proposed-actions.js';

export function DraftPanel({
  draft,
  changed,
  editing,
  setEditing,
  rejecting,
  setRejecting,
  actions,
  busy,
}) {
  const editor = useRef(null);
  const reason = useRef(null);
  useEffect(() => {
    if (editing) editor.current?.focus();
  }, [editing !== null]);
  useEffect(() => {
    if (rejecting) reason.current?.focus();
  }, [rejecting]);

  if (!draft) {
    return html`<section class="draft-panel" aria-labelledby="draft-heading">
      <h3 id="draft-heading">Draft</h3>
      <p class="muted">No draft is waiting.</p>
      <button type="button" onClick=${actions.regenerate} disabled=${busy}>Draft a reply</button>
    </section>`;
  }
  const streaming = draft.streaming_state === 'streaming';
  return html`
    <section
      class="draft-panel"
      aria-labelledby="draft-heading"
      data-draft-id=${draft.id}
      aria-busy=${streaming ? 'true' : 'false'}
    >
      <h3 id="draft-heading">
        Draft ${streaming && html`<span class="badge streaming">drafting…</span>`}
      </h3>
      ${
        changed &&
        html`<p class="conflict">
          This draft changed while you were editing it (it is now ${draft.status}).
        </p>`
      }
      ${draft.subject && html`<p class="subject">${draft.subject}</p>`}
      ${
        editing !== null
          ? html`<label for="draft-editor" class="visually-hidden">Edit the draft</label>
              <textarea
                id="draft-editor"
                ref=${editor}
                rows="10"
                value=${editing.text}
                onInput=${(e) => setEditing({ ...editing, text: e.currentTarget.value })}
              ></textarea>`
          : html`<div class="body draft-body">${draft.body ?? ''}</div>`
      }
      <${DraftSources} draft=${draft} />
      <${ProposedActions} draft=${draft} />
      <div class="draft-actions">
        ${
          editing === null &&
          html`<button type="button" onClick=${actions.edit} disabled=${streaming}>
            Edit (e)
          </button>`
        }
        <button
          type="button"
          class="primary"
          onClick=${() => actions.approve()}
          disabled=${streaming || busy}
        >
          Approve${editing !== null ? ' edited' : ''} (a)
        </button>
        <label for="send-at">Send at</label>
        <input id="send-at" type="datetime-local" />
        <button
          type="button"
          onClick=${() => actions.approve(document.getElementById('send-at').value)}
          disabled=${streaming || busy}
        >
          Schedule
        </button>
        <button type="button" onClick=${() => setRejecting(true)} disabled=${streaming || busy}>
          Reject (r)
        </button>
        <button type="button" onClick=${actions.regenerate} disabled=${busy}>Regenerate</button>
        ${
          editing !== null &&
          html`<button type="button" onClick=${() => setEditing(null)}>Discard edits</button>`
        }
      </div>
      ${
        rejecting &&
        html`<form
          class="reject-form"
          onSubmit=${(e) => {
            e.preventDefault();
            actions.reject(reason.current.value);
          }}
        >
          <label for="reject-reason">Reason for rejecting</label>
          <input id="reject-reason" ref=${reason} maxlength="500" />
          <button type="submit">Reject draft</button>
          <button type="button" onClick=${() => setRejecting(false)}>Keep it</button>
        </form>`
      }
    </section>
  `;
}
