// The inbox: cases needing approval first, then the oldest first; filters by
// mailbox, workflow status, assignee and "mine"; a search over subject,
// customer and body (the API's q); kept current by the account's event stream.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './html.js';
import { age, customerOf, STATUS_LABELS } from './format.js';

const PAGE = 100;

/** The server's inbox order (order=inbox): needs_approval first, then the rest, each oldest first. */
function inboxOrder(a, b) {
  const approvalA = a.workflow_status === 'needs_approval' ? 0 : 1;
  const approvalB = b.workflow_status === 'needs_approval' ? 0 : 1;
  if (approvalA !== approvalB) return approvalA - approvalB;
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function listQuery(filters) {
  const params = new URLSearchParams({
    limit: String(PAGE),
    order: 'inbox',
    include: 'assignee,participants',
  });
  if (filters.mailbox) params.set('mailbox_id', filters.mailbox);
  if (filters.status) params.set('workflow_status', filters.status);
  if (filters.assignee) params.set('assignee_id', filters.assignee);
  if (filters.q.trim()) params.set('q', filters.q.trim());
  return params;
}

/** Whether a changed case still belongs in the list (the search is the server's to judge). */
function matches(conversation, filters, session) {
  if (filters.mailbox && conversation.mailbox_id !== filters.mailbox) return false;
  if (filters.status && conversation.workflow_status !== filters.status) return false;
  if (filters.assignee === 'me' && conversation.assignee_id !== session.user.actor_id) return false;
  if (filters.assignee === 'none' && conversation.assignee_id !== null) return false;
  return true;
}

/**
 * Places a changed case in the loaded part of the list. With more pages on
 * the server, a case that now sorts after the last loaded row leaves the list:
 * "Load more" brings it in its place, never at the wrong end.
 */
function placeCase(rows, conversation, visible, complete) {
  const others = rows.filter((row) => row.id !== conversation.id);
  if (!visible) return others;
  const last = others[others.length - 1];
  if (!complete && last && inboxOrder(conversation, last) > 0) return others;
  return [...others, conversation].sort(inboxOrder);
}

export function useInbox(filters, session) {
  const [rows, setRows] = useState([]);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [loaded, setLoaded] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const nextRef = useRef(null);
  nextRef.current = next;
  // A reload started for older filters must not overwrite a newer one's list.
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const page = await api(`/v1/messaging/conversations?${listQuery(filtersRef.current)}`);
      if (mine !== generation.current) return;
      setRows(page.data);
      setNext(page.page_info.next_page_url);
      setError(null);
    } catch (failure) {
      if (mine === generation.current) setError(failure.message);
    } finally {
      if (mine === generation.current) setLoaded(true);
    }
  }, []);

  const loadMore = useCallback(async () => {
    // The API's next_page_url keeps the order, the filters and the includes.
    const nextUrl = nextRef.current;
    if (!nextUrl) return;
    const mine = generation.current;
    setLoadingMore(true);
    try {
      const page = await api(nextUrl);
      if (mine !== generation.current) return;
      setRows((previous) => {
        const seen = new Set(page.data.map((row) => row.id));
        return [...previous.filter((row) => !seen.has(row.id)), ...page.data].sort(inboxOrder);
      });
      setNext(page.page_info.next_page_url);
      setError(null);
    } catch (failure) {
      setError(failure.message);
    } finally {
      setLoadingMore(false);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [filters.mailbox, filters.status, filters.assignee, filters.q, reload]);

  useEffect(() => {
    const source = new EventSource('/v1/messaging/events');
    let dropped = false;
    source.addEventListener('error', () => {
      dropped = true;
    });
    // After a reconnect the list may have missed changes: the list is the state.
    source.addEventListener('open', () => {
      if (dropped) void reload();
      dropped = false;
    });
    const update = (conversation) => {
      const current = filtersRef.current;
      if (current.q.trim()) {
        void reload();
        return;
      }
      const visible = matches(conversation, current, session);
      setRows((previous) => placeCase(previous, conversation, visible, !nextRef.current));
    };
    source.addEventListener('conversation.updated', (event) => update(JSON.parse(event.data)));
    // The case view marked a case read: its row's unread count changes.
    const onLocal = (event) =>
      setRows((previous) =>
        previous.map((row) =>
          row.id === event.detail.id ? { ...row, unread: event.detail.unread } : row,
        ),
      );
    window.addEventListener('postroom:conversation', onLocal);
    return () => {
      source.close();
      window.removeEventListener('postroom:conversation', onLocal);
    };
  }, [reload, session]);

  return { rows, error, loaded, reload, hasMore: next !== null, loadMore, loadingMore };
}

/** The account's mailboxes for the filter, whatever the loaded cases happen to be. */
function useMailboxes() {
  const [mailboxes, setMailboxes] = useState([]);
  useEffect(() => {
    api('/v1/messaging/mailboxes').then(
      (page) => setMailboxes(page.data),
      () => setMailboxes([]),
    );
  }, []);
  return mailboxes;
}

function mailboxLabel(mailbox) {
  return mailbox.display_name ? `${mailbox.display_name} <${mailbox.address}>` : mailbox.address;
}

export function Inbox({
  rows,
  error,
  loaded,
  hasMore,
  loadMore,
  loadingMore,
  cursor,
  selectedId,
  filters,
  setFilters,
  searchRef,
}) {
  const mailboxes = useMailboxes();
  const set = (name) => (event) => setFilters({ ...filters, [name]: event.currentTarget.value });
  const [search, setSearch] = useState(filters.q);

  useEffect(() => {
    const timer = setTimeout(() => {
      if (search !== filters.q) setFilters({ ...filters, q: search });
    }, 250);
    return () => clearTimeout(timer);
  }, [search]);

  return html`
    <section class="inbox" aria-labelledby="inbox-heading">
      <h2 id="inbox-heading">Inbox</h2>
      <form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
        <label for="search">Search</label>
        <input
          id="search"
          type="search"
          ref=${searchRef}
          placeholder="Subject, customer or text (/)"
          value=${search}
          onInput=${(e) => setSearch(e.currentTarget.value)}
        />
        <label for="filter-status">Status</label>
        <select id="filter-status" value=${filters.status} onChange=${set('status')}>
          <option value="">Any status</option>
          ${Object.entries(STATUS_LABELS).map(
            ([value, label]) => html`<option value=${value}>${label}</option>`,
          )}
        </select>
        <label for="filter-assignee">Assignee</label>
        <select id="filter-assignee" value=${filters.assignee} onChange=${set('assignee')}>
          <option value="">Anyone</option>
          <option value="me">Mine</option>
          <option value="none">Unassigned</option>
        </select>
        <label for="filter-mailbox">Mailbox</label>
        <select id="filter-mailbox" value=${filters.mailbox} onChange=${set('mailbox')}>
          <option value="">All mailboxes</option>
          ${mailboxes.map(
            (mailbox) => html`<option value=${mailbox.id}>${mailboxLabel(mailbox)}</option>`,
          )}
        </select>
      </form>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${loaded && rows.length === 0 && html`<p class="empty">No cases here.</p>`}
      <ul class="case-list" aria-label="Cases">
        ${rows.map(
          (row, index) => html`
            <li key=${row.id}>
              <a
                href=${`#/cases/${row.id}`}
                class=${`case-row${index === cursor ? ' cursor' : ''}${row.id === selectedId ? ' selected' : ''}`}
                aria-current=${row.id === selectedId ? 'true' : undefined}
                data-case-id=${row.id}
                data-status=${row.workflow_status}
              >
                <span class="case-title">${row.title || '(no subject)'}</span>
                <span class="case-meta">
                  <span class=${`badge status-${row.workflow_status}`}
                    >${STATUS_LABELS[row.workflow_status] ?? row.workflow_status}</span
                  >
                  <span>${customerOf(row)}</span>
                  <span>#${row.case_number}</span>
                  <span>${age(row.created_at)}</span>
                  ${row.assignee && html`<span>→ ${row.assignee.name ?? row.assignee.handle}</span>`}
                  ${
                    row.unread > 0 &&
                    html`<span class="badge unread" aria-label=${`${row.unread} unread`}
                      >${row.unread}</span
                    >`
                  }
                </span>
              </a>
            </li>
          `,
        )}
      </ul>
      ${
        hasMore &&
        html`<button type="button" class="load-more" onClick=${loadMore} disabled=${loadingMore}>
          ${loadingMore ? 'Loading…' : 'Load more'}
        </button>`
      }
    </section>
  `;
}
