// API additions the portal uses that the generated schema (schema.d.ts, from openapi.json) does not
// have yet: issue 14's server side (webhook health, an organization's webhook health counts, an
// admin's password reset, a connection's ingest URL). Once `npm run docs` regenerates the schema
// with them, these become the schema's own shapes and this file can go.
export interface WebhookHealth {
  state: 'healthy' | 'failing' | 'disabled';
  /** When the current run of failures began (failing), else null. */
  failingSince: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  /** When the oldest failing delivery is tried again. */
  nextAttemptAt: string | null;
}

/** `GET /v1/orgs/{orgId}`: how many of the organization's webhooks are failing or disabled. */
export interface OrgWebhookHealth {
  failing: number;
  disabled: number;
}

/** Operations not in `paths` yet, in openapi-typescript's shape so the typed client takes them. */
export interface PendingPaths {
  '/v1/accounts/{accountId}/reset-password': {
    parameters: { query?: never; header?: never; path: { accountId: string }; cookie?: never };
    get?: never;
    put?: never;
    post: {
      parameters: { query?: never; header?: never; path: { accountId: string }; cookie?: never };
      requestBody?: never;
      responses: {
        /** The new password, shown this once. */
        200: { headers: { [name: string]: unknown }; content: { 'application/json': { password: string } } };
        default: { headers: { [name: string]: unknown }; content: { 'application/problem+json': unknown } };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
