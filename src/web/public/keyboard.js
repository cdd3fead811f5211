// Keyboard first: one listener for the whole app. Keys typed into a field are
// the field's, except Escape, which leaves it.
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';

const KEYS = [
  ['j', 'Next case'],
  ['k', 'Previous case'],
  ['o', 'Open the selected case (also Enter)'],
  ['e', 'Edit the draft'],
  ['a', 'Approve the draft'],
  ['r', 'Reject the draft'],
  ['/', 'Search'],
  ['?', 'Show these keys'],
  ['Esc', 'Leave a field, close this list'],
];

function typing(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

export function useKeyboard(handlers) {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    function onKey(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === 'Escape') {
        if (typing(event.target)) event.target.blur();
        current.current.escape?.();
        return;
      }
      if (typing(event.target)) return;
      const key = event.key === 'Enter' ? 'o' : event.key;
      const handler = current.current[key];
      if (handler) {
        event.preventDefault();
        handler();
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

export function KeyHelp({ onClose }) {
  return html`
    <div class="key-help" role="dialog" aria-modal="true" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Keyboard</h2>
      <dl>
        ${KEYS.map(
          ([key, what]) =>
            html`<dt><kbd>${key}</kbd></dt>
              <dd>${what}</dd>`,
        )}
      </dl>
      <button type="button" onClick=${onClose}>Close</button>
    </div>
  `;
}
