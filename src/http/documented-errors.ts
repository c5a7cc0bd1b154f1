// Every error an operation can answer, in the OpenAPI document: a route lists what only it knows
// (409, 429…); what follows from its shape — credentials, path parameters, a body, a query — is
// added here, for every route, so a new one is documented truthfully without anyone remembering to.
import type { RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { ERROR_CATALOGUE } from '../errors.ts';
import type { Auth } from './auth.ts';

/** What each error status means, for the document. */
const MEANING: Record<number, string> = {
  400: 'The request could not be read (broken JSON, a path that does not decode)',
  401: ERROR_CATALOGUE.UNAUTHORIZED.title,
  403: ERROR_CATALOGUE.FORBIDDEN.title,
  404: ERROR_CATALOGUE.NOT_FOUND.title,
  409: ERROR_CATALOGUE.CONFLICT.title,
  413: 'The body is larger than 1 MiB',
  415: 'The body is not application/json',
  422: `${ERROR_CATALOGUE.VALIDATION_FAILED.title}; the problem names the field`,
  429: ERROR_CATALOGUE.TOO_MANY_ATTEMPTS.title,
  503: `${ERROR_CATALOGUE.STORE_UNAVAILABLE.title}; Retry-After says when to try again`,
  507: `${ERROR_CATALOGUE.STORAGE_FULL.title}; Retry-After says when to try again`,
};

interface Family {
  /** The status this family answers for a /v1 status (Rinkel's API says 400 for invalid input). */
  status(status: number): number;
  entry(status: number): Record<string, unknown>;
}

const V1: Family = {
  status: (status) => status,
  entry: (status) => ({ description: MEANING[status] ?? 'Error', content: { 'application/problem+json': { schema: Type.Ref('Problem') } } }),
};

const RINKEL: Family = {
  status: (status) => (status === 422 ? 400 : status),
  entry: (status) => ({ description: status === 400 ? 'The request is not valid or could not be read (Rinkel error shape)' : `${MEANING[status] ?? 'Error'} (Rinkel error shape)`, content: { 'application/json': { schema: Type.Ref('RinkelErrors') } } }),
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The statuses a route answers because of its shape and its credentials. */
export function shapeStatuses(route: Pick<RouteOptions, 'method' | 'url' | 'schema' | 'preHandler'>, auth: Auth): number[] {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const guards = [route.preHandler ?? []].flat();
  const rinkel = route.url.startsWith('/rinkel/');
  const statuses: number[] = [];
  if (rinkel || guards.length > 0) statuses.push(401);
  const methods = [route.method].flat();
  // An API key on an operator's route, an admin where only the operator may, a plan without
  // webhooks, or a portal session without the CSRF header on a change.
  const forbids =
    rinkel ||
    guards.some((guard) => guard === auth.operator || guard === auth.orgAdmin || guard === auth.webhooksInPlan) ||
    (guards.includes(auth.org) && methods.some((method) => UNSAFE.has(method)));
  if (forbids) statuses.push(403);
  // A path that does not decode (400), an id that names nothing or is longer than any (404).
  if (route.url.includes(':')) statuses.push(400, 404);
  if (schema.params || schema.querystring) statuses.push(422);
  if (schema.body) statuses.push(400, 413, 415, 422);
  // Every route reads or writes the store: while it cannot (the database is away, the disk full).
  statuses.push(503, 507);
  return statuses;
}

/** An onRoute hook: completes each route's error responses, in its family's error document. */
export function documentErrors(auth: Auth): (route: RouteOptions) => void {
  return (route) => {
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown>; hide?: boolean }) | undefined;
    if (!schema || schema.hide) return;
    const family = route.url.startsWith('/rinkel/') ? RINKEL : V1;
    const declared = Object.keys(schema.response ?? {}).map(Number);
    const errors = new Set([...declared.filter((status) => status >= 400), ...shapeStatuses(route, auth)].map(family.status));
    const success = Object.entries(schema.response ?? {}).filter(([status]) => Number(status) < 400);
    route.schema = {
      ...schema,
      response: { ...Object.fromEntries(success), ...Object.fromEntries([...errors].sort().map((status) => [status, family.entry(status)])) },
    };
  };
}
