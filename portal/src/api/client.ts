// The typed API client. The portal is a client of callhook's public API like any other: the
// session cookie rides along (same origin), and every request carries `x-callhook-portal: 1`,
// the CSRF guard the server demands on changes made with a session (portal/README.md).
import createClient from 'openapi-fetch';
import type { PendingPaths } from './pending';
import type { paths } from './schema';

export const api = createClient<paths & PendingPaths>({
  baseUrl: '',
  credentials: 'same-origin',
  headers: { 'x-callhook-portal': '1' },
});

/** Fired when the API says the session is gone (expired, signed out elsewhere): back to sign-in. */
export const SIGNED_OUT_EVENT = 'callhook:signed-out';

api.use({
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.endsWith('/v1/session')) {
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    return undefined;
  },
});

/** An API error as the screens show it: a headline, a sentence, and messages by field. */
export interface Problem {
  status: number;
  type: string;
  title: string;
  detail: string;
  /** Message per field, keyed by the field's path as the form names it (`url`, `hep.captureId`). */
  fieldErrors: Record<string, string>;
  /** Seconds to wait (429). */
  retryAfterS: number | null;
}

export type Result<T> = { ok: true; data: T } | { ok: false; problem: Problem };

/**
 * Turns problem+json into a Problem. The server names fields as `url`, `operatingHours.mon[0]`,
 * `query.limit`, or `(body)` for the whole body (src/json-schema.ts); older or other producers may
 * use JSON pointers (`/url`, `body/url`), so those are normalised to the dotted form too.
 */
export function toProblem(body: unknown, response: Response | null): Problem {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const status = response?.status ?? 0;
  const fieldErrors: Record<string, string> = {};
  const add = (field: unknown, message: unknown) => {
    if (typeof field !== 'string' || typeof message !== 'string') return;
    const key = normaliseField(field);
    if (key && !(key in fieldErrors)) fieldErrors[key] = humanise(message, key);
  };
  if (Array.isArray(b.errors)) {
    for (const e of b.errors as Array<Record<string, unknown>>) add(e.field ?? e.path ?? e.pointer, e.detail ?? e.message);
  }
  if (typeof b.field === 'string' && Object.keys(fieldErrors).length === 0) add(b.field, b.detail);
  const header = response?.headers.get('retry-after');
  const retryAfterS = typeof b.retryAfterS === 'number' ? b.retryAfterS : header && /^\d+$/.test(header) ? Number(header) : null;
  return {
    status,
    type: typeof b.type === 'string' ? b.type : '',
    title: typeof b.title === 'string' ? b.title : status ? `The server answered ${status}` : 'No answer from the server',
    detail: typeof b.detail === 'string' ? b.detail : typeof body === 'string' && body ? body : '',
    fieldErrors,
    retryAfterS,
  };
}

/**
 * Validation messages in plain words: the server's come from JSON Schema ("must match pattern
 * \"^…$\"") and sometimes start with the field's own name, which the form already shows.
 */
export function humanise(message: string, field: string): string {
  let m = message.trim();
  const last = field.split(/[.[]/)[0] ?? '';
  if (last && m.startsWith(`${last}: `)) m = m.slice(last.length + 2);
  if (last && m.startsWith(`${last} `)) m = m.slice(last.length + 1);
  m = m
    .replace(/^must match pattern .*$/, 'is not in the expected format')
    .replace(/^must match format "email"$/, 'is not a valid e-mail address')
    .replace(/^must match format "date-time"$/, 'is not a valid date and time')
    .replace(/^must match format "uri"$/, 'is not a valid URL')
    .replace(/^must NOT have fewer than 1 characters$/, 'is required')
    .replace(/^must NOT have fewer than (\d+) characters$/, 'must be at least $1 characters long')
    .replace(/^must NOT have more than (\d+) characters$/, 'must be at most $1 characters long')
    .replace(/^must be integer$/, 'must be a whole number')
    .replace(/^must NOT have duplicate items.*$/, 'has the same entry twice');
  return m.charAt(0).toUpperCase() + m.slice(1);
}

export function normaliseField(field: string): string {
  let f = field.trim().replace(/^#/, '').replace(/^\//, '').replace(/^body[./]/, '');
  if (f.startsWith('(')) return ''; // "(body)", "(content-type)": not one field
  f = f.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replaceAll('/', '.');
  return f;
}

/**
 * Runs an openapi-fetch call and answers a Result: data on 2xx, a Problem otherwise — also when
 * the network failed, so screens have one kind of error to show.
 */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Result<T>> {
  try {
    const { data, error, response } = await request;
    if (response.ok) return { ok: true, data: data as T };
    return { ok: false, problem: toProblem(error, response) };
  } catch (err) {
    return {
      ok: false,
      problem: {
        status: 0,
        type: 'network',
        title: 'Could not reach callhook',
        detail: err instanceof Error ? err.message : String(err),
        fieldErrors: {},
        retryAfterS: null,
      },
    };
  }
}

/** The organization's plan leaves webhooks out (403 PLAN_LACKS_WEBHOOKS, src/tenancy/plans.ts). */
export function isPlanLacksWebhooks(problem: Problem | null | undefined): boolean {
  return !!problem && problem.status === 403 && problem.type.endsWith('/plan-lacks-webhooks');
}

/** Fields of `problem` none of `shown` covers: these go to the banner instead of a field. */
export function unclaimedErrors(problem: Problem, shown: readonly string[]): Array<[string, string]> {
  return Object.entries(problem.fieldErrors).filter(([field]) => !shown.some((s) => field === s || field.startsWith(`${s}.`) || field.startsWith(`${s}[`)));
}

/**
 * The message for `field`, or for an item inside it (`notificationEmails[1]` → "entry 2: …"), so a
 * list edited in one textarea still shows which line is wrong.
 */
export function fieldError(problem: Problem | null, field: string): string | undefined {
  if (!problem) return undefined;
  const exact = problem.fieldErrors[field];
  if (exact) return exact;
  for (const [key, message] of Object.entries(problem.fieldErrors)) {
    if (!key.startsWith(`${field}[`) && !key.startsWith(`${field}.`)) continue;
    const rest = key.slice(field.length);
    const index = /^\[(\d+)\]/.exec(rest);
    const lower = message.charAt(0).toLowerCase() + message.slice(1);
    return index ? `Entry ${Number(index[1]) + 1}: ${lower}` : `${rest.replace(/^\./, '')}: ${lower}`;
  }
  return undefined;
}
