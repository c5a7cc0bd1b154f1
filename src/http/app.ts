// The HTTP app: Fastify with TypeBox schemas (validation, types and OpenAPI from one source),
// strict bodies, problem+json errors, and one route file per resource.
import cookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/load.ts';
import type { Dispatcher } from '../delivery/dispatcher.ts';
import type { WebhookChanges } from '../delivery/webhook-changes.ts';
import type { Sender } from '../delivery/sender.ts';
import type { TargetPolicy } from '../delivery/target-guard.ts';
import { coercingAjv, strictAjv } from '../json-schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Ingest } from '../sources/ingest/ingest.ts';
import type { LinkSigner } from '../recordings/link-signer.ts';
import type { RecordingIntake } from '../recordings/recording-intake.ts';
import type { RecordingStore } from '../recordings/recording-store.ts';
import type { Store } from '../store/store.ts';
import type { Account } from '../tenancy/account.ts';
import type { Auth } from './auth.ts';
import { ProblemSchema, RinkelErrorsSchema } from './common.ts';
import { documentErrors } from './documented-errors.ts';
import { answerClientError, notFoundHandler, problemHandler } from './problem.ts';
import { refuseNul } from './nul-guard.ts';
import { securityHeaders } from './security-headers.ts';
import { registerDocs } from './routes/docs.ts';
import { accountRoutes } from './routes/accounts.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { callRoutes } from './routes/calls.ts';
import { connectionRoutes } from './routes/connections.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { numberRoutes } from './routes/numbers.ts';
import { orgRoutes } from './routes/orgs.ts';
import { outcomeRuleRoutes } from './routes/outcome-rules.ts';
import { planRoutes } from './routes/plans.ts';
import { portalRoutes } from './routes/portal.ts';
import { recordingRoutes } from './routes/recordings.ts';
import { rinkelErrors, rinkelRoutes } from './routes/rinkel.ts';
import { sessionRoutes } from './routes/session.ts';
import { userRoutes } from './routes/users.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface ApiDeps {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  auth: Auth;
  ingest: Ingest;
  recordings: { intake: RecordingIntake; blobs: RecordingStore; signer: LinkSigner; maxBytes: number };
  dispatcher: Dispatcher;
  /** Webhook and organization changes, answered once every process acted on them. */
  webhookChanges: WebhookChanges;
  sender: Sender;
  targetPolicy: TargetPolicy;
  /** This process's lease owner id. */
  owner: string;
  /** An account set a new password (the first operator's generated one is then forgotten). */
  passwordChanged(account: Account): void;
  /** A worker serves only health and metrics. */
  routes: 'all' | 'health';
  isReady(): boolean;
}

export async function buildApp(deps: ApiDeps): Promise<Api> {
  const harden = securityHeaders({ publicUrl: deps.config.http.publicUrl });
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Quiet hot path: no log line per request; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
    trustProxy: deps.config.http.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // HTTP too broken to route (headers over the limit) and the router's own refusals (a path that
    // is not valid percent-encoding, a path parameter longer than any id): in the same shape as
    // every other error, not Fastify's.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, request, reply) => {
      harden(request, reply);
      (request.url.startsWith('/rinkel/') ? rinkelErrors : problemHandler)(error, request, reply);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('principal', null);
  app.decorateRequest('org', null);
  app.decorateRequest('connection', null);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // The ingest body is validated step by step in its handler, for errors that name the step.
    if ((schema as { 'x-validated-by'?: string })['x-validated-by'] === 'handler') return () => true;
    if (httpPart !== 'body') return coercingAjv.compile(schema);
    const validate = strictAjv.compile(schema);
    // `body: Type.Optional(…)` routes also take a bare POST without a body.
    if (!(schema as { '~optional'?: boolean })['~optional']) return validate;
    const optional = Object.assign(
      (data: unknown) => {
        if (data === undefined || data === null) return true;
        const valid = validate(data);
        optional.errors = validate.errors; // Fastify reads the errors off the function it called
        return valid;
      },
      { errors: null as typeof validate.errors },
    );
    return optional;
  });
  // Response schemas document the API; bodies are plain JSON of what the handler returns.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // `curl -H 'Content-Type: application/json' -X POST …/enable` sends that header with no body:
  // treat it as no body (a route that needs one still says so) rather than as broken JSON.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Bodies are JSON only: anything else is 415 (Fastify would otherwise read text/plain as a string).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    return parseJson(request, body as string, done);
  });
  app.addHook('onSend', async (request, reply) => harden(request, reply));
  app.addHook('preValidation', refuseNul);
  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addSchema(ProblemSchema);
  app.addSchema(RinkelErrorsSchema);

  healthRoutes(app, deps);
  if (deps.routes === 'health') return app;
  app.addHook('onRoute', documentErrors(deps.auth));
  await app.register(cookie);
  await registerDocs(app, deps);
  await portalRoutes(app);
  sessionRoutes(app, deps);
  accountRoutes(app, deps);
  orgRoutes(app, deps);
  planRoutes(app, deps);
  connectionRoutes(app, deps);
  apiKeyRoutes(app, deps);
  userRoutes(app, deps);
  numberRoutes(app, deps);
  webhookRoutes(app, deps);
  callRoutes(app, deps);
  deliveryRoutes(app, deps);
  notificationRoutes(app, deps);
  outcomeRuleRoutes(app, deps);
  ingestRoutes(app, deps);
  recordingRoutes(app, deps);
  await app.register(async (scope) => rinkelRoutes(scope as Api, deps), { prefix: '/rinkel/v1' });
  return app;
}
