// Calls to the API at /v1 with the session cookie. State-changing calls carry
// the session's CSRF token (the server refuses them without it).
let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

/** An API error: the `{error: {type, code, message}}` body and the status. */
export class ApiFailure extends Error {
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.type = error.type;
    this.code = error.code;
  }
}

export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...headers },
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  if (method !== 'GET' && csrfToken) init.headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiFailure(
      response.status,
      json?.error ?? { type: 'internal', code: 'unexpected_response', message: text.slice(0, 200) },
    );
  }
  return json;
}

export const enc = encodeURIComponent;
