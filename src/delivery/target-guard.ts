// Webhook targets must be HTTPS and public (the seeds: "must be HTTPS", "reachable from the public
// internet"). Checked when a webhook is saved and again when a connection is made, through the
// resolver the socket itself uses, so DNS rebinding cannot slip a private address in between.
// "Public" is decided by the IANA special-purpose registries (special-addresses.ts), not by a
// hand-kept deny-list: what the registries do not call globally reachable is refused.
// The operator may open http and private networks (development, on-premises CRMs, tests).
import { isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { IPV4_MULTICAST, IPV4_SPECIAL_PURPOSE, IPV6_GLOBAL_UNICAST, IPV6_SPECIAL_PURPOSE, type SpecialBlock } from './special-addresses.ts';

export interface TargetPolicy {
  /** Allows http:// and loopback / private / link-local addresses. */
  allowPrivate: boolean;
}

/** Every address a host name resolves to (the system resolver unless a test brings its own). */
export type ResolveAll = (hostname: string, options: { family?: number | undefined }) => Promise<LookupAddress[]>;

export const systemResolve: ResolveAll = (hostname, options) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { family: options.family ?? 0, all: true }, (error, found) => (error ? reject(error) : resolve(found))));

interface Cidr {
  network: bigint;
  prefix: number;
  row: SpecialBlock;
}

const V4_BLOCKS = [...IPV4_SPECIAL_PURPOSE, IPV4_MULTICAST].map((row) => cidr(row, 32));
const V6_BLOCKS = IPV6_SPECIAL_PURPOSE.map((row) => cidr(row, 128));
const GLOBAL_UNICAST = cidr({ block: IPV6_GLOBAL_UNICAST, name: 'Global Unicast', rfc: 'RFC 4291', globallyReachable: true }, 128);
/** The NAT64 well-known prefix is globally reachable, but only as far as the IPv4 address in it is. */
const NAT64 = '64:ff9b::/96';

export type AddressVerdict = { public: true } | { public: false; why: string };

/** Whether an IP address (v4 or v6, any notation `isIP` accepts) is globally reachable. */
export function classifyAddress(address: string): AddressVerdict {
  const family = isIP(address);
  if (family === 4) {
    const row = mostSpecific(V4_BLOCKS, ipv4Value(address));
    return row && row.globallyReachable !== true ? { public: false, why: `${row.block} ${row.name}` } : { public: true };
  }
  if (family === 6) {
    const value = ipv6Value(address);
    const row = mostSpecific(V6_BLOCKS, value);
    if (row && row.globallyReachable !== true) return { public: false, why: `${row.block} ${row.name}` };
    if (row?.block === NAT64) {
      const inner = classifyAddress(ipv4Text(value & 0xffff_ffffn));
      return inner.public ? inner : { public: false, why: `${NAT64} with ${inner.why}` };
    }
    if (row) return { public: true };
    return contains(GLOBAL_UNICAST, value) ? { public: true } : { public: false, why: `outside ${IPV6_GLOBAL_UNICAST} Global Unicast` };
  }
  return { public: false, why: 'not an IP address' };
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).public;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The checks that need no network: scheme, credentials, literal addresses. */
export function checkTargetUrl(raw: string, policy: TargetPolicy): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    return {
      ok: false,
      reason: policy.allowPrivate ? 'must use http or https' : 'must use https (http is allowed only when the operator allows private targets)',
    };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not contain a user name or password; use the API token or the signature instead' };
  const host = hostOf(url);
  if (!policy.allowPrivate && isIP(host) && !isPublicAddress(host)) return notPublic(host);
  // RFC 6761: localhost names are loopback, whatever a resolver says (with or without the root dot).
  const name = host.replace(/\.$/, '').toLowerCase();
  if (!policy.allowPrivate && (name === 'localhost' || name.endsWith('.localhost'))) return notPublic(host);
  return { ok: true, url };
}

/** Save-time check: the URL's shape, then every address its host resolves to. */
export async function checkTarget(raw: string, policy: TargetPolicy, resolve: ResolveAll = systemResolve): Promise<UrlCheck> {
  const shape = checkTargetUrl(raw, policy);
  if (!shape.ok || policy.allowPrivate) return shape;
  const host = hostOf(shape.url);
  if (isIP(host)) return shape;
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host, {});
  } catch {
    return { ok: false, reason: `host ${host} could not be resolved` };
  }
  // Says which name, never what it resolves to: that would map an internal network for whoever asks.
  if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) return notPublic(host);
  return shape;
}

/** Connect-time check: a `lookup` for sockets that refuses non-public answers. */
export function guardedLookup(policy: TargetPolicy, resolve: ResolveAll = systemResolve): LookupFunction | undefined {
  if (policy.allowPrivate) return undefined;
  return ((hostname: string, options: { family?: number; all?: boolean }, callback: (...args: unknown[]) => void) => {
    resolve(hostname, { family: options.family }).then(
      (list) => {
        if (list.length === 0 || list.some((a) => !isPublicAddress(a.address))) {
          return callback(Object.assign(new Error(`${hostname} is not a public address`), { code: 'ETARGETBLOCKED' }));
        }
        if (options.all) return callback(null, list);
        callback(null, list[0]!.address, list[0]!.family);
      },
      (error: unknown) => callback(error),
    );
  }) as LookupFunction;
}

function notPublic(host: string): UrlCheck {
  return { ok: false, reason: `points at ${host}, which is not a public address` };
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals in brackets.
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function cidr(row: SpecialBlock, bits: 32 | 128): Cidr {
  const [network, prefix] = row.block.split('/') as [string, string];
  return { network: bits === 32 ? ipv4Value(network) : ipv6Value(network), prefix: Number(prefix), row };
}

function contains(block: Cidr, value: bigint): boolean {
  const bits = block.row.block.includes(':') ? 128 : 32;
  const shift = BigInt(bits - block.prefix);
  return value >> shift === block.network >> shift;
}

/** The registry row with the longest prefix holding the address (rows nest: 2001:1::1/128 in 2001::/23). */
function mostSpecific(blocks: readonly Cidr[], value: bigint): SpecialBlock | null {
  let best: Cidr | null = null;
  for (const block of blocks) if (contains(block, value) && (!best || block.prefix > best.prefix)) best = block;
  return best?.row ?? null;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** The 128-bit value of a valid IPv6 address (`::` expanded, a dotted IPv4 tail read, a zone dropped). */
function ipv6Value(address: string): bigint {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Value(dotted[1]!);
    text = text.slice(0, dotted.index) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group || '0', 16)), 0n);
}
