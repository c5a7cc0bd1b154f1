// Reads configuration once at start-up: defaults ← config file ← CALLHOOK_* environment ← flags,
// into one frozen, typed object that is passed down in slices. Nothing else reads process.env.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { passwordProblem } from './password-rule.ts';
import { SETTINGS, type Plans, type Setting } from './settings.ts';

export type Role = 'all' | 'api' | 'worker' | 'hep';
export const ROLES: readonly Role[] = ['all', 'api', 'worker', 'hep'];

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize: number; connectTimeoutMs: number; queryTimeoutMs: number };

export interface Config {
  http: { host: string; port: number; publicUrl: string; trustProxy: boolean };
  dataDir: string;
  database: DatabaseConfig;
  role: Role;
  retention: { days: number };
  recordings: {
    maxBytes: number;
    linkMs: number;
    /** 0 keeps recordings for ever. */
    retentionDays: number;
    /** A folder for the files; null: the store's own (PostgreSQL) or <dataDir>/recordings (SQLite). */
    dir: string | null;
  };
  hep: { enabled: boolean; host: string; port: number; maxCallMs: number; maxBacklog: number; retryWindowMs: number; udpReceiveBufferBytes: number };
  adminToken: string | null;
  portal: { email: string; password: string | null; sessionMs: number };
  dev: boolean;
  log: { level: string };
  smtp: { url: string | null; from: string };
  delivery: {
    timeoutMs: number;
    retryScheduleS: number[];
    inFlightPerWebhook: number;
    queuedPerWebhook: number;
    responseBodyCapBytes: number;
    leaseMs: number;
    /** The longest deadline any one attempt may have: a fraction of the lease. */
    maxTimeoutMs: number;
    pollIntervalMs: number;
    /** http and private/loopback targets allowed (dev mode, or set explicitly). */
    allowPrivateTargets: boolean;
  };
  plans: Plans;
  defaultPlan: string;
}

/** How many attempt deadlines a lease spans at least. */
export const LEASE_TO_DEADLINE = 3;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** Flag values by flag name (without --), as parsed from the command line. */
  flags?: Record<string, string | boolean | undefined>;
  /** Path of a JSON config file; also CALLHOOK_CONFIG. */
  file?: string | undefined;
}

export function loadConfig(sources: ConfigSources): Config {
  const filePath = sources.file ?? sources.env.CALLHOOK_CONFIG;
  const file = filePath ? readConfigFile(filePath) : {};
  const values: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const flag = setting.flag ? sources.flags?.[setting.flag] : undefined;
    const env = sources.env[setting.env];
    let value: unknown = setting.default;
    if (file[setting.name] !== undefined) value = fromFile(setting, file[setting.name]);
    if (env !== undefined && env !== '') value = parse(setting, env, setting.env);
    if (flag !== undefined) value = typeof flag === 'boolean' ? flag : parse(setting, flag, `--${setting.flag}`);
    values[setting.name] = value;
  }
  return assemble(values);
}

function assemble(v: Record<string, unknown>): Config {
  const port = v.port as number;
  const dataDir = resolve(v.dataDir as string);
  const dev = v.dev as boolean;
  const plans = v.plans as Plans;
  const defaultPlan = v.defaultPlan as string;
  if (!plans[defaultPlan]) throw new ConfigError(`defaultPlan "${defaultPlan}" is not one of the plans (${Object.keys(plans).join(', ')})`);
  // A lease must outlast the attempts made under it, or the dispatcher would give every job up.
  if ((v.leaseMs as number) < LEASE_TO_DEADLINE * (v.deliveryTimeoutMs as number)) {
    throw new ConfigError(
      `CALLHOOK_LEASE_MS (${v.leaseMs as number}) must be at least ${LEASE_TO_DEADLINE} × CALLHOOK_DELIVERY_TIMEOUT_MS (${v.deliveryTimeoutMs as number}), so an attempt always finishes within its lease`,
    );
  }
  const database = databaseOf(v.databaseUrl as string | null, dataDir, {
    poolSize: v.databasePoolSize as number,
    connectTimeoutMs: v.databaseConnectTimeoutMs as number,
    queryTimeoutMs: v.databaseQueryTimeoutMs as number,
  });
  const role = v.role as Role;
  if (!ROLES.includes(role)) throw new ConfigError(`CALLHOOK_ROLE: must be one of ${ROLES.join(', ')} (got "${role}")`);
  const config: Config = {
    http: { host: v.host as string, port, publicUrl: ((v.publicUrl as string | null) ?? `http://localhost:${port}`).replace(/\/$/, ''), trustProxy: v.trustProxy as boolean },
    dataDir,
    database,
    role,
    retention: { days: v.retentionDays as number },
    recordings: {
      maxBytes: (v.recordingMaxMb as number) * 1_000_000,
      linkMs: (v.recordingLinkDays as number) * 86_400_000,
      retentionDays: (v.recordingRetentionDays as number | null) ?? (v.retentionDays as number),
      dir: v.recordingsDir === null ? null : resolve(v.recordingsDir as string),
    },
    hep: {
      enabled: role === 'hep' || (v.hep as boolean),
      host: (v.hepHost as string | null) ?? (v.host as string),
      port: v.hepPort as number,
      maxCallMs: (v.hepMaxCallS as number) * 1_000,
      maxBacklog: v.hepMaxBacklog as number,
      retryWindowMs: (v.hepRetryWindowS as number) * 1_000,
      udpReceiveBufferBytes: v.hepUdpReceiveBufferBytes as number,
    },
    adminToken: v.adminToken as string | null,
    portal: { email: (v.portalEmail as string).trim().toLowerCase(), password: portalPasswordOf(v.portalPassword as string | null, v.portalEmail as string), sessionMs: (v.sessionHours as number) * 3_600_000 },
    dev,
    log: { level: v.logLevel as string },
    smtp: { url: v.smtpUrl as string | null, from: v.smtpFrom as string },
    delivery: {
      timeoutMs: v.deliveryTimeoutMs as number,
      retryScheduleS: v.retryScheduleS as number[],
      inFlightPerWebhook: v.inFlightPerWebhook as number,
      queuedPerWebhook: v.queuedPerWebhook as number,
      responseBodyCapBytes: v.responseBodyCapBytes as number,
      leaseMs: v.leaseMs as number,
      maxTimeoutMs: Math.floor((v.leaseMs as number) / LEASE_TO_DEADLINE),
      pollIntervalMs: v.pollIntervalMs as number,
      allowPrivateTargets: dev || (v.allowPrivateTargets as boolean),
    },
    plans,
    defaultPlan,
  };
  return deepFreeze(config);
}

