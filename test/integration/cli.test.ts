// The integrator's first tools against the real service: `callhook simulate` posts realistic calls,
// `callhook listen` receives the webhooks and checks their signatures; and the bin itself runs.
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../src/cli/simulate.ts';
import { startListener } from '../../src/cli/listen.ts';
import { type OrgSetup, type TestService, setupOrg, startTestService } from '../helpers/service.ts';
import { startReceiver } from '../helpers/receiver.ts';

function capture(): { out: PassThrough; text(): string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { out, text: () => text };
}

describe('callhook simulate and listen against the service', () => {
  let t: TestService;
  let org: OrgSetup;
  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('simulated calls arrive at `callhook listen` as signed webhooks in the chosen dialect', async () => {
    const printed = capture();
    const listener = await startListener({ port: 0, host: '127.0.0.1', json: true, out: printed.out });
    try {
      const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: listener.url, format: 'ringotel' }, org.apiKey);
      const secret = webhook.body.secret as string;
      await listener.close();
      // Same port, now with the secret the integrator copied from the API.
      const checked = await startListener({ port: Number(new URL(listener.url).port), host: '127.0.0.1', secret, json: true, out: printed.out });
      try {
        const log = capture();
        const code = await runSimulate(['--url', t.url, '--token', org.ingestToken, '--calls', '12', '--batch', '--rate', '0', '--seed', '7', '--quiet'], log.out);
        expect(code).toBe(0);
        expect(log.text()).toMatch(/simulated 12 calls \(\d+ steps\)/);
        await t.service.dispatcher.idle();
        const records = printed.text().trim().split('\n').map((line) => JSON.parse(line));
        const calls = (await t.api.get(`/v1/orgs/${org.orgId}/calls?limit=50`, org.apiKey)).body.data;
        expect(calls).toHaveLength(12);
        // Every call starts and ends: at least a Start and a Stop per call, all signed with the secret.
        expect(records.filter((r) => r.event === 'StartCallActivity')).toHaveLength(12);
        expect(records.filter((r) => r.event === 'StopCallActivity')).toHaveLength(12);
        expect(records.every((r) => r.dialect === 'ringotel' && r.signature === 'valid')).toBe(true);
        const causes = new Set(records.filter((r) => r.event === 'StopCallActivity').map((r) => r.body.params.call_cause));
        expect(causes.has('0')).toBe(true);
      } finally {
        await checked.close();
      }
    } finally {
      await listener.close().catch(() => undefined);
    }
  });

  it('simulated calls reach Rinkel receivers with E.164 numbers once the organization has a main number (and say so once when it has none)', async () => {
    const receiver = await startReceiver();
    try {
      const own = await setupOrg(t.api); // no default country: simulate sends no national numbers
      for (const event of ['call.incoming', 'call.outgoing']) {
        await t.api.post(`/v1/orgs/${own.orgId}/webhooks`, { url: `${receiver.url}/${event}`, events: [event], format: 'rinkel' }, own.apiKey);
      }
      const args = (seed: string) => ['--url', t.url, '--token', own.ingestToken, '--calls', '20', '--batch', '--rate', '0', '--seed', seed];
      const without = capture();
      expect(await runSimulate(args('11'), without.out)).toBe(0);
      expect(without.text().match(/warning \(said once\): steps\[0\]\.(to|from): "50\d" has no E\.164 number/g)).toHaveLength(1);
      // Without a number Rinkel gets none of these calls: no delivery was made (they are made with the step).
      expect((await t.api.get(`/v1/orgs/${own.orgId}/deliveries`, own.apiKey)).body.data).toEqual([]);
      expect((await t.api.get(`/v1/orgs/${own.orgId}/calls?limit=50`, own.apiKey)).body.data).toHaveLength(20);

      await t.api.post(`/v1/orgs/${own.orgId}/numbers`, { number: '+31850609000' }, own.apiKey);
      const withMain = capture();
      expect(await runSimulate(args('12'), withMain.out)).toBe(0);
      expect(withMain.text()).not.toContain('warning');
      const got = await receiver.waitFor(20);
      const bodies = got.map((r) => ({ path: r.path, body: JSON.parse(r.body) as { to: string; from: string; userId?: string } }));
      for (const { path, body } of bodies) {
        const ours = path === '/call.incoming' ? body.to : body.from;
        expect(ours, JSON.stringify(body)).toBe('+31850609000');
        expect(path === '/call.incoming' ? body.from : body.to).toMatch(/^(\+[1-9]\d{6,14}|anonymous)$/);
      }
      // Outgoing calls name their user when the directory knows the extension (500, 501; not 502).
      const userIds = new Set(bodies.filter((b) => b.path === '/call.outgoing').map((b) => b.body.userId));
      expect([...userIds].filter((id) => id !== undefined).sort()).toEqual(['17295348437628309790', 'u-501']);
    } finally {
      await receiver.close();
    }
  });

  it('posts steps over time in demo mode and reports a problem from the API clearly', async () => {
    const ok = capture();
    expect(await runSimulate(['--url', t.url, '--token', org.ingestToken, '--calls', '3', '--rate', '20', '--speed', '2000', '--seed', '3'], ok.out)).toBe(0);
    expect(ok.text()).toMatch(/call sim-\S+ (inbound|outbound)/);
    const bad = capture();
    expect(await runSimulate(['--url', t.url, '--token', 'cht_wrong', '--calls', '1', '--batch', '--quiet'], bad.out)).toBe(1);
    expect(bad.text()).toContain('ingest token is not valid');
  });
});

describe('the callhook command', () => {
  const run = promisify(execFile);
  it('runs on Node 24 and lists its commands', async () => {
    const { stdout } = await run(process.execPath, ['bin/callhook.js', 'help']);
    expect(process.version).toMatch(/^v2[4-9]|^v[3-9]\d/);
    for (const command of ['serve', 'listen', 'simulate', 'migrate']) expect(stdout).toContain(command);
  });
  it('prints the configuration table for serve --help and refuses a bad setting with exit code 2', async () => {
    const { stdout } = await run(process.execPath, ['bin/callhook.js', 'serve', '--help']);
    expect(stdout).toContain('CALLHOOK_ALLOW_PRIVATE_TARGETS');
    const failed = await run(process.execPath, ['bin/callhook.js', 'serve', '--port', 'eighty']).catch((error: { code: number; stdout: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stdout: string }).stdout).toContain('--port');
  });
});
