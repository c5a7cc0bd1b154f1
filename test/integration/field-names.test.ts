// A field name is the client's text. Every route with a body names an unknown field in its answer;
// whatever the name holds (pattern syntax, a catastrophic-backtracking pattern), the answer is a
// prompt 4xx that echoes it, and the service keeps answering everyone else meanwhile.
// (The class — a RegExp built from input — is kept out by lint/callhook-rules.ts.)
// The service runs as its own process, so a stalled event loop shows as a slow /healthz here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { type ApiClient, type ApiResponse, type OrgSetup, OPERATOR_TOKEN, apiClient, setupOrg } from '../helpers/service.ts';

const HOSTILE_NAMES = ['(.*)*(.*)*(.*)*x', '(', '[', 'a)b', '$&$1\\'];
/** Far above a loopback round trip on a loaded machine; the old code held the loop ~5 s (idle machine) for one request. */
const PROMPT_MS = 3_000;

interface Route {
  method: string;
  path: string;
}

describe('hostile field names', () => {
  let serve: ServeProcess;
  let api: ApiClient;
  let org: OrgSetup;
  const dataDir = mkdtempSync(join(tmpdir(), 'callhook-field-names-'));

  beforeAll(async () => {
    serve = await startServeProcess({ env: { CALLHOOK_ADMIN_TOKEN: OPERATOR_TOKEN, CALLHOOK_DATA_DIR: dataDir, CALLHOOK_HOST: '127.0.0.1', CALLHOOK_HEP_PORT: '0', CALLHOOK_LOG_LEVEL: 'warn' } });
    api = apiClient(serve.url);
    org = await setupOrg(api);
  });
  afterAll(async () => {
    await serve?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every operation of the published API that takes a JSON body. */
  async function routesWithBody(): Promise<Route[]> {
    const spec = (await api.get('/openapi.json', null)).body as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>> };
    const routes: Route[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.requestBody?.content?.['application/json']) routes.push({ method: method.toUpperCase(), path });
      }
    }
    return routes;
  }

  /** The route called as its client would: real org id, the matching credential, a valid Rinkel event. */
  function send(route: Route, body: Record<string, unknown>): Promise<ApiResponse> {
    const path = route.path.replace('{orgId}', org.orgId).replace('{event}', 'callEnd').replaceAll(/\{[^}]+\}/g, 'x-unknown-id');
    if (path.startsWith('/rinkel/')) return api.request(route.method, path, { body, token: null, headers: { 'x-rinkel-api-key': org.apiKey } });
    return api.request(route.method, path, { body, token: path === '/v1/ingest/calls' ? org.ingestToken : OPERATOR_TOKEN });
  }

  /** problem+json names it in `errors[].field`; the Rinkel shape as `<field>: <detail>`. */
  function namesField(response: ApiResponse, name: string): boolean {
    const errors = (response.body?.errors ?? []) as Array<{ field?: string; detail?: string }>;
    return errors.some((error) => error.field === name || error.detail?.startsWith(`${name}: `) === true);
  }

  it('answers each route promptly with a 4xx that echoes the name, while /healthz keeps answering', async () => {
    const routes = await routesWithBody();
    // The published API: management, sessions, ingest and the Rinkel-compatible routes.
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const path of ['/rinkel/v1/webhooks/{event}', '/rinkel/v1/webhooks/{event}/test', '/v1/orgs/{orgId}/webhooks', '/v1/ingest/calls', '/v1/orgs']) {
      expect(routes.map((r) => r.path)).toContain(path);
    }

    // A /healthz alongside each request: a request that stalls the service's event loop stalls it too.
    const health: number[] = [];
    const timedHealth = async () => {
      const started = performance.now();
      const answer = await fetch(`${serve.url}/healthz`);
      await answer.text();
      health.push(performance.now() - started);
    };

    const slow: string[] = [];
    const wrong: string[] = [];
    for (const route of routes) {
      for (const name of HOSTILE_NAMES) {
        const started = performance.now();
        // Ingest bodies are told apart by `type`: name one, so the unknown field is what is checked.
        const [response] = await Promise.all([send(route, route.path === '/v1/ingest/calls' ? { type: 'started', [name]: 1 } : { [name]: 1 }), timedHealth()]);
        const ms = performance.now() - started;
        const label = `${route.method} ${route.path} with ${JSON.stringify(name)}`;
        if (ms > PROMPT_MS) slow.push(`${label}: ${Math.round(ms)} ms`);
        if (response.status < 400 || response.status >= 500 || !namesField(response, name)) wrong.push(`${label}: ${response.status} ${JSON.stringify(response.body)}`);
      }
    }

    expect.soft(wrong).toEqual([]);
    expect.soft(slow).toEqual([]);
    expect(health).toHaveLength(routes.length * HOSTILE_NAMES.length);
    expect.soft(Math.max(...health), `slowest /healthz of ${health.length}`).toBeLessThan(PROMPT_MS);
  });
});
