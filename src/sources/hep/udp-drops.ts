// Datagrams the kernel dropped on our UDP socket because its receive buffer was full: the `drops`
// column of /proc/net/udp (and udp6). The socket is found by its local port among this process's
// own sockets (/proc/self/fd), so another program's socket on the same port never counts.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcUdpSocket {
  localPort: number;
  inode: string;
  drops: number;
}

/** The rows of /proc/net/udp or udp6 (a header line, then one socket a line). */
export function parseProcUdp(table: string): ProcUdpSocket[] {
  const sockets: ProcUdpSocket[] = [];
  for (const line of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    const port = parseInt(fields[1]!.split(':').at(-1) ?? '', 16);
    const drops = Number(fields[12]);
    if (Number.isInteger(port) && Number.isFinite(drops)) sockets.push({ localPort: port, inode: fields[9]!, drops });
  }
  return sockets;
}

function readTables(): ProcUdpSocket[] {
  const sockets: ProcUdpSocket[] = [];
  for (const path of ['/proc/self/net/udp', '/proc/self/net/udp6']) {
    try {
      sockets.push(...parseProcUdp(readFileSync(path, 'utf8')));
    } catch {
      // no IPv6, or no /proc
    }
  }
  return sockets;
}

function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Reads the kernel's drop count of this process's UDP socket on `port`; null where there is no /proc. */
export function udpDropsOf(port: number): (() => number) | null {
  let inode: string | undefined;
  try {
    const own = ownSocketInodes();
    inode = readTables().find((socket) => socket.localPort === port && own.has(socket.inode))?.inode;
  } catch {
    return null;
  }
  if (inode === undefined) return null;
  return () => readTables().find((socket) => socket.inode === inode)?.drops ?? 0;
}
