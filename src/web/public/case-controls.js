// The case's own settings: workflow status, assignee, legal hold (admins), and
// internal notes, where @handle mentions an agent (which may trigger it).
import { useState } from 'preact/hooks';
import { api, enc } from './api.js';
import { html } from './html.js';
import { actorName, STATUS_LABELS } from './format.js';

export function CaseControls({ conversation, session, actions }) {
  const [note, setNote] = useState('');
  const base = `/v1/messaging/conversations/${enc(conversation.id)}`;
  const mine = conversation.assignee_id === session.user.actor_id;
  const canHold = session.user.permissions.includes('admin');
  const agents = (conversation.participants?.data ?? [])
    .map((p) => p.type === 'agent' && p.actor?.handle)
    .filter(Boolean);

  function setStatus(event) {
    const workflow_status = event.currentTarget.value;
    void actions.act('Status changed.', () =>
      api(`${base}/actions/set-status`, { method: 'POST', body: { workflow_status } }),
    );
  }

  async function addNote(event) {
    event.preventDefault();
    if (!note.trim()) return;
    const ok = await actions.act('Note added.', () =>
      api(`${base}/messages`, {
        method: 'POST',
        body: { body: note, visibility: 'internal', channel: 'message' },
      }),
    );
    if (ok) setNote('');
  }

  return html`
    <div class="case-controls">
      <label for="case-status">Status</label>
      <select id="case-status" value=${conversation.workflow_status ?? ''} onChange=${setStatus}>
        ${Object.entries(STATUS_LABELS).map(
          ([value, label]) => html`<option value=${value}>${label}</option>`,
        )}
      </select>
      <span>Assignee: ${conversation.assignee ? actorName(conversation.assignee) : 'nobody'}</span>
      <button
        type="button"
        onClick=${() =>
          actions.act(mine ? 'Unassigned.' : 'Assigned to you.', () =>
            api(base, {
              method: 'PATCH',
              body: { assignee_id: mine ? null : session.user.actor_id },
            }),
          )}
      >
        ${mine ? 'Unassign me' : 'Assign to me'}
      </button>
      ${
        canHold &&
        html`<button
          type="button"
          aria-pressed=${conversation.legal_hold === 'held' ? 'true' : 'false'}
          onClick=${() =>
            actions.act('Legal hold changed.', () =>
              api(`${base}/actions/set-legal-hold`, {
                method: 'POST',
                body: { legal_hold: conversation.legal_hold === 'held' ? 'released' : 'held' },
              }),
            )}
        >
          ${conversation.legal_hold === 'held' ? 'Release legal hold' : 'Put on legal hold'}
        </button>`
      }
      <form class="note-form" onSubmit=${addNote}>
        <label for="note">Internal note</label>
        <textarea
          id="note"
          rows="2"
          placeholder=${
            agents.length
              ? `Only your team sees this; @${agents[0]} asks the agent`
              : 'Only your team sees this; @handle mentions an agent'
          }
          value=${note}
          onInput=${(e) => setNote(e.currentTarget.value)}
        ></textarea>
        <button type="submit">Add note</button>
      </form>
    </div>
  `;
}
