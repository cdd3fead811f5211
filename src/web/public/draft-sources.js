// Where the draft's claims come from, for the approver: the knowledge
// passages it cites ([K1] in the text, with the document's title and the kind
// of source), and the language the agent was told to reply in (from its run),
// so a reply in the wrong language or with an unsupported claim is caught
// before it is sent.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from './api.js';
import { html } from './html.js';

const SOURCES = {
  folder: 'knowledge folder',
  upload: 'uploaded document',
  reply: 'past approved reply',
};

const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });

function languageName(code) {
  try {
    return languageNames.of(code) ?? code;
  } catch {
    return code;
  }
}

export function DraftSources({ draft }) {
  const [language, setLanguage] = useState(null);
  const complete = draft.streaming_state === 'complete';
  useEffect(() => {
    setLanguage(null);
    if (!draft.agent_run_id || !complete) return;
    let live = true;
    api(`/v1/agent-runs/${enc(draft.agent_run_id)}`)
      .then((run) => live && setLanguage(run.language ?? null))
      .catch(() => live && setLanguage(null));
    return () => {
      live = false;
    };
  }, [draft.agent_run_id, complete]);
  const citations = draft.citations ?? [];
  if (!language && citations.length === 0) return null;
  return html`<div class="draft-sources">
    ${
      language &&
      html`<p class="draft-language" data-language=${language}>
        Reply language: <strong>${languageName(language)}</strong> (${language})
      </p>`
    }
    ${
      citations.length > 0 &&
      html`<details open>
        <summary>Sources cited (${citations.length})</summary>
        <ul class="citations">
          ${citations.map(
            (c) =>
              html`<li key=${c.label} data-passage-id=${c.passage_id}>
                <span class="badge">${c.label}</span> ${c.title}
                <span class="muted"> — ${SOURCES[c.source] ?? c.source}</span>
              </li>`,
          )}
        </ul>
      </details>`
    }
  </div>`;
}
