// The ingest API: a phone system posts call steps with its connection's token. 202 = stored.
import { IngestBodySchema, IngestResultSchema } from '../../sources/ingest/schema.ts';
import type { Api, ApiDeps } from '../app.ts';
import { problems } from '../common.ts';

export function ingestRoutes(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/ingest/calls',
    {
      preHandler: deps.auth.connection,
      schema: {
        tags: ['ingest'],
        summary: 'Post call steps (one, or a batch applied all or nothing)',
        description:
          '202 means durably stored. The same step twice is idempotent. A step that contradicts the call (answered before started, a second different end…) is 409; bad input is 422; both name the field, and nothing of the request is applied.',
        body: IngestBodySchema,
        response: { 202: IngestResultSchema, ...problems(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const result = await deps.ingest.accept(request.org!, request.connection!, request.body);
      return reply.code(202).send(result);
    },
  );
}

