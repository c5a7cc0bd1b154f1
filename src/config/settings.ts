// Every setting in one place: its environment variable, its `serve` flag, its default and what it
// does. `callhook serve --help` and docs/configuration.md are rendered from this list.

/** The seeds' retry policy: once an hour for 24 hours after the first attempt. */
export const HOURLY_FOR_A_DAY_S: readonly number[] = Array.from({ length: 24 }, () => 3_600);

/** A plan: whether its organizations get webhooks at all. */
export interface Plan {
  webhooks: boolean;
  description: string;
}

export type Plans = Readonly<Record<string, Plan>>;

export type SettingType = 'string' | 'int' | 'bool' | 'seconds-list' | 'json';

export interface Setting {
  /** Name in a config file (CALLHOOK_CONFIG) and in errors. */
  name: string;
  env: string;
  /** `serve` flag; secrets have none (a flag shows up in `ps`). */
  flag?: string;
  type: SettingType;
  /** null = unset. */
  default: string | number | boolean | number[] | object | null;
  description: string;
  min?: number;
  max?: number;
}

export const DEFAULT_PLANS = {
  expert: { webhooks: true, description: 'Webhooks included (the seeds’ "Expert plan").' },
  basic: { webhooks: false, description: 'No webhooks: call events are recorded, not delivered.' },
};

