import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { silentLogger } from '../../observability/logger.ts';
import { Metrics } from '../../observability/metrics.ts';
import { type HepListener, type HepListenerOptions, startHepListener } from './hep-listener.ts';
import type { HepSource } from './hep-source.ts';
import { parseProcUdp } from './udp-drops.ts';
import { eventually } from '../../../test/helpers/eventually.ts';

/** A source that keeps everything it receives until told to let go: the backlog the listener watches. */
function holdingSource() {
  let received = 0;
  let released = 0;
  let ticks = 0;
  const source: HepSource = {
    receive: async () => void received++,
    tick: async () => void ticks++,
    flush: async () => {},
    backlog: () => received - released,
  };
  return { source, received: () => received, ticks: () => ticks, releaseAll: () => void (released = received) };
}

const EIGHT_MIB = 8 * 1024 * 1024;

function listen(source: HepSource, options: Partial<HepListenerOptions> = {}): Promise<HepListener> {
  return startHepListener({
    host: '127.0.0.1', port: 0, source, log: silentLogger(), metrics: new Metrics(), udpReceiveBufferBytes: EIGHT_MIB, tickMs: 5, pauseBacklog: 50, ...options,
  });
}

/** Turns of the listener's tick (every 5 ms) with no packet read: reading has stopped, not merely slowed. */
const QUIET_TICKS = 20;

describe('HEP listener over TCP', () => {
  let listener: HepListener | null = null;
  afterEach(async () => {
    await listener?.close();
    listener = null;
  });

  it('stops reading a stream while the tracker is behind, and reads on once it catches up', async () => {
    const holding = holdingSource();
    listener = await listen(holding.source);
    const packet = loadCapture('answered-caller-bye')[0]!.raw;
    const total = 4_000; // ~2.5 MB: far more than one read and the kernel's socket buffers on both sides
    const socket = connect({ host: '127.0.0.1', port: listener.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => {});
    socket.write(Buffer.concat(Array.from({ length: total }, () => packet)));

    // Reading stops: the count stands still while the listener goes on ticking (data waiting in
    // the socket would have been read between those ticks).
    let mark = { received: -1, ticks: 0 };
    const whilePaused = await eventually(
      () => {
        const now = { received: holding.received(), ticks: holding.ticks() };
        if (now.received !== mark.received) mark = now;
        return now.ticks - mark.ticks >= QUIET_TICKS ? now.received : false;
      },
      { timeoutMs: 20_000, what: `the count of packets read to stand still for ${QUIET_TICKS} ticks` },
    );
    expect(whilePaused).toBeGreaterThan(50); // it read until the backlog passed the limit…
    expect(whilePaused).toBeLessThan(total); // …and then stopped

    await eventually(
      () => {
        holding.releaseAll();
        return holding.received() === total;
      },
      { timeoutMs: 20_000, what: `all ${total} packets read once the tracker keeps up` },
    ); // nothing lost: TCP held it meanwhile
    socket.destroy();
  });
});

describe('HEP listener over UDP', () => {
  let listener: HepListener | null = null;
  afterEach(async () => {
    await listener?.close();
    listener = null;
  });

  it('asks the kernel for a large receive buffer (8 MiB by default, capped by net.core.rmem_max)', async () => {
    const metrics = new Metrics();
    listener = await listen(holdingSource().source, { metrics });
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    // Linux reports twice what it grants (its bookkeeping): at least the smaller of the two
    expect(metrics.value('callhook_hep_udp_receive_buffer_bytes')).toBeGreaterThanOrEqual(Math.min(EIGHT_MIB, rmemMax));
  });

  it('counts the datagrams the kernel dropped while the collector could not read', async () => {
    const metrics = new Metrics();
    const holding = holdingSource();
    listener = await listen(holding.source, { metrics, udpReceiveBufferBytes: 4_096 }); // a small buffer fills at once
    const sent = 500;
    const packet = loadCapture('busy-486')[0]!.raw.toString('base64');
    // A child sends while this process's event loop is blocked in spawnSync, so nothing is read.
    const script = `const s=require('node:dgram').createSocket('udp4');const p=Buffer.from('${packet}','base64');let n=0;
      const next=()=>{if(n===${sent})return s.close();n++;s.send(p,${listener.port},'127.0.0.1',next)};next();`;
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 20_000 });
    expect(child.status, child.stderr.toString()).toBe(0);
    const drops = () => metrics.value('callhook_hep_udp_drops_total');
    await eventually(() => expect(holding.received() + drops(), 'received + dropped').toBe(sent), { timeoutMs: 10_000, what: `every datagram read or counted as dropped` });
    expect(drops()).toBeGreaterThan(0);
  });

  it('reads the drops column of /proc/net/udp', () => {
    const table = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  710: 0100007F:2364 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 318791 2 0000000000000000 17',
      '  711: 00000000000000000000000001000000:C350 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 318795 2 0000000000000000 0',
    ].join('\n');
    expect(parseProcUdp(table)).toEqual([
      { localPort: 9060, inode: '318791', drops: 17 },
      { localPort: 50000, inode: '318795', drops: 0 },
    ]);
  });
});

describe('HEP listener: a TCP stream with a bogus frame', () => {
  it('skips the frame to the next "HEP3", counts the bytes, and hands on the packets behind it', async () => {
    const metrics = new Metrics();
    const holding = holdingSource();
    const listener = await listen(holding.source, { metrics, pauseBacklog: 1_000 });
    try {
      const records = loadCapture('answered-caller-bye');
      const cut = records[3]!.raw.subarray(0, 200); // a packet its sender never finished
      const socket = connect({ host: '127.0.0.1', port: listener.port });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(Buffer.concat([cut, ...records.slice(0, 3).map((r) => r.raw)]));
      await eventually(() => holding.received() === 3, { timeoutMs: 10_000, what: 'the three packets behind the cut one' });
      expect(metrics.value('callhook_hep_tcp_bytes_skipped_total')).toBe(200);
      socket.destroy();
    } finally {
      await listener.close();
    }
  });
});
