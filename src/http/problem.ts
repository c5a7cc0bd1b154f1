// The one place where errors become HTTP answers: application/problem+json with a stable `type`,
// a human `detail` and the offending `field` (RFC 9457).
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CATALOGUE, type ErrorCode, type FieldError } from '../errors.ts';
import { fieldErrors } from '../json-schema.ts';

export const PROBLEM_BASE = 'https://callhook.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

/** Any thrown value as an AppError: ours as they are, Fastify's mapped by what they mean. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const err = error as FastifyError & { validationContext?: string };
  if (err.validation) {
    const prefix = err.validationContext === 'body' ? '' : (err.validationContext ?? '');
    const errors = fieldErrors(err.validation as never, prefix === 'querystring' ? 'query' : prefix === 'params' ? 'path' : prefix);
    const first = errors[0] ?? { field: '(body)', detail: err.message };
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    return new AppError('VALIDATION_FAILED', `${first.field} ${first.detail}${more}`, { errors });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('MALFORMED_REQUEST', `The body is not valid JSON: ${err.message}`, { field: '(body)' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('MALFORMED_REQUEST', 'Send the body as application/json', { field: '(content-type)', extra: { status: 415 } });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('MALFORMED_REQUEST', 'The body is too large', { field: '(body)', extra: { status: 413 } });
    case 'FST_ERR_BAD_URL':
      return new AppError('MALFORMED_REQUEST', 'The path is not valid: a %-escape in it does not decode', { field: '(path)' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // No id is that long, so nothing it could name exists.
      return new AppError('NOT_FOUND', 'Nothing here has an id that long: a path parameter is longer than 100 characters', { field: '(path)' });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError('MALFORMED_REQUEST', err.message, { extra: { status: err.statusCode } });
  }
  return new AppError('INTERNAL', 'Something went wrong on our side; the error is logged.');
}

export function problemOf(error: AppError): Problem {
  const status = typeof error.extra.status === 'number' ? error.extra.status : error.status;
  const problem: Problem = {
    type: PROBLEM_BASE + error.code.toLowerCase().replaceAll('_', '-'),
    title: ERROR_CATALOGUE[error.code].title,
    status,
    detail: error.detail,
  };
  if (error.field) problem.field = error.field;
  if (error.errors.length > 0) problem.errors = error.errors;
  return problem;
}

/** Seconds to wait before trying again: the error's own, else its code's (store failures); null when retrying will not help. */
export function retryAfterOf(error: AppError): number | null {
  if (typeof error.extra.retryAfterS === 'number') return error.extra.retryAfterS;
  const entry = ERROR_CATALOGUE[error.code];
  return 'retryAfterS' in entry ? entry.retryAfterS : null;
}

/** Sets Retry-After when the error has one; answers it. Both error shapes (problem+json, Rinkel's) use it. */
export function setRetryAfter(error: AppError, reply: FastifyReply): number | null {
  const retryAfterS = retryAfterOf(error);
  if (retryAfterS !== null) void reply.header('retry-after', String(retryAfterS));
  return retryAfterS;
}

export function problemHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error);
  logServerError(appError, error, request);
  const problem = problemOf(appError);
  const retryAfterS = setRetryAfter(appError, reply);
  if (retryAfterS !== null) problem.retryAfterS = retryAfterS;
  void reply.code(problem.status).type('application/problem+json').send(problem);
}

/** A bug goes to the log here; a store failure was already logged where the store noticed it. */
export function logServerError(appError: AppError, error: unknown, request: FastifyRequest): void {
  if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  problemHandler(new AppError('NOT_FOUND', `There is no ${request.method} ${request.url.split('?')[0]}; see /docs for the API`), request, reply);
}

export function errorCodeOf(error: unknown): ErrorCode {
  return toAppError(error).code;
}

/**
 * HTTP that cannot be parsed (headers over the size limit, a timeout, garbage) never reaches
 * Fastify's routing: answered on the socket, as problem+json with the nosniff header like any other.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'The request took too long to arrive'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'The request line and headers are larger than 16 KiB'] : [400, 'The request is not valid HTTP'];
  const body = JSON.stringify({ ...problemOf(new AppError('MALFORMED_REQUEST', detail)), status });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
