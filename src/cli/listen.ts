// `callhook listen`: a throwaway webhook receiver for integrators. It prints every request it gets
// (dialect, event, body, signature check) and answers a chosen status after an optional delay, so
// a receiver's failure modes (5xx, timeouts past the 2 s deadline) can be tried without writing one.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { numberFlag, UsageError } from './cli-flags.ts';
import { describeRequest, humanReport, jsonLine } from './listen-report.ts';

export interface ListenOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** The webhook's `whsec_…` signing secret; null or absent: signatures are shown, not checked. */
  secret?: string | null;
  /** HTTP status to answer every request with. */
  status?: number;
  delayMs?: number;
  /** One JSON object per request and line instead of the human format. */
  json?: boolean;
  out: NodeJS.WritableStream;
  /** ANSI colors in the human format; defaults to whether `out` is a TTY. */
  color?: boolean;
  now?: () => number;
}

export interface Listener {
  url: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_PORT = 9000;
const DEFAULT_HOST = '127.0.0.1';
const MAX_BODY_BYTES = 10 * 1024 * 1024; // far above any webhook body; only guards the terminal
const NO_BODY_STATUSES = new Set([204, 205, 304]);

const USAGE = `Usage: callhook listen [options]

Receives webhooks and prints each request: dialect, event, body and signature check.

  --port <n>        port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host <addr>     address to bind (default ${DEFAULT_HOST})
  --secret <whsec>  the webhook's signing secret, to check webhook-signature
                    (or env CALLHOOK_LISTEN_SECRET)
  --status <code>   HTTP status to answer with (default 200)
  --delay-ms <ms>   wait this long before answering (callhook gives up after 2000 ms)
  --json            print one JSON object per request instead of the readable format
  --help            show this help
`;

export async function startListener(options: ListenOptions): Promise<Listener> {
  const secret = options.secret ?? null;
  const status = options.status ?? 200;
  const delayMs = options.delayMs ?? 0;
  const now = options.now ?? Date.now;
  const color = options.color ?? (options.out as { isTTY?: boolean }).isTTY === true;
  const closing = new AbortController();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const receivedAtMs = now();
    const rawBody = await readBody(req);
    if (rawBody === null) {
      res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, detail: 'body too large' }));
      return;
    }
    const record = describeRequest({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, rawBody, receivedAtMs }, secret);
    options.out.write(options.json ? jsonLine(record) : humanReport(record, color));
    if (delayMs > 0) await sleep(delayMs, undefined, { signal: closing.signal });
    if (NO_BODY_STATUSES.has(status)) res.writeHead(status).end();
    else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status >= 200 && status < 300 }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // Closing mid-delay or a client gone away: nobody is left to answer.
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Senders keep connections alive; without this close() would wait for them to go idle.
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function runListen(argv: string[], out: NodeJS.WritableStream, env: Record<string, string | undefined> = {}): Promise<number> {
  let options: ListenOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        secret: { type: 'string' },
        status: { type: 'string' },
        'delay-ms': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      out.write(USAGE);
      return 0;
    }
    options = {
      port: numberFlag(values.port, 'port', DEFAULT_PORT, { min: 0, max: 65_535 }),
      host: values.host ?? DEFAULT_HOST,
      secret: values.secret ?? env.CALLHOOK_LISTEN_SECRET ?? null,
      status: numberFlag(values.status, 'status', 200, { min: 200, max: 599 }),
      delayMs: numberFlag(values['delay-ms'], 'delay-ms', 0, { min: 0 }),
      json: values.json ?? false,
      out,
    };
  } catch (error) {
    if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true) throw error;
    out.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let listener: Listener;
  try {
    listener = await startListener(options);
  } catch (error) {
    out.write(`cannot listen on ${options.host}:${options.port}: ${(error as Error).message}\n`);
    return 1;
  }
  const check = options.secret ? 'checking signatures' : 'not checking signatures (no --secret)';
  const delay = options.delayMs ? ` after ${options.delayMs} ms` : '';
  const banner = `listening on ${listener.url}: answering ${options.status}${delay}, ${check}; Ctrl-C to stop\n\n`;
  // In --json mode stdout carries only the request lines, so a pipe into jq keeps working.
  (options.json ? process.stderr : out).write(banner);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await listener.close();
  return 0;
}
