// Webhook targets must be HTTPS and public (the seeds: "must be HTTPS", "reachable from the public
// internet"). Checked when a webhook is saved and again when a connection is made, through the
// resolver the socket itself uses, so DNS rebinding cannot slip a private address in between.
// The operator may open http and private networks (development, on-premises CRMs, tests).
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

export interface TargetPolicy {
  /** Allows http:// and loopback / private / link-local addresses. */
  allowPrivate: boolean;
}

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7],
  ['fe80::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family === 6) {
    // IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged
    // by the IPv4 address inside them, dotted or in hex (URL parsing turns one into the other).
    const bytes = ipv6Bytes(address);
    const prefix = bytes.subarray(0, 12).toString('hex');
    if (prefix === '00000000000000000000ffff' || prefix === '0064ff9b0000000000000000') {
      return isPublicAddress([...bytes.subarray(12)].join('.'));
    }
    if (prefix === '000000000000000000000000') return false; // IPv4-compatible (deprecated) and ::, ::1
    if (bytes[0] === 0x20 && bytes[1] === 0x02) return isPublicAddress([...bytes.subarray(2, 6)].join('.')); // 6to4
    return !NOT_PUBLIC.check(address, 'ipv6');
  }
  return false;
}

/** The 16 bytes of a valid IPv6 address (with `::` and a dotted IPv4 tail expanded). */
function ipv6Bytes(address: string): Buffer {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group || '0', 16), i * 2));
  return bytes;
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
  if (!policy.allowPrivate && isIP(host) && !isPublicAddress(host)) {
    return { ok: false, reason: `points at ${host}, which is not a public address` };
  }
  if (!policy.allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    return { ok: false, reason: 'points at localhost, which is not a public address' };
  }
  return { ok: true, url };
}

/** Save-time check: the URL's shape, then every address its host resolves to. */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<UrlCheck> {
  const shape = checkTargetUrl(raw, policy);
  if (!shape.ok || policy.allowPrivate) return shape;
  const host = hostOf(shape.url);
  if (isIP(host)) return shape;
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
    );
  } catch {
    return { ok: false, reason: `host ${host} could not be resolved` };
  }
  const blocked = addresses.find((a) => !isPublicAddress(a.address));
  if (blocked) return { ok: false, reason: `host ${host} resolves to ${blocked.address}, which is not a public address` };
  return shape;
}

/** Connect-time check: a `lookup` for sockets that refuses non-public answers. */
export function guardedLookup(policy: TargetPolicy): LookupFunction | undefined {
  if (policy.allowPrivate) return undefined;
  return ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const list = addresses as LookupAddress[];
      const blocked = list.find((a) => !isPublicAddress(a.address));
      if (blocked) {
        return callback(Object.assign(new Error(`${hostname} resolves to ${blocked.address}, which is not a public address`), { code: 'ETARGETBLOCKED' }));
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  }) as LookupFunction;
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals in brackets.
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
