// Liveness, readiness and metrics for the operator's monitoring.
import { Type } from 'typebox';
import { VERSION } from '../../version.ts';
import type { Api, ApiDeps } from '../app.ts';

export function healthRoutes(app: Api, deps: ApiDeps): void {
  const Health = Type.Object({ status: Type.String(), version: Type.String() });
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness: 200 once the service is up', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'starting', version: VERSION });
  });
  app.get('/readyz', { schema: { tags: ['health'], summary: 'Readiness: 200 while accepting work, 503 while starting or draining', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', version: VERSION });
  });
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4').send(deps.metrics.render());
  });
}
