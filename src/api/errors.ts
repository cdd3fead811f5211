// Every API error has a stable code mapped to one HTTP status here, and the
// body `{"error": {"type", "code", "message"}}` of DESIGN.md.
export const ERROR_TYPES = {
  invalid_request: 400,
  authentication_required: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  request_timeout: 408,
  precondition_failed: 412,
  uri_too_long: 414,
  unprocessable: 422,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    /** A stable, machine-readable code, e.g. `invalid_json`, `stale_draft`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.status = ERROR_TYPES[type];
  }

  toBody(): { error: { type: ErrorType; code: string; message: string } } {
    return { error: { type: this.type, code: this.code, message: this.message } };
  }
}

export const notFound = (what: string, id: string): ApiError =>
  new ApiError('not_found', 'resource_not_found', `no ${what} with id "${id}"`);
