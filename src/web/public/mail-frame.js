// An HTML mail, shown safely. The server sanitizes it (GET .../safe-html: no
// scripts, no event handlers, no javascript: links, no forms, remote images
// left out until the reader asks for them), so the hostile original never
// reaches the browser's parser. It is shown in an iframe sandboxed without
// allow-scripts, whose own policy allows no script and no remote request
// unless remote images were chosen.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc } from './api.js';
import { html } from './html.js';

function frameDocument(clean, showRemote) {
  const origin = location.origin;
  const images = showRemote ? `${origin} data: https: http:` : `${origin} data:`;
  const policy = `default-src 'none'; img-src ${images}; style-src 'unsafe-inline'`;
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${policy}"><meta name="referrer" content="no-referrer"><style>body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#111;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style></head><body>${clean}</body></html>`;
}

export function MailFrame({ message }) {
  const [safe, setSafe] = useState(null);
  const [error, setError] = useState(null);
  const [showRemote, setShowRemote] = useState(false);
  const frame = useRef(null);

  useEffect(() => {
    const mode = showRemote ? 'show' : 'block';
    api(`/v1/messaging/messages/${enc(message.id)}/safe-html?remote_images=${mode}`).then(
      setSafe,
      (failure) => setError(failure.message),
    );
  }, [message.id, showRemote]);

  function fit() {
    const doc = frame.current?.contentDocument;
    if (doc?.documentElement)
      frame.current.style.height = `${Math.min(doc.documentElement.scrollHeight + 16, 2000)}px`;
  }

  if (error) return html`<p class="error">The HTML of this mail could not be shown: ${error}</p>`;
  if (!safe) return html`<p class="muted">Loading the mail…</p>`;
  return html`
    <div class="mail-frame">
      ${
        safe.remote_images_blocked > 0 &&
        !showRemote &&
        html`<p class="notice">
          Remote images are blocked (${safe.remote_images_blocked}).
          <button type="button" onClick=${() => setShowRemote(true)}>Show remote images</button>
        </p>`
      }
      <iframe
        ref=${frame}
        title=${`Email: ${message.subject ?? 'no subject'}`}
        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
        referrerpolicy="no-referrer"
        srcdoc=${frameDocument(safe.html, showRemote)}
        onLoad=${fit}
      ></iframe>
    </div>
  `;
}
