// An HTML mail, shown safely. The HTML is sanitized in the page (DOMPurify:
// no scripts, no event handlers, no javascript: links, no forms) and shown in
// an iframe sandboxed without allow-scripts, whose own policy allows no
// script and no remote request. Remote images (tracking pixels) are left out
// until the person chooses to show them; inline images (cid:) point at the
// message's attachments on this origin.
import DOMPurify from 'dompurify';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiText, enc } from './api.js';
import { html } from './html.js';

const REMOTE = /^\s*(https?:)?\/\//i;

function sanitize(source, { attachments, allowRemote }) {
  const byContentId = new Map(
    attachments.filter((a) => a.content_id && a.url).map((a) => [a.content_id, a.url]),
  );
  let blocked = 0;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
    for (const attribute of ['src', 'background', 'poster']) {
      const value = node.getAttribute(attribute);
      if (!value) continue;
      if (/^cid:/i.test(value)) {
        const url = byContentId.get(value.slice(4).replace(/^<|>$/g, ''));
        if (url) node.setAttribute(attribute, url);
        else node.removeAttribute(attribute);
      } else if (REMOTE.test(value) && !allowRemote) {
        node.removeAttribute(attribute);
        blocked++;
      }
    }
    if (node.hasAttribute('srcset') && !allowRemote) {
      node.removeAttribute('srcset');
      blocked++;
    }
    const style = node.getAttribute('style');
    if (style && /url\s*\(/i.test(style) && !allowRemote) {
      node.removeAttribute('style');
      blocked++;
    }
  });
  const clean = DOMPurify.sanitize(source, {
    FORBID_TAGS: ['form', 'input', 'button', 'textarea', 'select', 'link', 'meta', 'base'],
    FORBID_ATTR: ['action', 'formaction'],
  });
  DOMPurify.removeHooks('afterSanitizeAttributes');
  return { clean, blocked };
}

function frameDocument(clean, allowRemote) {
  const origin = location.origin;
  const images = allowRemote ? `${origin} data: https: http:` : `${origin} data:`;
  const policy = `default-src 'none'; img-src ${images}; style-src 'unsafe-inline'`;
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${policy}"><meta name="referrer" content="no-referrer"><style>body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#111;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style></head><body>${clean}</body></html>`;
}

export function MailFrame({ message }) {
  const [source, setSource] = useState(null);
  const [error, setError] = useState(null);
  const [allowRemote, setAllowRemote] = useState(false);
  const frame = useRef(null);

  useEffect(() => {
    apiText(`/v1/messaging/messages/${enc(message.id)}/html`).then(setSource, (failure) =>
      setError(failure.message),
    );
  }, [message.id]);

  const rendered = useMemo(
    () =>
      source === null
        ? null
        : sanitize(source, { attachments: message.attachments?.data ?? [], allowRemote }),
    [source, allowRemote, message.attachments],
  );

  function fit() {
    const doc = frame.current?.contentDocument;
    if (doc?.documentElement)
      frame.current.style.height = `${Math.min(doc.documentElement.scrollHeight + 16, 2000)}px`;
  }

  if (error) return html`<p class="error">The HTML of this mail could not be loaded: ${error}</p>`;
  if (!rendered) return html`<p class="muted">Loading the mail…</p>`;
  return html`
    <div class="mail-frame">
      ${
        rendered.blocked > 0 &&
        !allowRemote &&
        html`<p class="notice">
          Remote images are blocked (${rendered.blocked}).
          <button type="button" onClick=${() => setAllowRemote(true)}>Show remote images</button>
        </p>`
      }
      <iframe
        ref=${frame}
        title=${`Email: ${message.subject ?? 'no subject'}`}
        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
        referrerpolicy="no-referrer"
        srcdoc=${frameDocument(rendered.clean, allowRemote)}
        onLoad=${fit}
      ></iframe>
    </div>
  `;
}
