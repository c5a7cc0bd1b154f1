// The target guard on host names, at save time and at send time (the lookup every pool's sockets
// use), against a real DNS server on loopback that answers with an address from every registry
// block that is not globally reachable. Nothing is sent anywhere: the guard refuses before a
// connection is made, and says which name, never what it resolves to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IPV4_MULTICAST, IPV4_SPECIAL_PURPOSE, IPV6_SPECIAL_PURPOSE } from '../../src/delivery/special-addresses.ts';
import { type Sender, createHttpSender } from '../../src/delivery/sender.ts';
import { checkTarget } from '../../src/delivery/target-guard.ts';
import { type DnsServer, startDnsServer } from '../helpers/dns-server.ts';

const strict = { allowPrivate: false };

/** The last address of a block (for these rows, one no more specific row governs). */
function insideOf(block: string): string {
  const [network, prefix] = block.split('/') as [string, string];
  const v6 = network.includes(':');
  const bits = v6 ? 128 : 32;
  let value: bigint;
  if (v6) {
    const [head, tail] = network.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    value = groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
  } else {
    value = network.split('.').reduce((v, o) => (v << 8n) | BigInt(o), 0n);
  }
  value |= (1n << BigInt(bits - Number(prefix))) - 1n;
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}
const refused = [...IPV4_SPECIAL_PURPOSE, IPV4_MULTICAST, ...IPV6_SPECIAL_PURPOSE]
  .filter((row) => row.globallyReachable !== true)
  .map((row, i) => ({ row: `${row.block} ${row.name}`, name: `row${i}.callhook.test`, address: insideOf(row.block) }))
  // And what lies outside the registries' rows: site-local, IPv4-translated, unassigned IPv6.
  .concat([
    { row: 'fec0::/10 site-local', name: 'site-local.callhook.test', address: 'fec0::1' },
    { row: '::ffff:0:0:0/96 IPv4-translated', name: 'translated.callhook.test', address: '::ffff:0:808:808' },
    { row: '4000::/2 unassigned', name: 'unassigned.callhook.test', address: '4000::1' },
  ]);

describe('host names that resolve to addresses that are not public', () => {
  let dns: DnsServer;
  let sender: Sender;
  beforeAll(async () => {
    dns = await startDnsServer({
      ...Object.fromEntries(refused.map((r) => [r.name, [r.address]])),
      'mixed.callhook.test': ['93.184.215.14', '10.0.0.1'],
      'public.callhook.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    sender = createHttpSender({ policy: strict, responseBodyCapBytes: 1_024, maxTimeoutMs: 20_000, resolve: dns.resolve });
  });
  afterAll(async () => {
    await sender.close();
    await dns.close();
  });

  it.each(refused)('$row: refused when saved and when sent, without saying what $name resolves to', async ({ name, address }) => {
    const saved = await checkTarget(`https://${name}/hook`, strict, dns.resolve);
    expect(saved).toEqual({ ok: false, reason: `points at ${name}, which is not a public address` });
    // A webhook's own pool, as the dispatcher uses it.
    const sent = await sender.send({ url: `https://${name}/hook`, headers: {}, body: '{}', timeoutMs: 2_000, poolKey: 'wh_test' });
    expect(sent).toMatchObject({ kind: 'error', error: `target not allowed: ${name} is not a public address` });
    expect(JSON.stringify(sent)).not.toContain(address);
  });

  it('refuses a name when any one of its addresses is not public', async () => {
    expect(await checkTarget('https://mixed.callhook.test/hook', strict, dns.resolve)).toMatchObject({ ok: false });
    expect(await sender.send({ url: 'https://mixed.callhook.test/hook', headers: {}, body: '{}', timeoutMs: 2_000 })).toMatchObject({
      kind: 'error', error: 'target not allowed: mixed.callhook.test is not a public address',
    });
  });

  it('accepts a name whose every address is public', async () => {
    expect(await checkTarget('https://public.callhook.test/hook', strict, dns.resolve)).toMatchObject({ ok: true });
  });
});