function databaseOf(url: string | null, dataDir: string, postgres: { poolSize: number; connectTimeoutMs: number; queryTimeoutMs: number }): DatabaseConfig {
  if (!url) return { kind: 'sqlite', path: resolve(dataDir, 'callhook.db') };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: resolve(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')) };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url, ...postgres };
  throw new ConfigError(`CALLHOOK_DATABASE_URL: use postgres://… or sqlite:<path> (got "${url.split(':')[0]}:")`);
}

function parse(setting: Setting, raw: string, source: string): unknown {
  const fail = (why: string) => new ConfigError(`${source}: ${why} (got "${raw}")`);
  switch (setting.type) {
    case 'string':
      return raw;
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw fail('must be true or false');
    case 'int': {
      const n = Number(raw);
      return checkRange(setting, n, fail);
    }
    case 'seconds-list': {
      const list = raw.split(',').map((part) => Number(part.trim()));
      if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw fail('must be comma-separated whole seconds ≥ 1');
      return list;
    }
    case 'json':
      try {
        return checkPlans(JSON.parse(raw), fail);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw fail('must be valid JSON');
      }
  }
}

function fromFile(setting: Setting, value: unknown): unknown {
  if (setting.type === 'json') return checkPlans(value, (why) => new ConfigError(`config file ${setting.name}: ${why}`));
  if (setting.type === 'seconds-list' && Array.isArray(value)) return parse(setting, value.join(','), `config file ${setting.name}`);
  return parse(setting, String(value), `config file ${setting.name}`);
}

function checkRange(setting: Setting, n: number, fail: (why: string) => ConfigError): number {
  if (!Number.isInteger(n)) throw fail('must be a whole number');
  if (setting.min !== undefined && n < setting.min) throw fail(`must be at least ${setting.min}`);
  if (setting.max !== undefined && n > setting.max) throw fail(`must be at most ${setting.max}`);
  return n;
}

function checkPlans(value: unknown, fail: (why: string) => ConfigError): Plans {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0) {
    throw fail('plans must be an object with at least one plan');
  }
  for (const [name, plan] of Object.entries(value)) {
    if (typeof plan !== 'object' || plan === null || typeof (plan as { webhooks?: unknown }).webhooks !== 'boolean') {
      throw fail(`plan "${name}" needs "webhooks": true or false`);
    }
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, { webhooks: boolean; description?: string }>).map(([name, plan]) => [
      name,
      { webhooks: plan.webhooks, description: plan.description ?? '' },
    ]),
  );
}

function readConfigFile(path: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    const known = new Set(SETTINGS.map((s) => s.name));
    const unknown = Object.keys(parsed).filter((key) => !known.has(key));
    if (unknown.length > 0) throw new ConfigError(`config file ${path}: unknown setting(s) ${unknown.join(', ')}`);
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`config file ${path}: ${(error as Error).message}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function portalPasswordOf(password: string | null, email: string): string | null {
  const weak = password === null ? null : passwordProblem(password, [email]);
  if (weak) throw new ConfigError(`CALLHOOK_PORTAL_PASSWORD ${weak}`);
  return password;
}
