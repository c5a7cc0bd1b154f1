import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { IPV4_MULTICAST, IPV4_SPECIAL_PURPOSE, IPV6_SPECIAL_PURPOSE, type SpecialBlock } from './special-addresses.ts';
import { checkTargetUrl, classifyAddress, isPublicAddress } from './target-guard.ts';

const strict = { allowPrivate: false };
const open = { allowPrivate: true };

// An oracle built on node:net's BlockList (not the guard's own arithmetic): the longest registry
// row that holds an address decides; IPv4 outside every row is public, IPv6 only inside 2000::/3.
const V4_ROWS = [...IPV4_SPECIAL_PURPOSE, IPV4_MULTICAST];
const V6_ROWS = IPV6_SPECIAL_PURPOSE;
const familyOf = (row: SpecialBlock) => (row.block.includes(':') ? 'ipv6' : 'ipv4');
function listOf(block: string, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  const [network, prefix] = block.split('/') as [string, string];
  list.addSubnet(network, Number(prefix), family);
  return list;
}
const lists = new Map([...V4_ROWS, ...V6_ROWS].map((row) => [row, listOf(row.block, familyOf(row))]));
const globalUnicast = listOf('2000::/3', 'ipv6');
function governing(address: string, family: 'ipv4' | 'ipv6'): SpecialBlock | null {
  const rows = (family === 'ipv4' ? V4_ROWS : V6_ROWS).filter((row) => lists.get(row)!.check(address, family));
  return rows.sort((a, b) => Number(b.block.split('/')[1]) - Number(a.block.split('/')[1]))[0] ?? null;
}
function expectedPublic(address: string, family: 'ipv4' | 'ipv6'): boolean {
  const row = governing(address, family);
  // NAT64 is globally reachable as far as the IPv4 address in its last 32 bits is.
  if (row?.block === '64:ff9b::/96') return expectedPublic(fromBig(toBig(address, 'ipv6') & 0xffffffffn, 'ipv4'), 'ipv4');
  if (row) return row.globallyReachable === true;
  return family === 'ipv4' || globalUnicast.check(address, 'ipv6');
}

// Addresses as numbers, to step to a block's first and last address and just outside it.
const BITS = { ipv4: 32, ipv6: 128 } as const;
function toBig(address: string, family: 'ipv4' | 'ipv6'): bigint {
  if (family === 'ipv4') return address.split('.').reduce((v, o) => (v << 8n) | BigInt(o), 0n);
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}
function fromBig(value: bigint, family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - i * 16)) & 0xffffn).toString(16)).join(':');
}
function probes(row: SpecialBlock): Array<{ address: string; where: string }> {
  const family = familyOf(row);
  const [network, prefix] = row.block.split('/') as [string, string];
  const size = 1n << BigInt(BITS[family] - Number(prefix));
  const first = toBig(network, family);
  const last = first + size - 1n;
  const max = (1n << BigInt(BITS[family])) - 1n;
  const out = [
    { value: first, where: 'first' },
    { value: last, where: 'last' },
    { value: first + size / 2n, where: 'middle' },
    { value: first - 1n, where: 'just below' },
    { value: last + 1n, where: 'just above' },
  ];
  return out.filter((p) => p.value >= 0n && p.value <= max).map((p) => ({ address: fromBig(p.value, family), where: p.where }));
}

const rowCases = [...V4_ROWS, ...V6_ROWS].flatMap((row) =>
  probes(row).map(({ address, where }) => ({ label: `${row.block} ${row.name}, ${where}: ${address}`, address, expected: expectedPublic(address, familyOf(row)) })),
);

describe('public addresses: the IANA special-purpose registries, row by row', () => {
  it.each(rowCases)('$label → public: $expected', ({ address, expected }) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('refuses the first, last and middle address of every block that is not globally reachable', () => {
    for (const row of [...V4_ROWS, ...V6_ROWS]) {
      const inside = probes(row).filter((p) => ['first', 'last', 'middle'].includes(p.where) && governing(p.address, familyOf(row)) === row);
      for (const { address } of inside) {
        if (row.globallyReachable !== true) expect(isPublicAddress(address), `${row.block} ${address}`).toBe(false);
      }
    }
  });

  it.each([
    // The two the issue found passing as public, and the rest of what lies outside 2000::/3.
    'fec0::1', 'feff:ffff::1', '::ffff:0:808:808', '::ffff:0:a00:1', '::808:808', '::1:2', '4000::1', 'e000::1', 'ff02::1', 'ff0e::1', '100::1', '1fff:ffff::1',
    // Unassigned or special blocks inside the registries, and ones that cover a public IPv4 address.
    '::ffff:8.8.8.8', '::ffff:808:808', '2002:808:808::1', '2001:0:4136:e378:8000:63bf:f7f7:f7f7', '64:ff9b:1::808:808', '3fff::1', '5f00::1', '2001:db8::1', '2001:10::1',
    // IPv4 the old deny-list already knew, and the registry rows it did not.
    '0.1.2.3', '100.127.255.255', '192.0.0.170', '192.0.0.171', '192.88.99.2', '192.88.99.1', '255.255.255.255', '224.0.0.1', '239.255.255.250', '198.19.0.1',
    'fe80::1%eth0',
  ])('%s is not public', (address) => expect(isPublicAddress(address)).toBe(false));

  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '64:ff9b::808:808', '64:ff9b::8.8.8.8', '192.0.0.9', '192.31.196.1', '2001:1::1', '2001:4:112::1', '2620:4f:8000::1', '223.255.255.255', '100.128.0.0'])(
    '%s is public',
    (address) => expect(isPublicAddress(address)).toBe(true),
  );

  it('says which block refused an address', () => {
    expect(classifyAddress('fec0::1')).toEqual({ public: false, why: 'outside 2000::/3 Global Unicast' });
    expect(classifyAddress('64:ff9b::a00:1')).toEqual({ public: false, why: '64:ff9b::/96 with 10.0.0.0/8 Private-Use' });
    expect(classifyAddress('2001::1')).toEqual({ public: false, why: '2001::/32 TEREDO' });
  });
});

