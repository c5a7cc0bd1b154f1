import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.ts';
import { renderSettingsTable } from './settings.ts';
import { renderConfigDoc } from './config-doc.ts';

describe('configuration', () => {
  it('has defaults that start a local instance: port 8080, embedded store in ./data, hourly retries for 24 h', () => {
    const config = loadConfig({ env: {} });
    expect(config.http).toMatchObject({ port: 8080, host: '127.0.0.1', publicUrl: 'http://localhost:8080' });
    expect(config.database).toEqual({ kind: 'sqlite', path: join(process.cwd(), 'data', 'callhook.db') });
    expect(config.role).toBe('all');
    expect(config.delivery).toMatchObject({ timeoutMs: 2_000, allowPrivateTargets: false });
    expect(config.delivery.retryScheduleS).toEqual(Array.from({ length: 24 }, () => 3_600));
    expect(Object.entries(config.plans).map(([name, plan]) => [name, plan.webhooks])).toEqual([['expert', true], ['basic', false]]);
    expect(Object.isFrozen(config.delivery)).toBe(true);
  });

  it('reads a file, then CALLHOOK_* variables, then flags, each winning over the one before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhook-config-'));
    const file = join(dir, 'callhook.json');
    writeFileSync(file, JSON.stringify({ port: 7000, logLevel: 'debug', retryScheduleS: [5, 10], plans: { gold: { webhooks: true } }, defaultPlan: 'gold' }));
    const config = loadConfig({ file, env: { CALLHOOK_PORT: '7100', CALLHOOK_PUBLIC_URL: 'https://hooks.example.com/' }, flags: { port: '7200' } });
    expect(config.http.port).toBe(7200);
    expect(config.http.publicUrl).toBe('https://hooks.example.com');
    expect(config.log.level).toBe('debug');
    expect(config.delivery.retryScheduleS).toEqual([5, 10]);
    expect(config.defaultPlan).toBe('gold');
  });

  it('selects PostgreSQL by URL, SQLite otherwise, and takes a role', () => {
    expect(loadConfig({ env: { CALLHOOK_DATABASE_URL: 'postgres://cb@db:5432/callhook', CALLHOOK_DATABASE_POOL_SIZE: '20' } }).database).toEqual({
      kind: 'postgres', url: 'postgres://cb@db:5432/callhook', poolSize: 20, connectTimeoutMs: 5_000, queryTimeoutMs: 10_000,
    });
    const timed = loadConfig({ env: { CALLHOOK_DATABASE_URL: 'postgres://db/callhook', CALLHOOK_DATABASE_CONNECT_TIMEOUT_MS: '1500', CALLHOOK_DATABASE_QUERY_TIMEOUT_MS: '3000' } }).database;
    expect(timed).toMatchObject({ connectTimeoutMs: 1_500, queryTimeoutMs: 3_000 });
    expect(() => loadConfig({ env: { CALLHOOK_DATABASE_QUERY_TIMEOUT_MS: '0' } })).toThrow(/CALLHOOK_DATABASE_QUERY_TIMEOUT_MS: must be at least 100/);
    expect(loadConfig({ env: { CALLHOOK_DATABASE_URL: 'sqlite:/var/lib/callhook/db.sqlite' } }).database).toEqual({ kind: 'sqlite', path: '/var/lib/callhook/db.sqlite' });
    expect(loadConfig({ env: {}, flags: { role: 'worker' } }).role).toBe('worker');
    expect(loadConfig({ env: {} }).retention.days).toBe(30);
  });

  it('lets development mode open http and private targets', () => {
    expect(loadConfig({ env: { CALLHOOK_DEV: '1' } }).delivery.allowPrivateTargets).toBe(true);
    expect(loadConfig({ env: {}, flags: { dev: true } }).delivery.allowPrivateTargets).toBe(true);
    expect(loadConfig({ env: { CALLHOOK_ALLOW_PRIVATE_TARGETS: 'true' } }).delivery.allowPrivateTargets).toBe(true);
  });

  it.each([
    [{ CALLHOOK_PORT: 'eighty' }, 'CALLHOOK_PORT'],
    [{ CALLHOOK_PORT: '70000' }, 'CALLHOOK_PORT'],
    [{ CALLHOOK_DEV: 'maybe' }, 'CALLHOOK_DEV'],
    [{ CALLHOOK_RETRY_SCHEDULE_S: '60,soon' }, 'CALLHOOK_RETRY_SCHEDULE_S'],
    [{ CALLHOOK_PLANS: '{"gold": {}}' }, 'CALLHOOK_PLANS'],
    [{ CALLHOOK_DEFAULT_PLAN: 'platinum' }, 'platinum'],
    [{ CALLHOOK_DATABASE_URL: 'mysql://x' }, 'CALLHOOK_DATABASE_URL'],
    [{ CALLHOOK_LEASE_MS: '5000', CALLHOOK_DELIVERY_TIMEOUT_MS: '2000' }, 'CALLHOOK_LEASE_MS'],
    [{ CALLHOOK_ROLE: 'hep-and-more' }, 'CALLHOOK_ROLE'],
    [{ CALLHOOK_PORTAL_PASSWORD: 'abc' }, 'CALLHOOK_PORTAL_PASSWORD'],
    [{ CALLHOOK_PORTAL_PASSWORD: 'password1234' }, 'CALLHOOK_PORTAL_PASSWORD is too easy to guess'],
    [{ CALLHOOK_PORTAL_EMAIL: 'anna.jansen@example.com', CALLHOOK_PORTAL_PASSWORD: 'annajansen' }, 'It contains your e-mail'],
  ])('refuses %o with an error naming it', (env, named) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(named);
  });

  it('is documented in docs/configuration.md exactly as `callhook serve --help` prints it', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc, 'docs/configuration.md is stale: run npm run docs').toBe(renderConfigDoc());
    expect(doc).toContain(renderSettingsTable());
  });
});
