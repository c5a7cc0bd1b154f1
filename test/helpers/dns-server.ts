// A real DNS server on loopback (UDP, A and AAAA records from a table) and a resolver that asks
// it, so the target guard is tested against DNS answers no public name gives: a name that resolves
// to 100.64.0.1 or fec0::1 without touching /etc/hosts or the network.
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { LookupAddress } from 'node:dns';
import type { ResolveAll } from '../../src/delivery/target-guard.ts';

export interface DnsServer {
  /** Asks this server, as the sender's lookup would ask the system resolver. */
  resolve: ResolveAll;
  close(): Promise<void>;
}

const A = 1;
const AAAA = 28;

/** `records`: the addresses of each name; 'SERVFAIL' for a name the server fails to look up. */
export async function startDnsServer(records: Record<string, string[] | 'SERVFAIL'>): Promise<DnsServer> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => socket.send(answer(query, records), peer.port, peer.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${socket.address().port}`]);
  const ask = (family: 4 | 6, hostname: string): Promise<LookupAddress[]> =>
    (family === 4 ? resolver.resolve4(hostname) : resolver.resolve6(hostname)).then(
      (addresses) => addresses.map((address) => ({ address, family })),
      (error: NodeJS.ErrnoException) => (error.code === 'ENODATA' ? [] : Promise.reject(error)),
    );
  return {
    async resolve(hostname, options) {
      const families = options.family === 4 ? [4 as const] : options.family === 6 ? [6 as const] : [4 as const, 6 as const];
      const found = (await Promise.all(families.map((family) => ask(family, hostname)))).flat();
      if (found.length === 0) throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
      return found;
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function answer(query: Buffer, records: Record<string, string[] | 'SERVFAIL'>): Buffer {
  // Question: labels from byte 12, then type and class.
  const labels: string[] = [];
  let at = 12;
  while (query[at]! > 0) {
    labels.push(query.subarray(at + 1, at + 1 + query[at]!).toString('ascii'));
    at += 1 + query[at]!;
  }
  const type = query.readUInt16BE(at + 1);
  const questionEnd = at + 5;
  const name = labels.join('.').toLowerCase();
  const known = records[name];
  const rcode = known === 'SERVFAIL' ? 2 : known ? 0 : 3;
  const wanted = (Array.isArray(known) ? known : []).filter((address) => isIP(address) === (type === AAAA ? 6 : type === A ? 4 : 0));
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(0x8180 | rcode, 2); // response, recursion available; NXDOMAIN when unknown
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(wanted.length, 6);
  const answers = wanted.map((address) => {
    const data = type === A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name in the question
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(0, 6); // TTL: never cached
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group || '0', 16), i * 2));
  return bytes;
}