export const SETTINGS: readonly Setting[] = [
  { name: 'port', env: 'CALLHOOK_PORT', flag: 'port', type: 'int', default: 8080, min: 0, max: 65_535, description: 'HTTP port of the API, ingest and docs.' },
  { name: 'host', env: 'CALLHOOK_HOST', flag: 'host', type: 'string', default: '127.0.0.1', description: 'Address to bind. Use 0.0.0.0 (or ::) to accept connections from other machines, e.g. the PBX.' },
  { name: 'publicUrl', env: 'CALLHOOK_PUBLIC_URL', flag: 'public-url', type: 'string', default: null, description: 'How people reach this instance; used in e-mails and docs. Default: http://localhost:<port>.' },
  { name: 'trustProxy', env: 'CALLHOOK_TRUST_PROXY', flag: 'trust-proxy', type: 'bool', default: false, description: 'Behind a reverse proxy: take the client address and protocol from X-Forwarded-For / X-Forwarded-Proto (used by the sign-in throttle and the session cookie). Only when every request comes through the proxy.' },
  { name: 'dataDir', env: 'CALLHOOK_DATA_DIR', flag: 'data-dir', type: 'string', default: './data', description: 'Folder for the embedded SQLite store and the generated operator token.' },
  { name: 'databaseUrl', env: 'CALLHOOK_DATABASE_URL', flag: 'database-url', type: 'string', default: null, description: 'The store: `postgres://user:pass@host:5432/db` for PostgreSQL (many processes share it), or `sqlite:<path>`; default: SQLite in <dataDir>/callhook.db.' },
  { name: 'databasePoolSize', env: 'CALLHOOK_DATABASE_POOL_SIZE', type: 'int', default: 10, min: 2, max: 200, description: 'PostgreSQL connections per process.' },
  { name: 'databaseConnectTimeoutMs', env: 'CALLHOOK_DATABASE_CONNECT_TIMEOUT_MS', type: 'int', default: 5_000, min: 100, max: 600_000, description: 'Longest wait for a PostgreSQL connection (a new one, or a free one of the pool); then the request is answered 503 with Retry-After.' },
  { name: 'databaseQueryTimeoutMs', env: 'CALLHOOK_DATABASE_QUERY_TIMEOUT_MS', type: 'int', default: 10_000, min: 100, max: 3_600_000, description: 'Longest wait for a PostgreSQL answer, timed by callhook (an unreachable server sends nothing, so a server-side timeout alone never fires) and given to the server as statement_timeout; then 503 with Retry-After. Migrations are not limited.' },
  { name: 'role', env: 'CALLHOOK_ROLE', flag: 'role', type: 'string', default: 'all', description: 'What this process does: `all`; `api` (HTTP API and ingest; leaves sending to workers); `worker` (sends, retries, e-mails, retention; serves only /healthz, /readyz, /metrics); `hep` (the HEP collector only; leaves sending to workers).' },
  { name: 'hep', env: 'CALLHOOK_HEP', flag: 'hep', type: 'bool', default: false, description: 'Collect SIP mirrored as HEPv3 (Kamailio/OpenSIPS siptrace, FreeSWITCH, Asterisk res_hep) on UDP and TCP. On by itself with --role hep.' },
  { name: 'hepHost', env: 'CALLHOOK_HEP_HOST', flag: 'hep-host', type: 'string', default: null, description: 'Address the HEP collector binds; default: the HTTP host.' },
  { name: 'hepPort', env: 'CALLHOOK_HEP_PORT', flag: 'hep-port', type: 'int', default: 9_060, min: 0, max: 65_535, description: 'UDP and TCP port of the HEP collector.' },
  { name: 'hepMaxBacklog', env: 'CALLHOOK_HEP_MAX_BACKLOG', type: 'int', default: 100_000, min: 100, max: 10_000_000, description: 'Most SIP messages waiting for the call tracker (about 1 KiB each). Past it arriving messages are dropped and counted (`callhook_hep_packets_rejected_total{reason="overload"}`); TCP senders are paused well before (from a fifth of it, at least 1,000).' },
  { name: 'hepMaxCallS', env: 'CALLHOOK_HEP_MAX_CALL_S', type: 'int', default: 14_400, min: 60, max: 604_800, description: 'A SIP call whose BYE was never seen ends after this long without a message.' },
  { name: 'hepRetryWindowS', env: 'CALLHOOK_HEP_RETRY_WINDOW_S', type: 'int', default: 32, min: 1, max: 600, description: 'After a final response the caller may answer with the same INVITE again (3xx redirect, 401/407 challenge, 422, 491, 500/503 with Retry-After …), how long a retry may follow before the call ends with that response. Default: an INVITE transaction’s life (64 × T1). The ended step keeps the response’s time.' },
  { name: 'hepUdpReceiveBufferBytes', env: 'CALLHOOK_HEP_UDP_RECEIVE_BUFFER_BYTES', type: 'int', default: 8_388_608, min: 65_536, max: 1_073_741_824, description: 'Receive buffer the HEP UDP socket asks the kernel for, to ride out bursts. Linux grants at most net.core.rmem_max (raise it with sysctl; callhook logs what it got). Datagrams the kernel still drops are counted in `callhook_hep_udp_drops_total`.' },
  { name: 'retentionDays', env: 'CALLHOOK_RETENTION_DAYS', flag: 'retention-days', type: 'int', default: 30, min: 0, max: 3_650, description: 'Attempts, finished deliveries, events and ended calls older than this are purged (0 keeps everything). Owed deliveries are never purged.' },
  { name: 'recordingMaxMb', env: 'CALLHOOK_RECORDING_MAX_MB', flag: 'recording-max-mb', type: 'int', default: 200, min: 1, max: 10_240, description: 'Largest recording callhook takes, pushed or fetched (MB); a larger upload is answered 413.' },
  { name: 'recordingLinkDays', env: 'CALLHOOK_RECORDING_LINK_DAYS', flag: 'recording-link-days', type: 'int', default: 7, min: 2, max: 365, description: 'How long the signed recording links in webhooks work (days): longer than the retry schedule, since every attempt resends the same bytes. `GET /v1/orgs/{org}/calls/{callId}/recording` always gives a fresh one.' },
  { name: 'recordingRetentionDays', env: 'CALLHOOK_RECORDING_RETENTION_DAYS', flag: 'recording-retention-days', type: 'int', default: null, min: 0, max: 3_650, description: 'Recordings older than this are purged (their links answer 410), never while a delivery that links to them is owed; 0 keeps them. Default: CALLHOOK_RETENTION_DAYS.' },
  { name: 'recordingsDir', env: 'CALLHOOK_RECORDINGS_DIR', flag: 'recordings-dir', type: 'string', default: null, description: 'Folder for recordings. Default: <dataDir>/recordings with the embedded store; in PostgreSQL itself with PostgreSQL (set it to a folder every process shares, e.g. NFS, to keep them out of the database).' },
  { name: 'portalEmail', env: 'CALLHOOK_PORTAL_EMAIL', type: 'string', default: 'operator@localhost', description: 'E-mail of the first operator account of the portal, made on first start when there is none (more with `callhook users add`).' },
  { name: 'portalPassword', env: 'CALLHOOK_PORTAL_PASSWORD', type: 'string', default: null, description: 'Password of that first operator account (10+ characters, not easily guessed: the same rule as the portal); when unset, one is generated and kept in <dataDir>/portal-password until that operator sets its own.' },
  { name: 'sessionHours', env: 'CALLHOOK_SESSION_HOURS', type: 'int', default: 12, min: 1, max: 720, description: 'A portal session ends after this long unused (it is extended while in use).' },
  { name: 'adminToken', env: 'CALLHOOK_ADMIN_TOKEN', type: 'string', default: null, description: 'Operator token. When unset, one is generated on first start, printed by that start only, and kept in <dataDir>/operator-token.' },
  { name: 'dev', env: 'CALLHOOK_DEV', flag: 'dev', type: 'bool', default: false, description: 'Development mode: allows http and private/loopback webhook targets (a receiver on localhost) and says so at start. Not for production.' },
  { name: 'allowPrivateTargets', env: 'CALLHOOK_ALLOW_PRIVATE_TARGETS', flag: 'allow-private-targets', type: 'bool', default: false, description: 'Allow webhook URLs with http and loopback/private/link-local addresses (on-premises CRMs, tests). Implied by dev.' },
  { name: 'smtpUrl', env: 'CALLHOOK_SMTP_URL', flag: 'smtp-url', type: 'string', default: null, description: 'SMTP server for notification e-mails, e.g. smtp://user:pass@mail.example.com:587. Unset: e-mails are logged and kept in the outbox.' },
  { name: 'smtpFrom', env: 'CALLHOOK_SMTP_FROM', flag: 'smtp-from', type: 'string', default: 'callhook <callhook@localhost>', description: 'From address of notification e-mails.' },
  { name: 'logLevel', env: 'CALLHOOK_LOG_LEVEL', flag: 'log-level', type: 'string', default: 'info', description: 'trace, debug, info, warn, error or silent.' },
  { name: 'deliveryTimeoutMs', env: 'CALLHOOK_DELIVERY_TIMEOUT_MS', flag: 'delivery-timeout-ms', type: 'int', default: 2_000, min: 100, max: 30_000, description: 'Default deadline of one attempt (the Rinkel contract: 2 s). Webhooks may set their own.' },
  { name: 'retryScheduleS', env: 'CALLHOOK_RETRY_SCHEDULE_S', flag: 'retry-schedule-s', type: 'seconds-list', default: [...HOURLY_FOR_A_DAY_S], description: 'Default delays between attempts, comma-separated seconds (default: hourly for 24 h). Webhooks may set their own.' },
  { name: 'inFlightPerWebhook', env: 'CALLHOOK_IN_FLIGHT_PER_WEBHOOK', flag: 'in-flight-per-webhook', type: 'int', default: 32, min: 1, max: 1_000, description: 'Requests one webhook may have in flight, over connections of its own; the rest wait, so a slow receiver cannot starve others.' },
  { name: 'queuedPerWebhook', env: 'CALLHOOK_QUEUED_PER_WEBHOOK', type: 'int', default: 2_000, min: 1, max: 100_000, description: 'Deliveries one webhook may hold in memory; beyond that they wait in the store.' },
  { name: 'responseBodyCapBytes', env: 'CALLHOOK_RESPONSE_BODY_CAP_BYTES', type: 'int', default: 16_384, min: 0, max: 1_048_576, description: 'How much of a receiver’s response body is read and kept in the delivery log.' },
  { name: 'leaseMs', env: 'CALLHOOK_LEASE_MS', type: 'int', default: 60_000, min: 5_000, max: 3_600_000, description: 'How long a claimed delivery belongs to one process before others may take it (crash recovery).' },
  { name: 'pollIntervalMs', env: 'CALLHOOK_POLL_INTERVAL_MS', type: 'int', default: 1_000, min: 10, max: 60_000, description: 'How often due retries are looked for in the store.' },
  { name: 'plans', env: 'CALLHOOK_PLANS', type: 'json', default: DEFAULT_PLANS, description: 'Plans as JSON: {"name": {"webhooks": true|false, "description": "…"}}.' },
  { name: 'defaultPlan', env: 'CALLHOOK_DEFAULT_PLAN', type: 'string', default: 'expert', description: 'Plan of an organization created without one.' },
];

export function renderSettingsTable(): string {
  const rows = SETTINGS.map((s) => {
    const def = s.default === null ? '—' : s.type === 'seconds-list' ? `${(s.default as number[]).length} × ${(s.default as number[])[0]}` : s.type === 'json' ? 'see below' : `\`${String(s.default)}\``;
    return `| \`${s.env}\` | ${s.flag ? `\`--${s.flag}\`` : '—'} | ${def} | ${s.description} |`;
  });
  return ['| environment | flag | default | what it does |', '|---|---|---|---|', ...rows].join('\n');
}
