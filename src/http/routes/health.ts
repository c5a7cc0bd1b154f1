// Liveness, readiness and metrics for the operator's monitoring. Liveness is the process; readiness
// is whether it can take work: started, not draining, and its store takes writes.
import { Type } from 'typebox';
import { VERSION } from '../../version.ts';
import type { Api, ApiDeps } from '../app.ts';

export function healthRoutes(app: Api, deps: ApiDeps): void {
  const Health = Type.Object({ status: Type.String(), version: Type.String(), reason: Type.Optional(Type.String()) });
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness: 200 once the service is up (also while its store is unavailable)', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'starting', version: VERSION });
  });
  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: 200 while accepting work; 503 while starting, draining, or while the store cannot write', response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      if (!deps.isReady()) return reply.code(503).send({ status: 'not ready', version: VERSION, reason: 'starting or draining' });
      const problem = deps.store.health.problem();
      if (problem) return reply.code(503).send({ status: 'not ready', version: VERSION, reason: `${problem.code}: ${problem.detail}` });
      return reply.code(200).send({ status: 'ready', version: VERSION });
    },
  );
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type(deps.metrics.contentType).send(await deps.metrics.render());
  });
}
