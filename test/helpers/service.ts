// Starts the real service in-process on a loopback port, on a temporary SQLite file or a PostgreSQL
// database of its own (`backend`), and talks to it over real HTTP. The clock is injected so tests
// can move time. `BACKENDS` lists the stores behaviour suites run on (describe.each).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Mailer } from '../../src/notify/mailer.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { type Service, startService } from '../../src/service.ts';
import { FakeClock } from './fake-clock.ts';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from './postgres.ts';

export type Backend = 'sqlite' | 'postgres';

/** Every store the tests can reach: SQLite always, PostgreSQL when CALLHOOK_TEST_POSTGRES_URL is set (always in CI). */
export const BACKENDS: Backend[] = POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export const OPERATOR_TOKEN = 'cho_test-operator-token';

export interface TestService {
  service: Service;
  url: string;
  clock: FakeClock;
  dataDir: string;
  api: ApiClient;
  /** Stops the service; the data folder stays until `cleanup`. */
  stop(drainMs?: number): Promise<void>;
  /** Starts a new service on the same data folder and clock (a restart). */
  restart(): Promise<TestService>;
  cleanup(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  clock?: FakeClock;
  dataDir?: string;
  mailer?: Mailer;
  /** Run the background loops; by default tests single-step with tick(). */
  background?: boolean;
  /** The store: SQLite in the data folder (default), or a PostgreSQL database made for this service, dropped at cleanup. */
  backend?: Backend;
  /** The PostgreSQL database of a restart (it keeps its data). */
  database?: TestDatabase;
}

export async function startTestService(options: StartOptions = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'callhook-test-'));
  const clock = options.clock ?? new FakeClock();
  const database = options.database ?? (options.backend === 'postgres' ? await createTestDatabase() : undefined);
  const config = loadConfig({
    env: {
      CALLHOOK_PORT: '0',
      CALLHOOK_HOST: '127.0.0.1',
      CALLHOOK_DATA_DIR: dataDir,
      CALLHOOK_ADMIN_TOKEN: OPERATOR_TOKEN,
      CALLHOOK_ALLOW_PRIVATE_TARGETS: '1',
      CALLHOOK_HEP_PORT: '0',
      ...(database ? { CALLHOOK_DATABASE_URL: database.url } : {}),
      ...options.env,
    },
  });
  let service: Service;
  try {
    service = await startService(config, { clock, log: silentLogger(), mailer: options.mailer, background: options.background ?? false });
  } catch (error) {
    if (database && !options.database) await database.drop();
    throw error;
  }
  let stopped = false;
  const handle: TestService = {
    service,
    url: service.url,
    clock,
    dataDir,
    api: apiClient(service.url),
    async stop(drainMs = 3_000) {
      if (stopped) return;
      stopped = true;
      await service.stop({ drainMs });
    },
    async restart() {
      await handle.stop();
      return startTestService({ ...options, clock, dataDir, database });
    },
    async cleanup() {
      await handle.stop();
      rmSync(dataDir, { recursive: true, force: true });
      await database?.drop(); // a restart's cleanup drops it too: dropping twice is harmless
    },
  };
  return handle;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClient {
  request<T = any>(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string }): Promise<ApiResponse<T>>;
  get<T = any>(path: string, token?: string | null): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown, token?: string | null): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body: unknown, token?: string | null): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body: unknown, token?: string | null): Promise<ApiResponse<T>>;
  delete<T = any>(path: string, token?: string | null): Promise<ApiResponse<T>>;
}

export function apiClient(baseUrl: string): ApiClient {
  const client: ApiClient = {
    async request(method, path, options = {}) {
      const token = options.token === undefined ? OPERATOR_TOKEN : options.token;
      const headers: Record<string, string> = { ...options.headers };
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(baseUrl + path, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
      return { status: response.status, body: parsed as never, headers: response.headers };
    },
    get: (path, token) => client.request('GET', path, { token }),
    post: (path, body, token) => client.request('POST', path, { body, token }),
    patch: (path, body, token) => client.request('PATCH', path, { body, token }),
    put: (path, body, token) => client.request('PUT', path, { body, token }),
    delete: (path, token) => client.request('DELETE', path, { token }),
  };
  return client;
}

export interface OrgSetup {
  orgId: string;
  apiKey: string;
  ingestToken: string;
  connectionId: string;
}

/** An organization with a connection, an API key and the users the examples use. */
export async function setupOrg(api: ApiClient, options: { domain?: string; plan?: string; notificationEmails?: string[]; defaultCountry?: string } = {}): Promise<OrgSetup> {
  const org = await api.post('/v1/orgs', {
    name: 'New Company',
    domain: options.domain ?? `newcompany-${Math.random().toString(36).slice(2, 8)}`,
    ...(options.plan ? { plan: options.plan } : {}),
    notificationEmails: options.notificationEmails ?? ['ops@newcompany.example'],
    ...(options.defaultCountry ? { defaultCountry: options.defaultCountry } : {}),
  });
  if (org.status !== 201) throw new Error(`org: ${org.status} ${JSON.stringify(org.body)}`);
  const orgId = org.body.id as string;
  const connection = await api.post(`/v1/orgs/${orgId}/connections`, { name: 'PBX' });
  const key = await api.post(`/v1/orgs/${orgId}/api-keys`, { name: 'tests' });
  for (const user of [
    { id: '17295348437628309790', extension: '500', email: 'anna@newcompany.example', name: 'Anna' },
    { id: 'u-501', extension: '501', email: 'bob@newcompany.example', name: 'Bob' },
  ]) {
    const created = await api.post(`/v1/orgs/${orgId}/users`, user);
    if (created.status !== 201) throw new Error(`user: ${created.status} ${JSON.stringify(created.body)}`);
  }
  return { orgId, apiKey: key.body.key, ingestToken: connection.body.ingestToken, connectionId: connection.body.id };
}

/** Posts call steps with a connection's ingest token. */
export function ingest(api: ApiClient, token: string, body: unknown): Promise<ApiResponse> {
  return api.post('/v1/ingest/calls', body, token);
}
