// Real SIP software for end-to-end tests: kamailio (the shared rig's config, rendered from
// test/fixtures/sip/kamailio.cfg onto free ports) and sipp (test/fixtures/sip/scenarios), each a
// child process that is stopped by its PID: SIGTERM, then SIGKILL to it and to every process it
// forked (found by PID in /proc) when it does not go within the grace time.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, within } from './eventually.ts';

export const SIP_FIXTURES = fileURLToPath(new URL('../fixtures/sip/', import.meta.url));
export const SCENARIOS = join(SIP_FIXTURES, 'scenarios');

// ---------------------------------------------------------------------------------------------
// The tools

/** An executable on PATH or in the sbin folders (Debian puts kamailio in /usr/sbin). */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

export interface SipTools {
  kamailio: string | null;
  sipp: string | null;
  /** Debian packages to install for what is missing. */
  missing: string[];
}

export function sipTools(): SipTools {
  const kamailio = findExecutable('kamailio');
  const sipp = findExecutable('sipp');
  const missing = [...(kamailio ? [] : ['kamailio']), ...(sipp ? [] : ['sip-tester (sipp)'])];
  return { kamailio, sipp, missing };
}

/** The folder with kamailio's modules (tm.so…), or null to leave it to kamailio's built-in path. */
export function kamailioModulesDir(): string | null {
  const candidates = ['/usr/lib64/kamailio/modules', '/usr/lib/kamailio/modules', '/usr/local/lib64/kamailio/modules', '/usr/local/lib/kamailio/modules'];
  try {
    for (const entry of readdirSync('/usr/lib')) candidates.unshift(join('/usr/lib', entry, 'kamailio', 'modules'));
  } catch {
    // no /usr/lib
  }
  return candidates.find((dir) => existsSync(join(dir, 'tm.so')) && existsSync(join(dir, 'siptrace.so'))) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Ports

const handedOut = new Set<number>();

/** A UDP port on 127.0.0.1 that nothing had bound a moment ago (the kernel's pick), never the same twice. */
export async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const socket = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve(socket.address().port));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free UDP port found');
}

/** Whether something has bound this UDP port (read from /proc/net/udp; null where there is none). */
function udpPortBound(port: number): boolean | null {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let seen = false;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    seen = true;
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local?.endsWith(hex)) return true;
    }
  }
  return seen ? false : null;
}

