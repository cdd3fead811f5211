// Approval metrics (GET /v1/metrics/approvals): how the team treats the
// agents' drafts. Charts for the shape, tables for the numbers per agent and
// per mailbox (and for anyone who cannot see a canvas).
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { BarChart } from './bar-chart.js';
import { html } from './html.js';

const PERIODS = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
  { days: 365, label: 'Last 365 days' },
];

const percent = (share) => `${Math.round((share ?? 0) * 100)}%`;

/** A duration in ms for people: "—" when there is none. */
function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function bucketLabel({ min, max }) {
  return min === max ? `${min}` : `${min}–${max}`;
}

function useMetrics(query) {
  const [state, setState] = useState({ metrics: null, error: null });
  useEffect(() => {
    let live = true;
    const params = new URLSearchParams({
      from: new Date(Date.now() - query.days * 86_400_000).toISOString(),
    });
    if (query.agent) params.set('agent_id', query.agent);
    if (query.mailbox) params.set('mailbox_id', query.mailbox);
    api(`/v1/metrics/approvals?${params}`).then(
      (metrics) => live && setState({ metrics, error: null }),
      (failure) => live && setState({ metrics: null, error: failure.message }),
    );
    return () => {
      live = false;
    };
  }, [query.days, query.agent, query.mailbox]);
  return state;
}

function Row({ name, entry }) {
  return html`<tr>
    <th scope="row">${name}</th>
    <td>${entry.drafts}</td>
    <td>${percent(entry.approved_unedited.share)}</td>
    <td>${percent(entry.approved_edited.share)}</td>
    <td>${percent(entry.rejected.share)}</td>
    <td>${entry.edit_distance.p50 ?? '—'}</td>
    <td>${duration(entry.draft_ready_to_approval_ms.p50)}</td>
    <td>${duration(entry.customer_message_to_reply_sent_ms.p50)}</td>
  </tr>`;
}

function Breakdown({ caption, rows }) {
  // A wide table scrolls on its own at phone width (the page does not), and
  // can be focused so keyboard users can scroll it too.
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${caption}>
    <table class="metrics-table">
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col"></th>
          <th scope="col">Drafts</th>
          <th scope="col">Approved unedited</th>
          <th scope="col">Approved edited</th>
          <th scope="col">Rejected</th>
          <th scope="col">Edit distance p50</th>
          <th scope="col">Ready → approved p50</th>
          <th scope="col">Customer → reply p50</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(([name, entry]) => html`<${Row} key=${name} name=${name} entry=${entry} />`)}
      </tbody>
    </table>
  </div>`;
}

export function MetricsView({ onClose }) {
  const [query, setQuery] = useState({ days: 30, agent: '', mailbox: '' });
  const { metrics, error } = useMetrics(query);
  // The choices come from the unfiltered answer, so narrowing keeps them.
  const [known, setKnown] = useState({ agents: [], mailboxes: [] });
  useEffect(() => {
    if (!metrics || metrics.agent_id || metrics.mailbox_id) return;
    setKnown({
      agents: metrics.by_agent.map((a) => a.agent_id),
      mailboxes: metrics.by_mailbox.map((m) => m.mailbox_id),
    });
  }, [metrics]);

  const overall = metrics?.overall;
  return html`
    <section class="case-view metrics-view" aria-labelledby="metrics-heading">
      <header class="case-header">
        <button type="button" class="back" onClick=${onClose}>← Inbox</button>
        <h2 id="metrics-heading">Approval metrics</h2>
      </header>
      <div class="metrics-filters">
        <label for="metrics-period">Period</label>
        <select
          id="metrics-period"
          value=${query.days}
          onChange=${(e) => setQuery({ ...query, days: Number(e.currentTarget.value) })}
        >
          ${PERIODS.map((p) => html`<option value=${p.days}>${p.label}</option>`)}
        </select>
        <label for="metrics-agent">Agent</label>
        <select
          id="metrics-agent"
          value=${query.agent}
          onChange=${(e) => setQuery({ ...query, agent: e.currentTarget.value })}
        >
          <option value="">All agents</option>
          ${known.agents.map((id) => html`<option value=${id}>${id}</option>`)}
        </select>
        <label for="metrics-mailbox">Mailbox</label>
        <select
          id="metrics-mailbox"
          value=${query.mailbox}
          onChange=${(e) => setQuery({ ...query, mailbox: e.currentTarget.value })}
        >
          <option value="">All mailboxes</option>
          ${known.mailboxes.map((id) => html`<option value=${id}>${id}</option>`)}
        </select>
      </div>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${!metrics && !error && html`<p class="muted">Loading…</p>`}
      ${
        overall &&
        html`
          <p class="metrics-summary" data-drafts=${overall.drafts}>
            ${overall.drafts} drafts decided. Ready → approved: p50
            ${duration(overall.draft_ready_to_approval_ms.p50)}, p90
            ${duration(overall.draft_ready_to_approval_ms.p90)}. Customer → reply sent: p50
            ${duration(overall.customer_message_to_reply_sent_ms.p50)}, p90
            ${duration(overall.customer_message_to_reply_sent_ms.p90)}.
          </p>
          <div class="charts">
            <${BarChart}
              title="Decisions"
              labels=${['Approved unedited', 'Approved edited', 'Rejected']}
              values=${[
                overall.approved_unedited.share,
                overall.approved_edited.share,
                overall.rejected.share,
              ]}
              format=${percent}
              max=${1}
            />
            <${BarChart}
              title="Edit distance of approved drafts"
              labels=${overall.edit_distance.histogram.map(bucketLabel)}
              values=${overall.edit_distance.histogram.map((b) => b.count)}
              format=${(n) => `${Math.round(n * 10) / 10}`}
            />
          </div>
          <${Breakdown} caption="By agent" rows=${metrics.by_agent.map((a) => [a.agent_id, a])} />
          <${Breakdown}
            caption="By mailbox"
            rows=${metrics.by_mailbox.map((m) => [m.mailbox_id, m])}
          />
        `
      }
    </section>
  `;
}
