// One case: its thread, the draft (streamed live from the conversation's
// event stream), and what the approver can do. Decisions name the draft
// version they were made on (If-Match), so a draft someone else changed is a
// conflict shown here, never an overwrite.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiFailure, enc } from './api.js';
import { DraftPanel } from './draft-panel.js';
import { html } from './html.js';
import { CaseControls } from './case-controls.js';
import { threadMessages, ThreadMessage } from './thread.js';

// Codes that mean "someone else got there first": show them as a conflict.
const CONFLICTS = new Set([
  'message_changed',
  'stale_draft',
  'invalid_state',
  'concurrent_update',
  'draft_streaming',
  'delivery_in_progress',
]);

/** Apply a streamed delta to the draft body it belongs to. */
function applyDelta(message, delta) {
  const body = message.body ?? '';
  if (delta.reset) return { ...message, body: delta.text, streaming_state: 'streaming' };
  if (delta.offset > body.length) return null; // a gap: the caller re-reads the message
  return {
    ...message,
    body: body.slice(0, delta.offset) + delta.text,
    streaming_state: 'streaming',
  };
}

function useCase(id) {
  const [conversation, setConversation] = useState(null);
  const [messages, setMessages] = useState([]);
  const [error, setError] = useState(null);

  const reload = useCallback(async () => {
    try {
      const [c, m] = await Promise.all([
        api(`/v1/messaging/conversations/${enc(id)}?include=assignee,participants`),
        api(`/v1/messaging/conversations/${enc(id)}/messages?limit=100&include=sender,author`),
      ]);
      setConversation(c);
      setMessages(m.data);
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  }, [id]);

  const upsert = useCallback((message) => {
    setMessages((previous) => [...previous.filter((m) => m.id !== message.id), message]);
  }, []);

  useEffect(() => {
    setConversation(null);
    setMessages([]);
    void reload();
    const source = new EventSource(
      `/v1/messaging/conversations/${enc(id)}/events?include=assignee,participants`,
    );
    const refetch = (messageId) =>
      api(`/v1/messaging/messages/${enc(messageId)}?include=sender,author`).then(
        upsert,
        () => undefined,
      );
    source.addEventListener('message.created', (e) => upsert(JSON.parse(e.data)));
    source.addEventListener('message.updated', (e) => upsert(JSON.parse(e.data)));
    source.addEventListener('conversation.updated', (e) => setConversation(JSON.parse(e.data)));
    source.addEventListener('message.delta', (e) => {
      const delta = JSON.parse(e.data);
      setMessages((previous) => {
        const target = previous.find((m) => m.id === delta.message_id);
        const grown = target && applyDelta(target, delta);
        if (!grown) {
          void refetch(delta.message_id);
          return previous;
        }
        return previous.map((m) => (m.id === grown.id ? grown : m));
      });
    });
    return () => source.close();
  }, [id, reload, upsert]);

  return { conversation, messages, error, reload, upsert };
}

/** Mark what is on screen read, and tell the inbox (its row's unread count drops). */
function useMarkRead(id, messages) {
  const upTo = messages.reduce((max, m) => Math.max(max, m.sequence ?? 0), 0);
  useEffect(() => {
    if (upTo === 0) return;
    api(`/v1/messaging/conversations/${enc(id)}/actions/mark-read`, {
      method: 'POST',
      body: { up_to_sequence: upTo },
    }).then(
      (conversation) =>
        window.dispatchEvent(new CustomEvent('postroom:conversation', { detail: conversation })),
      () => undefined,
    );
  }, [id, upTo]);
}

export function CaseView({ id, session, actionsRef, onClose }) {
  const { conversation, messages, error, reload, upsert } = useCase(id);
  useMarkRead(id, messages);
  const [editing, setEditing] = useState(null);
  const [rejecting, setRejecting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(null);
  const [conflict, setConflict] = useState(null);
  const [noticeError, setNoticeError] = useState(null);

  const draft = [...messages]
    .filter((m) => m.status === 'draft')
    .sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
  // A draft being edited stays in view even when it changed meanwhile (someone
  // approved or rejected it): approving it then shows the conflict.
  const shown = draft ?? (editing ? messages.find((m) => m.id === editing.id) : undefined);
  const draftRef = useRef(shown);
  draftRef.current = shown;

  useEffect(() => {
    setEditing(null);
    setRejecting(false);
    setConflict(null);
    setNotice(null);
  }, [id]);

  async function run(what, call) {
    setBusy(true);
    setConflict(null);
    setNotice(null);
    setNoticeError(null);
    try {
      const result = await call();
      if (result?.object === 'chat_message') upsert(result);
      setNotice(what);
      return true;
    } catch (failure) {
      if (
        failure instanceof ApiFailure &&
        (failure.status === 412 || CONFLICTS.has(failure.code))
      ) {
        setConflict(failure.message);
        setEditing(null);
        setRejecting(false);
        void reload();
      } else {
        setNoticeError(failure.message);
      }
      return false;
    } finally {
      setBusy(false);
    }
  }
  const actions = {
    edit() {
      const current = draftRef.current;
      if (!current || current.streaming_state === 'streaming') return;
      const text = current.body ?? '';
      setEditing({ id: current.id, version: current.updated_at, text, original: text });
    },
    async approve(sendAt) {
      const current = draftRef.current;
      const target = editing ?? (current && { id: current.id, version: current.updated_at });
      if (!target) return;
      const body = {};
      if (editing && editing.text !== editing.original) body.body = editing.text;
      if (sendAt) body.scheduled_at = new Date(sendAt).toISOString();
      const ok = await run(sendAt ? 'Scheduled.' : 'Approved: the reply is on its way.', () =>
        api(`/v1/messaging/messages/${enc(target.id)}/actions/approve`, {
          method: 'POST',
          body,
          headers: { 'if-match': `"${target.version}"` },
        }),
      );
      if (ok) setEditing(null);
    },
    async reject(reason) {
      const current = draftRef.current;
      if (!current) return;
      const ok = await run('Draft rejected.', () =>
        api(`/v1/messaging/messages/${enc(current.id)}/actions/reject`, {
          method: 'POST',
          body: reason ? { reason } : {},
          headers: { 'if-match': `"${current.updated_at}"` },
        }),
      );
      if (ok) {
        setRejecting(false);
        setEditing(null);
      }
    },
    startReject() {
      if (draftRef.current) setRejecting(true);
    },
    regenerate() {
      return run('A new draft was requested.', () =>
        api(`/v1/messaging/conversations/${enc(id)}/actions/regenerate`, { method: 'POST' }),
      );
    },
    cancel(message) {
      return run('Send canceled.', () =>
        api(`/v1/messaging/messages/${enc(message.id)}/actions/cancel`, {
          method: 'POST',
          headers: { 'if-match': `"${message.updated_at}"` },
        }),
      );
    },
    retry(message) {
      return run('Sending again.', () =>
        api(`/v1/messaging/messages/${enc(message.id)}/actions/retry`, { method: 'POST' }),
      );
    },
    act(what, call) {
      return run(what, call);
    },
  };
  actionsRef.current = actions;

  if (error)
    return html`<section class="case-view"><p class="error" role="alert">${error}</p></section>`;
  if (!conversation)
    return html`<section class="case-view"><p class="muted">Loading…</p></section>`;
  return html`
    <section class="case-view" aria-labelledby="case-heading">
      <header class="case-header">
        <button type="button" class="back" onClick=${onClose}>← Inbox</button>
        <h2 id="case-heading">${conversation.title || '(no subject)'}</h2>
        <span class="muted">#${conversation.case_number}</span>
      </header>
      <${CaseControls} conversation=${conversation} session=${session} actions=${actions} />
      ${
        conflict &&
        html`<div class="conflict" role="alert">
          <strong>Conflict:</strong> ${conflict} The case was reloaded: check the draft and decide
          again.
        </div>`
      }
      ${noticeError && html`<p class="error" role="alert">${noticeError}</p>`}
      ${notice && html`<p class="notice" role="status">${notice}</p>`}
      <div class="thread">
        ${threadMessages(messages).map(
          (message) =>
            html`<${ThreadMessage} key=${message.id} message=${message} actions=${actions} />`,
        )}
      </div>
      <${DraftPanel}
        draft=${shown}
        changed=${editing !== null && shown !== undefined && shown.updated_at !== editing.version}
        editing=${editing}
        setEditing=${setEditing}
        rejecting=${rejecting}
        setRejecting=${setRejecting}
        actions=${actions}
        busy=${busy}
      />
    </section>
  `;
}