/** Every IPv6 spelling that carries an IPv4 address, in the notations a URL may be written in. */
function embeddings(v4: string): string[] {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const hi = ((a << 8) | b).toString(16);
  const lo = ((c << 8) | d).toString(16);
  const hiPad = hi.padStart(4, '0');
  const loPad = lo.padStart(4, '0');
  const teredoClient = `${(~((a << 8) | b) & 0xffff).toString(16)}:${(~((c << 8) | d) & 0xffff).toString(16)}`;
  return [
    `::ffff:${v4}`, `::ffff:${hi}:${lo}`, `::FFFF:${hi.toUpperCase()}:${lo.toUpperCase()}`, `0:0:0:0:0:ffff:${hiPad}:${loPad}`, // mapped
    `::ffff:0:${v4}`, `::ffff:0:${hi}:${lo}`, // translated (SIIT)
    `::${v4}`, `::${hi}:${lo}`, // IPv4-compatible
    `64:ff9b::${v4}`, `64:ff9b::${hi}:${lo}`, `64:ff9b:0:0:0:0:${hiPad}:${loPad}`, // NAT64
    `64:ff9b:1::${v4}`, `64:ff9b:1::${hi}:${lo}`, // local-use NAT64
    `2002:${hi}:${lo}::1`, `2002:${hiPad}:${loPad}:0:0:0:0:1`, // 6to4
    `2001:0:${hi}:${lo}::1`, `2001:0:4136:e378:8000:63bf:${teredoClient}`, // Teredo: server, then client
  ];
}

/** The spellings of an IPv4 address URL parsing turns into the dotted form. */
function ipv4Spellings(v4: string): string[] {
  const octets = v4.split('.').map(Number) as [number, number, number, number];
  const value = octets.reduce((v, o) => v * 256 + o, 0);
  return [v4, String(value), `0x${value.toString(16)}`, octets.map((o) => `0${o.toString(8)}`).join('.'), `${octets[0]}.${value % 16_777_216}`, `${v4}.`];
}

const privateV4 = V4_ROWS.filter((row) => row.globallyReachable !== true).map((row) => row.block.split('/')[0]!.replace(/\.0$/, '.1'));

describe('addresses that embed IPv4 and other spellings, at every entry point', () => {
  it.each(privateV4)('refuses %s in every IPv6 embedding', (v4) => {
    for (const v6 of embeddings(v4)) {
      expect(isPublicAddress(v6), v6).toBe(false);
      expect(checkTargetUrl(`https://[${v6}]/hook`, strict), v6).toMatchObject({ ok: false, reason: expect.stringContaining('not a public address') });
    }
  });

  it.each(privateV4)('refuses %s however the URL spells it', (v4) => {
    for (const spelling of ipv4Spellings(v4)) {
      expect(checkTargetUrl(`https://${spelling}/hook`, strict), spelling).toMatchObject({ ok: false, reason: expect.stringContaining('not a public address') });
    }
  });

  it('lets a public IPv4 address through only where the registry calls its wrapper globally reachable (NAT64)', () => {
    const through = embeddings('8.8.8.8').filter((v6) => isPublicAddress(v6));
    expect(through).toEqual(['64:ff9b::8.8.8.8', '64:ff9b::808:808', '64:ff9b:0:0:0:0:0808:0808']);
    for (const spelling of ipv4Spellings('8.8.8.8')) expect(checkTargetUrl(`https://${spelling}/hook`, strict).ok, spelling).toBe(true);
  });

  it('wants https on a public address unless private targets are allowed', () => {
    expect(checkTargetUrl('https://93.184.215.14/hook', strict).ok).toBe(true);
    expect(checkTargetUrl('http://93.184.215.14/hook', strict)).toMatchObject({ ok: false, reason: expect.stringContaining('https') });
    expect(checkTargetUrl('https://127.0.0.1/hook', strict)).toMatchObject({ ok: false, reason: expect.stringContaining('not a public address') });
    expect(checkTargetUrl('https://[fec0::1]:8443/hook', strict)).toMatchObject({ ok: false, reason: expect.stringContaining('not a public address') });
    expect(checkTargetUrl('https://localhost/hook', strict).ok).toBe(false);
    expect(checkTargetUrl('https://crm.localhost/hook', strict).ok).toBe(false);
    expect(checkTargetUrl('https://LocalHost./hook', strict).ok).toBe(false);
    expect(checkTargetUrl('https://user:pw@93.184.215.14/', strict).ok).toBe(false);
    expect(checkTargetUrl('not a url', strict).ok).toBe(false);
    expect(checkTargetUrl('ftp://93.184.215.14/', open).ok).toBe(false);
    expect(checkTargetUrl('http://127.0.0.1:9000/hook', open).ok).toBe(true);
  });
});
