// Proves the production install the README gives: a copy of the repository's files, `npm ci
// --omit=dev` (no devDependencies: no TypeScript, no test tools, no portal build tools), then
// `npx callhook serve` with the machine's own npm and Node, whatever their version — Node 24
// comes from the `node` dependency — answers /healthz with 200. Run by .ci/run after `npm test`
// (`npm run check:production`); it takes the time of one `npm ci`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BANNER_WITHIN_MS = 120_000;

/** PATH without any node_modules/.bin: the copy must bring its own Node, not borrow this one's. */
const machinePath = (process.env.PATH ?? '')
  .split(':')
  .filter((entry) => !entry.includes('node_modules'))
  .join(':');

function run(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { PATH: machinePath, HOME: process.env.HOME ?? '/tmp' } });
}

function waitForBanner(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no banner within ${BANNER_WITHIN_MS} ms:\n${output}`)), BANNER_WITHIN_MS);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening on (http:\/\/\S+) \(Node (v[\d.]+)/.exec(output);
      if (listening && output.includes('First call')) {
        clearTimeout(timer);
        resolve(`${listening[1]} ${listening[2]}`);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`callhook serve exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

const copy = mkdtempSync(join(tmpdir(), 'callhook-production-'));
let child: ChildProcess | null = null;
try {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  process.stderr.write(`production install in ${copy}: npm ci --omit=dev (npm ${execFileSync('npm', ['-v'], { env: { PATH: machinePath }, encoding: 'utf8' }).trim()})\n`);
  run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], copy);

  child = spawn('npx', ['callhook', 'serve', '--port', '0', '--host', '127.0.0.1', '--hep-port', '0'], {
    cwd: copy,
    env: { PATH: machinePath, HOME: process.env.HOME ?? '/tmp', CALLHOOK_DATA_DIR: join(copy, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // npx, npm and node: one process group, stopped together below
  });
  const [url, node] = (await waitForBanner(child)).split(' ') as [string, string];
  const health = await fetch(`${url}/healthz`);
  const body = await health.text();
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}: ${body}`);
  if (!node.startsWith('v24.')) throw new Error(`callhook ran on Node ${node}, not the Node 24 it installs`);
  process.stderr.write(`production install: ok — npx callhook serve on Node ${node}, /healthz 200 ${body}\n`);
} finally {
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  rmSync(copy, { recursive: true, force: true });
}
