// The sign-in form: email and password, posted as JSON to POST /v1/sessions.
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './html.js';

export function SignIn({ onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api('/v1/sessions', { method: 'POST', body: { email, password } }));
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <main class="sign-in">
      <h1>Postroom</h1>
      <form onSubmit=${submit} aria-describedby=${error ? 'sign-in-error' : undefined}>
        <label for="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value=${email}
          onInput=${(e) => setEmail(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)}
        />
        ${error && html`<p id="sign-in-error" class="error" role="alert">${error}</p>`}
        <button type="submit" disabled=${busy}>Sign in</button>
      </form>
    </main>
  `;
}
