// Expected failures are typed values with a stable code. The HTTP layer maps them to problem+json
// in one place (http/problem.ts); nothing below it knows about status codes' wording.

export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 422, title: 'The request is not valid' },
  MALFORMED_REQUEST: { status: 400, title: 'The request could not be read' },
  UNAUTHORIZED: { status: 401, title: 'Missing or unknown credentials' },
  FORBIDDEN: { status: 403, title: 'Not allowed with these credentials' },
  PLAN_LACKS_WEBHOOKS: { status: 403, title: "The organization's plan does not include webhooks" },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflicts with the current state' },
  CALL_STATE_CONFLICT: { status: 409, title: "The step contradicts the call's state" },
  TARGET_NOT_ALLOWED: { status: 422, title: 'The webhook URL is not an allowed target' },
  WEBHOOK_DISABLED: { status: 409, title: 'The webhook is disabled' },
  DELIVERY_BUSY: { status: 409, title: 'The delivery is being attempted right now' },
  TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many attempts; wait before trying again' },
  RECORDING_TOO_LARGE: { status: 413, title: 'The recording is larger than this instance takes' },
  NOT_AUDIO: { status: 415, title: 'The body is not audio callhook knows (WAV, MP3, Ogg, FLAC, WebM, M4A)' },
  LINK_NOT_VALID: { status: 403, title: 'The recording link has expired or is not valid' },
  RECORDING_GONE: { status: 410, title: 'The recording was purged' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'The range is outside the recording' },
  // The store cannot take the request now (database unreachable, refusing or too slow; disk full):
  // nothing was applied, and the same request later will be. Answered with Retry-After.
  STORE_UNAVAILABLE: { status: 503, title: 'The store is unavailable; try again shortly', retryAfterS: 5 },
  STORAGE_FULL: { status: 507, title: 'The store is out of space; try again later', retryAfterS: 30 },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string; retryAfterS?: number }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface FieldError {
  /** Where in the input, e.g. `steps[1].topics` or `url`. */
  field: string;
  detail: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly field: string | undefined;
  readonly errors: FieldError[];
  readonly extra: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { field?: string; errors?: FieldError[]; extra?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.code = code;
    this.detail = detail;
    this.field = options.field ?? options.errors?.[0]?.field;
    this.errors = options.errors ?? (options.field ? [{ field: options.field, detail }] : []);
    this.extra = options.extra ?? {};
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

export function invalid(field: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: ${detail}`, { field });
}

/** A failure of the store itself (not of the request): the caller may try again later. */
export function isStoreFailure(error: unknown): error is AppError {
  return error instanceof AppError && (error.code === 'STORE_UNAVAILABLE' || error.code === 'STORAGE_FULL');
}

export function notFound(what: string, id: string): AppError {
  return new AppError('NOT_FOUND', `${what} ${id} does not exist`, { extra: { id } });
}
