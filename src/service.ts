// The composition root: config → store → sender, dispatcher, outbox → ingest → HTTP.
// `startService` is what `callhook serve` runs and what tests start in-process (with a fake clock).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config/load.ts';
import { disableOnExhaustion } from './delivery/disable-rule.ts';
import { type Dispatcher, createDispatcher } from './delivery/dispatcher.ts';
import { createWebhookChanges, followWebhookChanges } from './delivery/webhook-changes.ts';
import { type Sender, createHttpSender } from './delivery/sender.ts';
import type { TargetPolicy } from './delivery/target-guard.ts';
import { type Api, buildApp } from './http/app.ts';
import { createAuth } from './http/auth.ts';
import { AppError } from './errors.ts';
import { hashPassword } from './tenancy/password.ts';
import { newId, newToken } from './ids.ts';
import { type Mailer, createLogMailer, createSmtpMailer } from './notify/mailer.ts';
import { type Outbox, createOutbox } from './notify/outbox.ts';
import { type Presence, createPresence } from './delivery/presence.ts';
import { type RetentionJob, createRetentionJob } from './retention/retention-job.ts';
import { type Logger, createLogger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { createIngest } from './sources/ingest/ingest.ts';
import { type HepSource, createHepSource } from './sources/hep/hep-source.ts';
import { startHepListener } from './sources/hep/hep-listener.ts';
import { describeDatabase, openStore } from './store/open.ts';
import { isSqliteStore } from './store/sqlite/index.ts';
import type { Store } from './store/store.ts';
import type { StoreProblem } from './store/store-health.ts';
import { type BackgroundLoop, backgroundLoop } from './background-loop.ts';
import { VERSION } from './version.ts';
import { fileRecordingStore } from './recordings/file-recording-store.ts';
import { type LinkSigner, createLinkSigner } from './recordings/link-signer.ts';
import { type RecordingFetcher, createRecordingFetcher } from './recordings/recording-fetcher.ts';
import { type RecordingIntake, createRecordingIntake } from './recordings/recording-intake.ts';
import type { RecordingStore } from './recordings/recording-store.ts';

/** E-mails are rare and a disable wakes the outbox at once; the poll only catches SMTP retries. */
const OUTBOX_POLL_MS = 5_000;
/** Deliveries claimed from the store per poll: a few seconds of work for a busy dispatcher. */
const CLAIM_BATCH = 1_000;
/** Mirrors reorder by a millisecond or so; 20 ms covers it with room, and costs no one anything. */
const HEP_REORDER_WINDOW_MS = 20;
const HEP_TICK_MS = 10;
/** An ended dialog is remembered this long, to absorb late copies and retransmissions. */
const HEP_FORGET_AFTER_MS = 60_000;
/** A recording step's URL is tried for this long (a PBX may be down for a while). */
const RECORDING_FETCH_DEADLINE_MS = 24 * 3_600_000;
const RECORDING_FETCH_POLL_MS = 5_000;
/** The store's write probe: this often while it cannot write, and every STORE_PROBE_HEALTHY_MS otherwise. */
const STORE_PROBE_MS = 1_000;
const STORE_PROBE_HEALTHY_MS = 5_000;

export interface ServiceOptions {
  clock?: Clock;
  log?: Logger;
  mailer?: Mailer;
  /** Start the background loops (retry polling, outbox). Tests single-step with tick() instead. */
  background?: boolean;
}

export interface Service {
  /** Base URL the HTTP server listens on. */
  url: string;
  operatorToken: string;
  /** Where the operator token came from: the environment or the data folder. */
  operatorTokenSource: 'CALLHOOK_ADMIN_TOKEN' | string;
  /** This start made the token (so it may show it, once). */
  operatorTokenCreated: boolean;
  /** The portal's first operator account, when this process serves the API: how to sign in. */
  firstOperator: FirstOperator | null;
  config: Config;
  store: Store;
  app: Api;
  dispatcher: Dispatcher;
  outbox: Outbox;
  presence: Presence;
  retention: RetentionJob;
  recordings: { blobs: RecordingStore; signer: LinkSigner; intake: RecordingIntake; fetcher: RecordingFetcher };
  /** The HEP collector, when enabled: its source (tests step it) and the UDP/TCP port it took. */
  hep: { source: HepSource; port: number; close(): Promise<void> } | null;
  metrics: Metrics;
  log: Logger;
  stop(options?: { drainMs?: number }): Promise<void>;
}

export async function startService(given: Config, options: ServiceOptions = {}): Promise<Service> {
  const config = await withConcretePort(given);
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger({ level: config.log.level });
  log.info({ node: process.version, version: VERSION, store: describeDatabase(config.database), role: config.role, dev: config.dev }, 'callhook starting');

  const store = await openStore(config.database);
  const { token: operatorToken, source: operatorTokenSource, created: operatorTokenCreated } = operatorTokenOf(config);
  const firstOperator = config.role === 'all' || config.role === 'api' ? await ensureFirstOperator(config, store, clock) : null;
  const metrics = new Metrics();
  const targetPolicy: TargetPolicy = { allowPrivate: config.delivery.allowPrivateTargets };
  const sender: Sender = createHttpSender({
    policy: targetPolicy,
    responseBodyCapBytes: config.delivery.responseBodyCapBytes,
    maxTimeoutMs: config.delivery.maxTimeoutMs,
  });
  metrics.gauge('callhook_sender_pools', 'Connection pools open: one per webhook sending lately (and one per origin for tests)', () => sender.stats().pools);
  if (isSqliteStore(store)) {
    metrics.sampled('callhook_sqlite_checkpoints_total', 'WAL checkpoints by the checkpoint thread, by result (a failed one is tried again; the WAL stays bounded meanwhile)', 'counter', () => {
      const { runs, failures } = store.checkpoints();
      return [{ labels: { result: 'ok' }, value: runs }, { labels: { result: 'failed' }, value: failures }];
    });
    metrics.gauge('callhook_sqlite_checkpoint_thread', '1 while the checkpoint thread copies the WAL into the database file; 0 once the writer does it on the event loop (the thread could not run)', () =>
      store.checkpoints().handedBack ? 0 : 1,
    );
  }
  const owner = newId('proc');
  // API-only and HEP-only processes leave sending to the workers; the other roles dispatch.
  const dispatches = config.role === 'all' || config.role === 'worker';
  const mailer = options.mailer ?? (config.smtp.url ? createSmtpMailer({ url: config.smtp.url, from: config.smtp.from }) : createLogMailer(log));
  const outbox = createOutbox({ store: store.notifications, mailer, clock, log, owner, pollIntervalMs: OUTBOX_POLL_MS });

  const dispatcher = createDispatcher({
    store: store.deliveries,
    sender,
    clock,
    log,
    metrics,
    owner,
    onExhausted: disableOnExhaustion({ publicUrl: config.http.publicUrl }),
    onWebhooksDisabled: () => outbox.wake(),
    config: {
      defaultTimeoutMs: config.delivery.timeoutMs,
      maxTimeoutMs: config.delivery.maxTimeoutMs,
      defaultRetryScheduleS: config.delivery.retryScheduleS,
      inFlightPerWebhook: config.delivery.inFlightPerWebhook,
      queuedPerWebhook: config.delivery.queuedPerWebhook,
      leaseMs: config.delivery.leaseMs,
      pollIntervalMs: config.delivery.pollIntervalMs,
      claimBatch: CLAIM_BATCH,
    },
  });
  let fetcher: RecordingFetcher | null = null;
  const ingest = createIngest({
    store,
    clock,
    plans: config.plans,
    metrics,
    lease: dispatches ? { owner, leaseMs: config.delivery.leaseMs } : null,
    dispatch: (jobs) => dispatcher.accept(jobs),
    fetchDeadlineMs: RECORDING_FETCH_DEADLINE_MS,
    fetchesQueued: () => fetcher?.wake(),
  });
  // Recordings: a folder when the operator names one, else the store's own place (PostgreSQL), else the data folder.
  const blobs = config.recordings.dir !== null ? fileRecordingStore(config.recordings.dir) : (store.recordingBlobs ?? fileRecordingStore(join(config.dataDir, 'recordings')));
  const signer = createLinkSigner({ meta: store.meta, clock, publicUrl: config.http.publicUrl, linkMs: config.recordings.linkMs });
  const intake = createRecordingIntake({ store, blobs, ingest, signer, clock, log, maxBytes: config.recordings.maxBytes });
  fetcher = createRecordingFetcher({ store, intake, clock, log, metrics, owner, policy: targetPolicy, pollIntervalMs: RECORDING_FETCH_POLL_MS });
  const webhookChanges = createWebhookChanges({
    store, clock, log, owner, plans: config.plans, targetPolicy, maxTimeoutMs: config.delivery.maxTimeoutMs,
  });
  // Every role follows changes: a worker drops what it holds, and the others acknowledge too.
  const unfollowChanges = followWebhookChanges({ changes: store.changes, dispatcher, owner, log });
  const presence = createPresence({ workers: store.workers, clock, log, owner, dispatches, onPeers: (count) => dispatcher.setPeers(count) });
  const retention = createRetentionJob({
    store: store.retention, clock, log, days: config.retention.days,
    recordings: { index: store.recordings, blobs, days: config.recordings.retentionDays },
  });
  const storeWatch = watchStore(store, log);

  let ready = false;
  let stopping: Promise<void> | undefined;
  const app = await buildApp({
    config,
    store,
    clock,
    log,
    metrics,
    auth: createAuth({ store, clock, operatorToken, plans: config.plans, sessionMs: config.portal.sessionMs, publicUrl: config.http.publicUrl }),
    ingest,
    recordings: { intake, blobs, signer, maxBytes: config.recordings.maxBytes },
    dispatcher,
    webhookChanges,
    sender,
    targetPolicy,
    owner,
    passwordChanged: (account) => retireGeneratedPassword(config, account.email),
    routes: config.role === 'worker' || config.role === 'hep' ? 'health' : 'all',
    isReady: () => ready,
  });
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    unfollowChanges();
    await Promise.allSettled([app.close(), sender.close(), mailer.close()]);
    await store.close();
    throw error;
  }
  let hep: Service['hep'] = null;
  if (config.hep.enabled) {
    const source = createHepSource({
      store, ingest, clock, log, metrics,
      config: { reorderWindowMs: HEP_REORDER_WINDOW_MS, maxHeld: config.hep.maxBacklog, maxCallMs: config.hep.maxCallMs, forgetAfterMs: HEP_FORGET_AFTER_MS, retryWindowMs: config.hep.retryWindowMs },
    });
    try {
      const listener = await startHepListener({
        host: config.hep.host, port: config.hep.port, source, log, metrics, udpReceiveBufferBytes: config.hep.udpReceiveBufferBytes, tickMs: HEP_TICK_MS, pauseBacklog: Math.max(Math.ceil(config.hep.maxBacklog / 5), Math.min(config.hep.maxBacklog, 1_000)),
      });
      hep = { source, port: listener.port, close: () => listener.close() };
    } catch (error) {
      unfollowChanges();
      await Promise.allSettled([app.close(), sender.close(), mailer.close()]);
      await store.close();
      throw error;
    }
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;

  if (options.background ?? true) {
    storeWatch.start();
    presence.start();
    if (dispatches) {
      dispatcher.start();
      outbox.start();
      retention.start();
      fetcher.start();
    }
  }
  ready = true;
  log.info({ url: `http://${host}:${port}` }, 'callhook ready');

  return {
    url: `http://${host}:${port}`,
    operatorToken,
    operatorTokenSource,
    operatorTokenCreated,
    firstOperator,
    config,
    store,
    app,
    dispatcher,
    outbox,
    presence,
    retention,
    recordings: { blobs, signer, intake, fetcher },
    hep,
    metrics,
    log,
    stop({ drainMs = 5_000 } = {}) {
      stopping ??= (async () => {
        ready = false;
        await closeHttp(app); // stops accepting; answers what is in progress
        await hep?.close(); // what the reorder window still holds goes in before the store closes
        await dispatcher.stop({ drainMs });
        await Promise.all([outbox.stop(), retention.stop(), presence.stop(), fetcher!.stop()]);
        unfollowChanges();
        storeWatch.stop();
        await sender.close();
        await store.close();
        log.info('callhook stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Stops accepting and answers what is in progress. Fastify closes the connections idle at that
 * moment; one whose answer finishes just after (a file still streaming out) would stay open until
 * its keep-alive runs out (72 s), so idle connections are closed again until the server is.
 */
async function closeHttp(app: Api): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

/**
 * The store's write probe: every second while the store cannot write (readiness comes back within
 * a second of it), every few seconds otherwise (an idle process still finds out). Says when the
 * store goes and comes back.
 */
function watchStore(store: Store, log: Logger): BackgroundLoop {
  let lastProbeAt = 0;
  let down: StoreProblem | null = null;
  return backgroundLoop({
    everyMs: STORE_PROBE_MS,
    log,
    what: 'probing the store',
    async run() {
      const before = store.health.problem();
      if (before && !down) log.warn({ problem: before }, 'the store cannot write; requests are answered 503/507 with Retry-After until it can');
      down = before;
      if (!before && Date.now() - lastProbeAt < STORE_PROBE_HEALTHY_MS) return;
      lastProbeAt = Date.now();
      const after = await store.health.probe();
      if (after && !down) log.warn({ problem: after }, 'the store cannot write; requests are answered 503/507 with Retry-After until it can');
      if (!after && down) log.info({ downMs: Date.now() - down.since }, 'the store takes writes again');
      down = after;
    },
  });
}

export interface FirstOperator {
  email: string;
  /** Where its password is: CALLHOOK_PORTAL_PASSWORD, or the file it was generated into. */
  passwordSource: string;
  /** The password generated on this start, to print once (null otherwise: see passwordSource). */
  password: string | null;
}

/**
 * With no operator account yet, makes one (CALLHOOK_PORTAL_EMAIL) so the portal can be signed in
 * to on first start; its password is CALLHOOK_PORTAL_PASSWORD or generated, kept in the data folder
 * once the account exists, and shown on that start only.
 */
async function ensureFirstOperator(config: Config, store: Store, clock: Clock): Promise<FirstOperator | null> {
  const path = join(config.dataDir, 'portal-password');
  const fromEnv = config.portal.password !== null;
  const source = fromEnv ? 'CALLHOOK_PORTAL_PASSWORD' : path;
  if ((await store.accounts.countOperators()) > 0) return existsSync(path) || fromEnv ? { email: config.portal.email, passwordSource: source, password: null } : null;
  const password = config.portal.password ?? randomBytes(12).toString('base64url');
  const account = { id: newId('acct'), email: config.portal.email, name: 'Operator', role: 'operator' as const, orgId: null, createdAt: clock.now() };
  try {
    await store.accounts.create(account, await hashPassword(password));
  } catch (error) {
    // Another process starting at the same moment made it first (or the address is an admin's).
    if (!(error instanceof AppError) || error.code !== 'CONFLICT') throw error;
    return null;
  }
  if (!fromEnv) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, password + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return { email: config.portal.email, passwordSource: source, password: fromEnv ? null : password };
}

/** The generated first-operator password stops being true once that operator sets its own. */
function retireGeneratedPassword(config: Config, email: string): void {
  if (email === config.portal.email) rmSync(join(config.dataDir, 'portal-password'), { force: true });
}

/** CALLHOOK_ADMIN_TOKEN, else the token kept in the data folder, made on first start. */
function operatorTokenOf(config: Config): { token: string; source: string; created: boolean } {
  if (config.adminToken) return { token: config.adminToken, source: 'CALLHOOK_ADMIN_TOKEN', created: false };
  const path = join(config.dataDir, 'operator-token');
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), source: path, created: false };
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const token = newToken('cho');
  try {
    // `wx`: a process starting at the same moment may have made one; then that one holds.
    writeFileSync(path, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
    return { token: readFileSync(path, 'utf8').trim(), source: path, created: false };
  }
  chmodSync(path, 0o600);
  return { token, source: path, created: true };
}

/**
 * Port 0 (any free port, as tests ask) is made concrete before anything reads the config, so the
 * public URL derived from it (links in e-mails, the ingest URL, the docs' server) is one that works.
 */
async function withConcretePort(config: Config): Promise<Config> {
  if (config.http.port !== 0) return config;
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen({ host: config.http.host, port: 0, exclusive: true }, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const defaulted = config.http.publicUrl === 'http://localhost:0';
  return Object.freeze({ ...config, http: Object.freeze({ ...config.http, port, publicUrl: defaulted ? `http://${host}:${port}` : config.http.publicUrl }) });
}
