// Errors that fastify and Node's HTTP parser produce before (or instead of) a
// route, mapped to the API's own `{"error": {type, code, message}}` shape with
// stable codes. Messages name the limit, never echo the offending input (an
// 8,000-character id, a 60 KB header).
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { InvalidCursorError } from '../store/index.ts';
import { ApiError } from './errors.ts';
import { BODY_LIMIT_BYTES, MAX_HEADER_BYTES, MAX_PARAM_LENGTH } from './request-limits.ts';

const INTERNAL = (): ApiError =>
  new ApiError(
    'internal',
    'internal_error',
    'an internal error occurred; the request id is in the x-request-id header',
  );

/** Any error a request ended with, as the API error to answer. */
export function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof InvalidCursorError) {
    return new ApiError('invalid_request', error.code, `query.after/before: ${error.message}`);
  }
  switch (error.code) {
    // Raised by the router, before any route: see `frameworkErrors` in app.ts.
    case 'FST_ERR_BAD_URL':
      return new ApiError(
        'invalid_request',
        'invalid_url',
        'the request path is not valid percent-encoded UTF-8',
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError(
        'uri_too_long',
        'path_parameter_too_long',
        `a path parameter is longer than ${MAX_PARAM_LENGTH} characters (no id is that long)`,
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(
        'invalid_request',
        'invalid_content_length',
        'the request body does not match its Content-Length header',
      );
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return INTERNAL();
  }
  // Fastify's own client errors (bad JSON, wrong content type, body too large...).
  const status = error.statusCode ?? 500;
  if (status === 413)
    return new ApiError(
      'invalid_request',
      'body_too_large',
      `the request body exceeds ${BODY_LIMIT_BYTES} bytes`,
    );
  if (status === 415)
    return new ApiError(
      'invalid_request',
      'unsupported_media_type',
      'send JSON with "Content-Type: application/json"',
    );
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new ApiError(
      'invalid_request',
      'invalid_json',
      `the request body is not valid JSON: ${error.message}`,
    );
  }
  if (status >= 400 && status < 500)
    return new ApiError('invalid_request', 'bad_request', error.message);
  return INTERNAL();
}

/**
 * What Node's HTTP parser refused, as an API error (Node's own statuses: 431 for
 * headers over the limit, 408 for a request not received in time, 400 for the rest).
 */
export function clientErrorOf(error: Error & { code?: string }): ApiError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError(
        'headers_too_large',
        'headers_too_large',
        `the request line and headers exceed ${MAX_HEADER_BYTES} bytes`,
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(
        'request_timeout',
        'request_timeout',
        'the request was not received in time',
      );
    default:
      return new ApiError(
        'invalid_request',
        'malformed_request',
        `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`,
      );
  }
}

/**
 * fastify's `clientErrorHandler`: these errors happen before there is a request
 * or a reply, so the response is written to the socket by hand, then it is closed
 * (the parser cannot read on after an error).
 */
export function clientErrorHandler(logger: Logger) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    // The client went away: nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const apiError = clientErrorOf(error);
    const requestId = randomUUID();
    logger.info(
      { code: apiError.code, status: apiError.status, reqId: requestId, parser: error.code },
      apiError.message,
    );
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(apiError.toBody());
    const head = [
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status] ?? 'Error'}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      'connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
  };
}