/** Resolves once `child` has bound UDP `port`; rejects when it exits first or after timeoutMs. */
export async function waitUdpBound(port: number, child: ChildHandle, timeoutMs = 10_000): Promise<void> {
  const state = await eventually(
    () => {
      // null: no /proc to tell by; SIP's retransmissions cover a bind that comes a moment late
      if (udpPortBound(port) !== false) return 'bound';
      return child.running() ? false : 'exited';
    },
    { timeoutMs, what: `${child.name} to bind UDP ${port}` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${child.output()}`);
  });
  if (state === 'exited') throw new Error(`${child.name} exited before binding UDP ${port}:\n${child.output()}`);
}

// ---------------------------------------------------------------------------------------------
// Child processes, stopped by PID

export interface ChildHandle {
  name: string;
  pid: number;
  /** The last 32 KB of what it printed (stdout and stderr). */
  output(): string;
  running(): boolean;
  /** Its exit code (or signal), once it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to its PID; after graceMs SIGKILL to it and to the processes it forked. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_CAP = 32 * 1024;
const live = new Set<ChildHandle>();

// Should the test process end without its afterAll (a crash), leave nothing running behind it.
process.once('exit', () => {
  for (const child of live) killQuietly(child.pid, 'SIGKILL');
});

export function startChild(name: string, command: string, args: string[], options: { cwd: string }): ChildHandle {
  const child: ChildProcess = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(handle);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      keep(Buffer.from(`\n${name}: ${error.message}\n`));
      done = true;
      live.delete(handle);
      resolve({ code: null, signal: null });
    });
  });
  const handle: ChildHandle = {
    name,
    pid,
    output: () => output,
    running: () => !done,
    exited,
    async stop(graceMs = 3_000) {
      if (done) return;
      const forked = descendantsOf(pid); // before it goes: its children are re-parented after
      killQuietly(pid, 'SIGTERM');
      if (await settlesWithin(exited, graceMs)) return;
      killQuietly(pid, 'SIGKILL');
      for (const descendant of forked) if (sameProcess(descendant)) killQuietly(descendant.pid, 'SIGKILL');
      await exited;
    },
  };
  live.add(handle);
  return handle;
}

/** Stops every child this module started that still runs (afterAll). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

interface ProcessRef {
  pid: number;
  /** /proc/PID/stat start time: a PID reused by another process does not match. */
  startTime: string;
}

function procStat(pid: number): { ppid: number; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return { ppid: Number(fields[1]), startTime: fields[19] ?? '' };
  } catch {
    return null;
  }
}

function descendantsOf(root: number): ProcessRef[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
  } catch {
    return [];
  }
  const children = new Map<number, ProcessRef[]>();
  for (const pid of pids) {
    const stat = procStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push({ pid, startTime: stat.startTime });
    children.set(stat.ppid, list);
  }
  const found: ProcessRef[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

function sameProcess(ref: ProcessRef): boolean {
  return procStat(ref.pid)?.startTime === ref.startTime;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** True if `promise` settles within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(() => true, () => true);
  return within(settled, { timeoutMs: ms, what: 'settling' }).catch(() => false);
}

// ---------------------------------------------------------------------------------------------
// kamailio

export interface KamailioPorts {
  /** kamailio's SIP port (UDP, 127.0.0.1). */
  sipPort: number;
  /** The callee sipp's port: kamailio sends every initial request there. */
  calleePort: number;
  /** The HEP collector kamailio mirrors to (UDP, 127.0.0.1). */
  hepPort: number;
  captureId: number;
}

/** The rig's config with its placeholders filled in; throws on any left over. */
export function renderKamailioCfg(ports: KamailioPorts, modulesDir: string | null = kamailioModulesDir()): string {
  const template = readFileSync(join(SIP_FIXTURES, 'kamailio.cfg'), 'utf8');
  const values: Record<string, string> = {
    SIP_PORT: String(ports.sipPort),
    CALLEE_PORT: String(ports.calleePort),
    HEP_PORT: String(ports.hepPort),
    CAPTURE_ID: String(ports.captureId),
    MPATH: modulesDir ? `mpath="${modulesDir.replace(/\/?$/, '/')}"` : '# (kamailio’s built-in module path)',
  };
  const rendered = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`kamailio.cfg: unknown placeholder ${whole}`);
    return value;
  });
  return rendered;
}

export interface Kamailio {
  child: ChildHandle;
  sipPort: number;
  calleePort: number;
  cfgPath: string;
}

/**
 * kamailio in the foreground with the rendered config, its pid file and runtime files in `dir`
 * (no root-owned folders, no system kamailio): `kamailio -f cfg -DD -E -P pid -Y dir -w dir`.
 * Resolves once it answers SIP on its port.
 */
export async function startKamailio(binary: string, dir: string, ports: KamailioPorts): Promise<Kamailio> {
  const cfgPath = join(dir, 'kamailio.cfg');
  writeFileSync(cfgPath, renderKamailioCfg(ports));
  const child = startChild('kamailio', binary, ['-f', cfgPath, '-DD', '-E', '-P', join(dir, 'kamailio.pid'), '-Y', dir, '-w', dir], { cwd: dir });
  try {
    await waitUdpBound(ports.sipPort, child);
    await sipPing(ports.sipPort, child);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, sipPort: ports.sipPort, calleePort: ports.calleePort, cfgPath };
}

/**
 * Waits until kamailio answers: an OPTIONS with Max-Forwards: 0 gets its 483 (the config checks
 * Max-Forwards first), so nothing is forwarded. kamailio mirrors it; the collector ignores it.
 */
async function sipPing(port: number, child: ChildHandle, timeoutMs = 10_000): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const local = socket.address().port;
  const answered = new Promise<void>((resolve) => socket.once('message', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 1; ; attempt++) {
      const request = [
        `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ping-${process.pid}-${attempt}`,
        `From: <sip:ping@127.0.0.1:${local}>;tag=ping${process.pid}`,
        'To: <sip:ping@127.0.0.1>',
        `Call-ID: ping-${process.pid}-${port}@127.0.0.1`,
        `CSeq: ${attempt} OPTIONS`,
        'Max-Forwards: 0',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, port, '127.0.0.1');
      if (await settlesWithin(answered, 200)) return;
      if (!child.running()) throw new Error(`kamailio exited:\n${child.output()}`);
      if (Date.now() > deadline) throw new Error(`kamailio did not answer SIP on ${port} within ${timeoutMs} ms:\n${child.output()}`);
    }
  } finally {
    socket.close();
  }
}

// ---------------------------------------------------------------------------------------------
// sipp

export interface SippPairOptions {
  sipp: string;
  /** Folder for sipp's working files (its error logs). */
  dir: string;
  kamailio: Kamailio;
  /** Scenario name: scenarios/uas-NAME.xml and scenarios/uac-NAME.xml. */
  scenario: string;
  /** Calls made (and taken): -m. */
  calls?: number;
  /** More caller arguments (rate, limit, injection file…). */
  callerArgs?: string[];
  /** sipp's global timeout, seconds; either side failing or running longer fails the run. */
  timeoutS?: number;
}

export interface SippRun {
  startedAt: number;
  endedAt: number;
}

/**
 * One scenario: the callee sipp first (on the port kamailio sends to), then, once it listens, the
 * caller sipp through kamailio. Both must exit 0 (every call as scripted); both are stopped by PID
 * whatever happens.
 */
export async function runSippPair(options: SippPairOptions): Promise<SippRun> {
  const { sipp, dir, kamailio, scenario } = options;
  const calls = String(options.calls ?? 1);
  const timeout = `${options.timeoutS ?? 20}s`;
  const common = ['-i', '127.0.0.1', '-m', calls, '-timeout', timeout, '-timeout_error', '-nostdin', '-trace_err'];
  const callerPort = await freeUdpPort();
  const startedAt = Date.now();
  const callee = startChild(`sipp callee (uas-${scenario})`, sipp, [
    '-sf', join(SCENARIOS, `uas-${scenario}.xml`), '-p', String(kamailio.calleePort), ...common,
    '-error_file', join(dir, `uas-${scenario}.errors.log`),
  ], { cwd: dir });
  let caller: ChildHandle | null = null;
  try {
    await waitUdpBound(kamailio.calleePort, callee);
    caller = startChild(`sipp caller (uac-${scenario})`, sipp, [
      `127.0.0.1:${kamailio.sipPort}`, '-sf', join(SCENARIOS, `uac-${scenario}.xml`), '-p', String(callerPort), ...common,
      // at -r 1 sipp starts its first call only after a second; 100/s starts it at once
      '-r', '100', ...(options.callerArgs ?? []),
      '-error_file', join(dir, `uac-${scenario}.errors.log`),
    ], { cwd: dir });
    // the caller's end, or the callee's failure (then the caller would only wait for its timeout)
    const calleeFailed = callee.exited.then((exit) => (exit.code === 0 ? new Promise<never>(() => {}) : exit));
    await Promise.race([caller.exited, calleeFailed]);
    if (caller.running()) await caller.stop();
    const callerExit = await caller.exited;
    const calleeExit = (await settlesWithin(callee.exited, 5_000)) ? await callee.exited : null;
    if (callerExit.code !== 0 || calleeExit?.code !== 0) {
      throw new Error(
        `sipp scenario ${scenario} failed: caller exit ${describeExit(callerExit)}, callee exit ${calleeExit ? describeExit(calleeExit) : 'still running 5 s later'}\n` +
          report(caller, join(dir, `uac-${scenario}.errors.log`)) +
          report(callee, join(dir, `uas-${scenario}.errors.log`)) +
          `--- kamailio\n${kamailio.child.output().slice(-4_000)}`,
      );
    }
    return { startedAt, endedAt: Date.now() };
  } finally {
    await Promise.all([caller?.stop(), callee.stop()]);
  }
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `signal ${exit.signal}` : String(exit.code);
}

function report(child: ChildHandle, errorLog: string): string {
  let errors = '';
  try {
    errors = readFileSync(errorLog, 'utf8').slice(-4_000);
  } catch {
    // no error log
  }
  return `--- ${child.name} (pid ${child.pid})\n${child.output().slice(-4_000)}\n${errors ? `--- its error log\n${errors}\n` : ''}`;
}
