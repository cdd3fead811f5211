// The thread of a case, in order: customer emails, replies, internal notes,
// alerts and events, each with its attachments (downloadable; inline images
// shown). HTML mail goes through MailFrame; everything else is text, which
// Preact escapes.
import { html } from './html.js';
import { MailFrame } from './mail-frame.js';
import { actorName, when } from './format.js';

/** Sent messages by sequence, then the rest (scheduled, failed...) by creation. */
function threadOrder(a, b) {
  const sa = a.sequence ?? Number.POSITIVE_INFINITY;
  const sb = b.sequence ?? Number.POSITIVE_INFINITY;
  if (sa !== sb) return sa - sb;
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0;
}

// Drafts live in the draft panel; dismissed drafts are history nobody reads.
const HIDDEN = new Set(['draft', 'rejected', 'superseded']);

export function threadMessages(messages) {
  return messages.filter((m) => !HIDDEN.has(m.status)).sort(threadOrder);
}

function label(message) {
  if (message.kind === 'alert') return 'Alert';
  if (message.kind === 'system_event') return 'Event';
  if (message.visibility === 'internal') return 'Internal note';
  if (message.kind === 'email' && message.email?.from && !message.approval) return 'Customer email';
  return message.channel === 'email' ? 'Reply' : 'Message';
}

function fromOf(message) {
  if (message.sender) return actorName(message.sender);
  const from = message.email?.from;
  return from ? from.name || from.address : '';
}

function Attachments({ message }) {
  const files = message.attachments?.data ?? [];
  if (files.length === 0) return null;
  const images = files.filter(
    (a) => a.inline && a.url && a.content_type?.startsWith('image/') && !message.has_html,
  );
  return html`
    ${images.map(
      (a) => html`<img class="inline-image" src=${a.url} alt=${a.filename ?? 'inline image'} />`,
    )}
    <ul class="attachments" aria-label="Attachments">
      ${files
        .filter((a) => a.url)
        .map(
          (a) =>
            html`<li>
              <a href=${a.url} download=${a.filename ?? ''}>${a.filename ?? 'attachment'}</a>
              <span class="muted"> ${a.content_type ?? ''}</span>
            </li>`,
        )}
    </ul>
  `;
}

export function ThreadMessage({ message, actions }) {
  const kindClass = `message kind-${message.kind} visibility-${message.visibility} status-${message.status}`;
  return html`
    <article class=${kindClass} data-message-id=${message.id} aria-label=${label(message)}>
      <header>
        <strong>${label(message)}</strong>
        <span>${fromOf(message)}</span>
        <time datetime=${message.created_at}>${when(message.created_at)}</time>
        ${
          message.status !== 'sent' &&
          html`<span class=${`badge status-${message.status}`}>${message.status}</span>`
        }
      </header>
      ${message.subject && message.channel === 'email' && html`<p class="subject">${message.subject}</p>`}
      ${
        message.has_html
          ? html`<${MailFrame} message=${message} />`
          : html`<div class="body">${message.body ?? ''}</div>`
      }
      <${Attachments} message=${message} />
      ${
        message.status === 'scheduled' &&
        html`<p class="delivery">
          Scheduled for ${when(message.scheduled_at)}
          <button type="button" onClick=${() => actions.cancel(message)}>Cancel send</button>
        </p>`
      }
      ${
        message.status === 'failed' &&
        html`<p class="delivery">
          Delivery failed${message.delivery?.last_error ? `: ${message.delivery.last_error}` : ''}
          <button type="button" onClick=${() => actions.retry(message)}>Retry send</button>
        </p>`
      }
      ${message.status === 'canceled' && html`<p class="delivery muted">Send canceled</p>`}
    </article>
  `;
}
