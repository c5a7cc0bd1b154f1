// `callhook serve`: load the configuration, start the service, say where everything is, and
// drain cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { type Config, ConfigError, loadConfig } from '../config/load.ts';
import { SETTINGS, renderSettingsTable } from '../config/settings.ts';
import { type Service, startService } from '../service.ts';
import { describeDatabase } from '../store/open.ts';
import { VERSION } from '../version.ts';

/** How long SIGTERM waits for requests and attempts in flight. */
const DRAIN_MS = 10_000;
/** Past the drain: closing the store and the rest. */
const STOP_GRACE_MS = 4_000;
const EXIT_GRACE_MS = 1_000;

const USAGE = `Usage: callhook serve [flags]

Starts callhook: the API, the ingest endpoint, the dispatcher and the e-mail outbox.
Every flag has a CALLHOOK_* environment variable; flags win over the environment, which wins
over a JSON config file (--config or CALLHOOK_CONFIG), which wins over the defaults.

  --config <file>   JSON file with settings by name (e.g. {"port": 8080, "plans": {…}})
  --help            this text
`;

export async function runServe(argv: string[], out: NodeJS.WritableStream, env: Record<string, string | undefined>): Promise<number> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const setting of SETTINGS) if (setting.flag) options[setting.flag] = { type: setting.type === 'bool' ? 'boolean' : 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (error) {
    out.write(`callhook serve: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { config: file, help, ...flags } = parsed.values as Record<string, string | boolean | undefined>;
  if (help) {
    out.write(`${USAGE}\n${renderSettingsTable()}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ env, flags, file: file as string | undefined });
  } catch (error) {
    if (error instanceof ConfigError) {
      out.write(`callhook serve: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  // Signals are taken before anything is announced: a supervisor may signal as soon as it sees the
  // banner, and an unhandled SIGTERM would kill the process without draining.
  let stopRequested: string | null = null;
  let requestStop = (signal: string) => {
    stopRequested = signal;
  };
  process.once('SIGINT', () => requestStop('SIGINT'));
  process.once('SIGTERM', () => requestStop('SIGTERM'));

  let service;
  try {
    service = await startService(config);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      out.write(`callhook serve: cannot listen on ${config.http.host}:${config.http.port} (${code}); choose another with --port / CALLHOOK_PORT or --host / CALLHOOK_HOST\n`);
      return 1;
    }
    throw error;
  }
  // A crash says why in the log before the process goes (the supervisor restarts it; leases expire).
  process.on('uncaughtException', (error) => {
    service.log.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    service.log.fatal({ err: reason }, 'unhandled promise rejection; exiting');
    process.exit(70);
  });

  const code = await new Promise<number>((resolve) => {
    let stopping = false;
    requestStop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      service.log.info({ signal }, 'draining');
      // A store that does not answer (a black hole) must not keep the process from going.
      const late = setTimeout(() => {
        service.log.error({ drainMs: DRAIN_MS }, 'could not stop within the drain time; exiting anyway (leases run out, nothing acknowledged is lost)');
        resolve(1);
      }, DRAIN_MS + STOP_GRACE_MS);
      late.unref();
      service.stop({ drainMs: DRAIN_MS }).then(
        () => resolve(0),
        (error) => {
          service.log.error({ err: error }, 'could not stop cleanly');
          resolve(1);
        },
      ).finally(() => clearTimeout(late));
    };
    if (stopRequested) requestStop(stopRequested);
    else process.stderr.write(banner(service, config));
  });
  // Everything is closed; a handle left open somewhere (a socket a dead database never closed) must not keep the process.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  return code;
}

function banner(service: Service, config: Config): string {
  const { url, operatorToken, operatorTokenSource, operatorTokenCreated } = service;
  const publicUrl = config.http.publicUrl;
  const shown = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : `./${relative(process.cwd(), path)}`);
  const lines = [
    '',
    `callhook ${VERSION} is listening on ${url} (Node ${process.version})`,
    config.role === 'worker' ? '  Role:            worker (sends, retries, e-mails; serves /healthz, /readyz, /metrics)' : `  API docs:        ${publicUrl}/docs  (OpenAPI: ${publicUrl}/openapi.json)`,
    ...(config.role === 'api' ? ['  Role:            api (API and ingest; workers send)'] : []),
    // Printed on the start that made it only: later starts' output may land in shared logs.
    operatorTokenSource === 'CALLHOOK_ADMIN_TOKEN'
      ? '  Operator token:  from CALLHOOK_ADMIN_TOKEN'
      : operatorTokenCreated
        ? `  Operator token:  ${operatorToken}   (shown once; kept in ${shown(operatorTokenSource)})`
        : `  Operator token:  in ${shown(operatorTokenSource)}`,
    ...(service.firstOperator
      ? [
          `  Portal:          ${publicUrl}/portal`,
          `                   sign in as ${service.firstOperator.email}, password ${
            service.firstOperator.password !== null
              ? `${service.firstOperator.password}   (shown once; kept in ${shown(service.firstOperator.passwordSource)})`
              : service.firstOperator.passwordSource === 'CALLHOOK_PORTAL_PASSWORD' ? 'from CALLHOOK_PORTAL_PASSWORD' : `in ${shown(service.firstOperator.passwordSource)}`
          }`,
        ]
      : config.role === 'all' || config.role === 'api' ? [`  Portal:          ${publicUrl}/portal`] : []),
    `  Store:           ${describeDatabase(config.database)}`,
    ...(service.hep ? [`  HEP collector:   udp+tcp ${config.hep.host}:${service.hep.port} (a connection's HEP capture id says whose calls they are)`] : []),
  ];
  if (config.dev) {
    lines.push(
      '',
      '  DEVELOPMENT MODE: webhooks may target http:// and loopback or private addresses (a receiver on',
      '  localhost works). Do not expose this instance; in production run `callhook serve` without --dev.',
    );
  } else if (config.delivery.allowPrivateTargets) {
    lines.push('', '  CALLHOOK_ALLOW_PRIVATE_TARGETS is on: webhooks may target http:// and private addresses.');
  }
  lines.push('', '  First call in two minutes: see "Send a first call" in README.md.', '');
  return lines.join('\n') + '\n';
}
