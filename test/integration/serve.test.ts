// `callhook serve --dev` as `npm start` runs it: a real process that says where everything is,
// keeps its generated operator token across restarts, answers /healthz, and drains on SIGTERM.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AddressInfo, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver } from '../helpers/receiver.ts';
import { READY_WITHIN_MS } from '../helpers/serve-process.ts';

interface Started {
  child: ChildProcess;
  url: string;
  banner: string;
  stdout: () => string;
}

async function serve(dataDir: string, args: string[] = ['--dev'], env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['bin/callhook.js', 'serve', '--port', '0', ...args], {
    env: { PATH: process.env.PATH, CALLHOOK_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within ${READY_WITHIN_MS} ms:\n${stderr}\n${stdout}`)), READY_WITHIN_MS);
    child.stderr!.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match && stderr.includes('First call')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}\n${stdout}`)));
  });
  return { child, url, banner: stderr, stdout: () => stdout };
}

/** A process's command line as the kernel has it (after any exec). */
const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

// Each test starts real processes, one after another: room for a slow start or two.
describe('callhook serve', { timeout: 2 * READY_WITHIN_MS }, () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('starts in development mode with a generated operator token, and drains cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhook-serve-'));
    dirs.push(dataDir);
    const first = await serve(dataDir);
    children.push(first.child);
    const token = readFileSync(join(dataDir, 'operator-token'), 'utf8').trim();
    expect(token).toMatch(/^cho_/);
    expect(statSync(join(dataDir, 'operator-token')).mode & 0o777).toBe(0o600);
    expect(first.banner).toContain(`Operator token:  ${token}   (shown once; kept in `);
    expect(first.banner).toContain('DEVELOPMENT MODE');
    expect(first.banner).toContain('/docs');
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    const orgs = await fetch(`${first.url}/v1/orgs`, { headers: { authorization: `Bearer ${token}` } });
    expect(orgs.status).toBe(200);
    expect(first.stdout()).toContain(`"node":"${process.version}"`);
    // Young generation capped (bin/callhook.js), in the process the child handle still names.
    expect(commandLine(first.child.pid!)).toContain('--max-semi-space-size=16');
    expect(await stop(first.child)).toBe(0);

    // The same token after a restart, which does not print it (only says where it is kept); without
    // --dev there is no development banner.
    // A size the operator gives in NODE_OPTIONS is theirs: no second one on the command line.
    const second = await serve(dataDir, [], { NODE_OPTIONS: '--max-semi-space-size=32' });
    children.push(second.child);
    expect(commandLine(second.child.pid!).filter((arg) => arg.startsWith('--max-semi-space-size'))).toEqual([]);
    expect(second.banner).toContain(`Operator token:  in ${join(dataDir, 'operator-token')}`);
    expect(second.banner + second.stdout()).not.toContain(token);
    expect(second.banner).not.toContain('DEVELOPMENT MODE');
    const again = await fetch(`${second.url}/v1/orgs`, { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    expect(await stop(second.child)).toBe(0);
    expect(second.stdout()).not.toContain(token);
  });

  it("forgets the generated portal password once the first operator sets its own: file removed, the banner stops pointing at it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhook-serve-'));
    dirs.push(dataDir);
    const passwordFile = join(dataDir, 'portal-password');
    const first = await serve(dataDir);
    children.push(first.child);
    const generated = readFileSync(passwordFile, 'utf8').trim();
    expect(first.banner).toContain(`sign in as operator@localhost, password ${generated}   (shown once; kept in ${passwordFile})`);
    expect(await stop(first.child)).toBe(0);

    const second = await serve(dataDir);
    children.push(second.child);
    expect(second.banner).toContain(`password in ${passwordFile}`);
    expect(second.banner).not.toContain(generated);
    // The operator signs in to the portal with it and sets its own.
    const portal = { 'content-type': 'application/json', 'x-callhook-portal': '1' };
    const signIn = await fetch(`${second.url}/v1/session`, { method: 'POST', headers: portal, body: JSON.stringify({ email: 'operator@localhost', password: generated }) });
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const change = await fetch(`${second.url}/v1/session/password`, { method: 'POST', headers: { ...portal, cookie }, body: JSON.stringify({ currentPassword: generated, newPassword: 'my-own-password-42' }) });
    expect(change.status).toBe(204);
    expect(existsSync(passwordFile)).toBe(false);
    expect(await stop(second.child)).toBe(0);

    const third = await serve(dataDir);
    children.push(third.child);
    expect(third.banner).not.toContain('portal-password');
    expect(third.banner).toContain('/portal');
    const signInAgain = await fetch(`${third.url}/v1/session`, { method: 'POST', headers: portal, body: JSON.stringify({ email: 'operator@localhost', password: 'my-own-password-42' }) });
    expect(signInAgain.status).toBe(201);
    expect(await stop(third.child)).toBe(0);
  }, 3 * READY_WITHIN_MS); // three starts of a real process on a shared machine

  it('does not print a token given in CALLHOOK_ADMIN_TOKEN', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhook-serve-'));
    dirs.push(dataDir);
    const started = await serve(dataDir, ['--dev'], { CALLHOOK_ADMIN_TOKEN: 'cho_from-the-environment' });
    children.push(started.child);
    expect(started.banner).toContain('from CALLHOOK_ADMIN_TOKEN');
    expect(started.banner).not.toContain('cho_from-the-environment');
    const orgs = await fetch(`${started.url}/v1/orgs`, { headers: { authorization: 'Bearer cho_from-the-environment' } });
    expect(orgs.status).toBe(200);
    await stop(started.child);
  });

  it('never loses an acknowledged delivery when the process is killed mid-attempt', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhook-crash-'));
    dirs.push(dataDir);
    const receiver = await startReceiver({ kind: 'hang', ms: 30_000 });
    const env = { CALLHOOK_ADMIN_TOKEN: 'cho_crash', CALLHOOK_LEASE_MS: '5000', CALLHOOK_POLL_INTERVAL_MS: '200', CALLHOOK_DELIVERY_TIMEOUT_MS: '1500' };
    try {
      const first = await serve(dataDir, ['--dev'], env);
      children.push(first.child);
      const api = async (path: string, body: unknown, token = 'cho_crash') => {
        const response = await fetch(first.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return (await response.json()) as Record<string, string>;
      };
      const org = await api('/v1/orgs', { name: 'Crash', domain: 'crash' });
      const connection = await api(`/v1/orgs/${org.id}/connections`, { name: 'PBX' });
      await api(`/v1/orgs/${org.id}/webhooks`, { url: receiver.url, format: 'standard' });
      await api('/v1/ingest/calls', { type: 'started', callId: 'survivor', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: Date.now() }, connection.ingestToken!);
      await receiver.waitFor(1);
      first.child.kill('SIGKILL'); // in the middle of the attempt: no drain, no lease released
      await new Promise((resolve) => first.child.once('exit', resolve));

      receiver.behave({ kind: 'status', status: 200 });
      const second = await serve(dataDir, ['--dev'], env);
      children.push(second.child);
      const [lost, again] = await receiver.waitFor(2, 15_000);
      expect(again!.headers['webhook-id']).toBe(lost!.headers['webhook-id']);
      expect(again!.body).toBe(lost!.body);
      await stop(second.child);
    } finally {
      await receiver.close();
    }
  });

  it('says which setting to change when the port is taken, instead of a stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhook-port-'));
    dirs.push(dataDir);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = promisify(execFile);
      const failed = await run(process.execPath, ['bin/callhook.js', 'serve', '--port', String(port)], { env: { PATH: process.env.PATH, CALLHOOK_DATA_DIR: dataDir } }).catch(
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stdout: string }).stdout).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect((failed as { stderr: string }).stderr).not.toContain('    at ');
    } finally {
      blocker.close();
    }
  });

  it('applies migrations with `callhook migrate`, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhook-migrate-'));
    dirs.push(dataDir);
    const run = promisify(execFile);
    const env = { PATH: process.env.PATH, CALLHOOK_DATA_DIR: dataDir };
    expect((await run(process.execPath, ['bin/callhook.js', 'migrate'], { env })).stdout).toMatch(/applied 001_init\.sql/);
    expect((await run(process.execPath, ['bin/callhook.js', 'migrate'], { env })).stdout).toContain('up to date');
  });
});
