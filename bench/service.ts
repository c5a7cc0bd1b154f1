// callhook as a child process for the bench: a free loopback port, a fresh temp data folder, warn-
// level logs forwarded to stderr, /healthz polled until 200, and a clean stop (SIGTERM, wait, then
// SIGKILL) that always removes the folder. Extra environment (CALLHOOK_DATABASE_URL for PostgreSQL)
// comes from the caller; each process still gets its own data folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statCpuSeconds } from './proc.ts';

export const OPERATOR_TOKEN = 'cho_bench-operator-token';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  url: string;
  pid: number;
  dataDir: string;
  /** VmRSS and VmHWM (peak) of the child in MB, from /proc; null where /proc is missing. */
  memory(): { rssMb: number | null; peakMb: number | null };
  /** User + system CPU seconds the child used so far (from /proc/<pid>/stat), or null. */
  cpuSeconds(): number | null;
  /** The same for its main thread alone (/proc/<pid>/task/<pid>/stat): the event loop, which no other thread relieves. */
  mainThreadCpuSeconds(): number | null;
  /** How the child ended, when it ended by itself before stop(); null while it runs. */
  exited(): string | null;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startChild(options: {
  cpuProfDir: string | null;
  log: (line: string) => void;
  /** Added to the child's environment (after the bench's own settings). */
  env?: Record<string, string>;
  /** Prefix of the child's forwarded log lines; default `callhook`. */
  name?: string;
}): Promise<Child> {
  const name = options.name ?? 'callhook';
  const dataDir = mkdtempSync(join(tmpdir(), 'callhook-bench-'));
  const port = await freePort();
  const execArgv = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...execArgv, join(ROOT, 'bin/callhook.js'), 'serve'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CALLHOOK_PORT: String(port),
        CALLHOOK_HOST: '127.0.0.1',
        CALLHOOK_DATA_DIR: dataDir,
        CALLHOOK_ADMIN_TOKEN: OPERATOR_TOKEN,
        CALLHOOK_ALLOW_PRIVATE_TARGETS: '1',
        CALLHOOK_LOG_LEVEL: 'warn',
        ...options.env,
      },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.log(`[${name}] ${line}`);
    });
  }
  let gone = false;
  let stopping = false;
  let exitInfo: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      gone = true;
      if (!stopping) {
        exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
        options.log(`${name} exited unexpectedly (${exitInfo})`);
      }
      resolve();
    }),
  );

  const pid = child.pid ?? 0;
  const handle: Child = {
    url: `http://127.0.0.1:${port}`,
    pid,
    dataDir,
    memory() {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = (field: string) => {
          const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
          return line ? Number.parseInt(line.slice(field.length + 1).trim(), 10) : NaN;
        };
        const mb = (v: number) => (Number.isFinite(v) ? Math.round(v / 102.4) / 10 : null);
        return { rssMb: mb(kb('VmRSS')), peakMb: mb(kb('VmHWM')) };
      } catch {
        return { rssMb: null, peakMb: null };
      }
    },
    cpuSeconds: () => statCpuSeconds(`/proc/${pid}/stat`),
    mainThreadCpuSeconds: () => statCpuSeconds(`/proc/${pid}/task/${pid}/stat`),
    exited: () => exitInfo,
    async stop() {
      stopping = true;
      try {
        if (!gone) {
          child.kill('SIGTERM');
          const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 15_000, 'timeout').unref());
          if ((await Promise.race([exited, timeout])) === 'timeout') {
            options.log(`${name} did not stop within 15 s; killing it`);
            child.kill('SIGKILL');
            await exited;
          }
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (gone) throw new Error(`${name} exited before it was ready (${exitInfo})`);
      const ok = await fetch(`${handle.url}/healthz`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${name} was not healthy within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

