// The API's own description: OpenAPI 3.1 generated from the route schemas at /openapi.json, with
// the outgoing webhook payloads in its `webhooks` section, and a readable page at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { EVENT_TYPES } from '../../events/catalogue.ts';
import { StandardEventSchema } from '../../formats/standard.ts';
import { VERSION } from '../../version.ts';
import type { Api, ApiDeps } from '../app.ts';

const DESCRIPTION = `callhook turns phone calls into reliable webhooks.

- **Operator** routes (organizations, connections, API keys) take the operator token.
- **Organization** routes take the organization's API key (or the operator token).
- **Ingest** takes a connection's ingest token: \`POST /v1/ingest/calls\`.
- **Rinkel-compatible** routes under \`/rinkel/v1\` take the API key in \`x-rinkel-api-key\`.

All take \`Authorization: Bearer <token>\`. Errors are \`application/problem+json\` naming the offending \`field\`.
Every webhook request carries Standard Webhooks headers (\`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\`).`;

export async function registerDocs(app: Api, deps: ApiDeps): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'callhook', version: VERSION, description: DESCRIPTION },
      servers: [{ url: deps.config.http.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Shared schemas by their own names (Problem, RinkelErrors), not def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    // A body declared Type.Optional (a bare POST is fine) is documented as optional.
    transform: ({ schema, url }) => {
      const optional = (schema as { body?: { '~optional'?: boolean } } | undefined)?.body?.['~optional'] === true;
      return { schema: optional ? ({ ...schema, 'x-body-optional': true } as typeof schema) : schema, url };
    },
    transformObject: (document) => {
      const openapiObject = 'openapiObject' in document ? document.openapiObject : document.swaggerObject;
      for (const operations of Object.values((openapiObject as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths ?? {})) {
        for (const operation of Object.values(operations)) {
          if (!operation['x-body-optional']) continue;
          delete operation['x-body-optional'];
          (operation.requestBody as { required: boolean }).required = false;
        }
      }
      return openapiObject;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => ({ ...app.swagger(), webhooks: webhookPayloads() }));
}

/** The standard format's payload per event, as OpenAPI 3.1 `webhooks`. */
function webhookPayloads(): Record<string, unknown> {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          summary: `${type} (standard format)`,
          description: 'Sent to webhooks with format `standard`. Ringotel and Rinkel formats follow their own documents.',
          requestBody: { content: { 'application/json': { schema: StandardEventSchema(type) } } },
          responses: { '200': { description: 'Any 2xx within the deadline counts as delivered.' } },
        },
      },
    ]),
  );
}


/**
 * The document as the portal's typed client is generated from it (portal/src/api/openapi.json):
 * without what depends on the instance (its address), so it is the same everywhere.
 */
export function portalOpenApi(doc: Record<string, unknown>): string {
  const { servers: _servers, ...rest } = doc;
  return JSON.stringify(rest, null, 2) + '\n';
}
