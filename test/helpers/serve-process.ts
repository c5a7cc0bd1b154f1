// A real `callhook serve` child process, as an operator runs it: started with CALLHOOK_* settings,
// ready once its banner says where it listens, and stopped by its PID — SIGTERM (drain), then
// SIGKILL if it does not go in time. SIGKILL alone simulates a crash.
import { type ChildProcess, spawn } from 'node:child_process';

export interface ServeProcess {
  readonly pid: number;
  /** Base URL from the banner (`listening on http://…`). */
  readonly url: string;
  /** Resolves when the process has exited, however it went. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** What the process wrote to stdout and stderr (the last 64 KiB), for failure messages. */
  output(): string;
  /** Sends a signal to the process by its PID (nothing if it has gone already). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_CAP = 64 * 1024;

/**
 * How long a start may take to print its banner. Generous: on two cores shared with whole test
 * suites one start has taken 20 s (bin/callhook.js keeps a compile cache, so only the first start
 * after a change pays for compiling and type-stripping everything).
 */
export const READY_WITHIN_MS = 60_000;

/** Starts `callhook serve --port 0` with exactly `env` (plus PATH); rejects, with the process stopped, if no banner comes. */
export async function startServeProcess(options: { env: Record<string, string>; args?: string[]; readyTimeoutMs?: number }): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['bin/callhook.js', 'serve', '--port', '0', ...(options.args ?? [])], {
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn callhook serve');
  let output = '';
  let stderr = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', (chunk: Buffer) => {
    keep(chunk);
    if (stderr.length < OUTPUT_CAP) stderr += chunk.toString();
  });
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal });
    });
  });
  const signal = (name: NodeJS.Signals) => {
    if (gone) return;
    try {
      process.kill(pid, name);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ESRCH') throw error;
    }
  };
  const stop = async (graceMs = 15_000) => {
    if (gone) return;
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? READY_WITHIN_MS;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`callhook serve (pid ${pid}) printed no banner within ${readyTimeoutMs} ms:\n${output}`)), readyTimeoutMs);
      const check = () => {
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match && stderr.includes('First call')) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stderr!.on('data', check);
      void exited.then(({ code, signal: by }) => {
        clearTimeout(timer);
        reject(new Error(`callhook serve (pid ${pid}) exited with ${code ?? by} before it was ready:\n${output}`));
      });
    });
    return { pid, url, exited, hasExited: () => gone, output: () => output, signal, stop };
  } catch (error) {
    await stop(2_000);
    throw error;
  }
}
