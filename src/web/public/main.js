// The approval inbox: who is signed in, the inbox and the open case, and the
// keyboard. The URL's hash names the open case (#/cases/<id>).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, setCsrfToken } from './api.js';
import { CaseView } from './case-view.js';
import { html } from './html.js';
import { Inbox, useInbox } from './inbox.js';
import { KeyHelp, useKeyboard } from './keyboard.js';
import { MetricsView } from './metrics.js';
import { SignIn } from './sign-in.js';

function caseIdOfHash() {
  const match = /^#\/cases\/([^/?#]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

const onMetricsPage = () => location.hash === '#/metrics';

/** The open case's id, and whether the approval metrics page is open, from the URL's hash. */
function useHashRoute() {
  const current = () => ({ caseId: caseIdOfHash(), metrics: onMetricsPage() });
  const [route, setRoute] = useState(current());
  useEffect(() => {
    const onHash = () => setRoute(current());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function Workspace({ session, onSignOut }) {
  const { caseId, metrics } = useHashRoute();
  const [filters, setFilters] = useState({ mailbox: '', status: '', assignee: '', q: '' });
  const inbox = useInbox(filters, session);
  const [cursor, setCursor] = useState(0);
  const [help, setHelp] = useState(false);
  const searchRef = useRef(null);
  const caseActions = useRef(null);

  const rows = inbox.rows;
  const at = Math.min(cursor, Math.max(rows.length - 1, 0));
  useEffect(() => {
    document.querySelector('.case-row.cursor')?.scrollIntoView({ block: 'nearest' });
  }, [at, rows.length]);

  const open = (row) => {
    if (row) location.hash = `#/cases/${encodeURIComponent(row.id)}`;
  };

  useKeyboard({
    j: () => {
      // At the last loaded case, j fetches the next page of the inbox.
      if (at >= rows.length - 1 && inbox.hasMore) void inbox.loadMore();
      setCursor(Math.min(at + 1, rows.length - 1));
    },
    k: () => setCursor(Math.max(at - 1, 0)),
    o: () => open(rows[at]),
    e: () => caseActions.current?.edit(),
    a: () => caseActions.current?.approve(),
    r: () => caseActions.current?.startReject(),
    '/': () => searchRef.current?.focus(),
    '?': () => setHelp(true),
    escape: () => setHelp(false),
  });

  return html`
    <div class=${`workspace${caseId || metrics ? ' has-case' : ''}`}>
      <header class="top">
        <h1>Postroom</h1>
        <a href="#/metrics" class="nav-link">Metrics</a>
        <span class="who">${session.user.name ?? session.user.email}</span>
        <button type="button" onClick=${() => setHelp(true)} aria-label="Keyboard shortcuts">
          ?
        </button>
        <button type="button" onClick=${onSignOut}>Sign out</button>
      </header>
      <main>
        <${Inbox}
          ...${inbox}
          cursor=${at}
          selectedId=${caseId}
          filters=${filters}
          setFilters=${setFilters}
          searchRef=${searchRef}
        />
        ${
          metrics
            ? html`<${MetricsView} onClose=${() => (location.hash = '#/')} />`
            : caseId
              ? html`<${CaseView}
                  key=${caseId}
                  id=${caseId}
                  session=${session}
                  actionsRef=${caseActions}
                  onClose=${() => (location.hash = '#/')}
                />`
              : html`<section class="case-view empty" aria-label="No case open">
                  <p class="muted">Open a case (o), or press ? for the keys.</p>
                </section>`
        }
      </main>
      ${help && html`<${KeyHelp} onClose=${() => setHelp(false)} />`}
    </div>
  `;
}

function App() {
  const [session, setSession] = useState(undefined);

  useEffect(() => {
    api('/v1/sessions/current').then(
      (current) => {
        setCsrfToken(current.csrf_token);
        setSession(current);
      },
      // Not signed in (401), or the API is unreachable: the sign-in form says which on submit.
      () => setSession(null),
    );
  }, []);

  async function signOut() {
    await api('/v1/sessions/current', { method: 'DELETE' }).catch(() => undefined);
    setCsrfToken(null);
    setSession(null);
    location.hash = '#/';
  }

  if (session === undefined) return html`<p class="muted">Loading…</p>`;
  if (session === null)
    return html`<${SignIn}
      onSignedIn=${(created) => {
        setCsrfToken(created.csrf_token);
        setSession(created);
      }}
    />`;
  return html`<${Workspace} session=${session} onSignOut=${signOut} />`;
}

render(html`<${App} />`, document.getElementById('app'));
