import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { silentLogger } from '../../observability/logger.ts';
import { type HepListener, startHepListener } from './hep-listener.ts';
import type { HepSource } from './hep-source.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source that keeps everything it receives until told to let go: the backlog the listener watches. */
function holdingSource() {
  let received = 0;
  let released = 0;
  const source: HepSource = {
    receive: async () => void received++,
    tick: async () => {},
    flush: async () => {},
    backlog: () => received - released,
  };
  return { source, received: () => received, releaseAll: () => void (released = received) };
}

describe('HEP listener over TCP', () => {
  let listener: HepListener | null = null;
  afterEach(async () => {
    await listener?.close();
    listener = null;
  });

  it('stops reading a stream while the tracker is behind, and reads on once it catches up', async () => {
    const holding = holdingSource();
    listener = await startHepListener({ host: '127.0.0.1', port: 0, source: holding.source, log: silentLogger(), tickMs: 5, pauseBacklog: 50 });
    const packet = loadCapture('answered-caller-bye')[0]!.raw;
    const total = 4_000; // ~2.5 MB: far more than one read and the kernel's socket buffers on both sides
    const socket = connect({ host: '127.0.0.1', port: listener.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => {});
    socket.write(Buffer.concat(Array.from({ length: total }, () => packet)));

    await sleep(300);
    const whilePaused = holding.received();
    expect(whilePaused).toBeGreaterThan(50); // it read until the backlog passed the limit…
    expect(whilePaused).toBeLessThan(total); // …and then stopped
    await sleep(200);
    expect(holding.received()).toBe(whilePaused);

    for (let i = 0; i < 400 && holding.received() < total; i++) {
      holding.releaseAll();
      await sleep(5);
    }
    expect(holding.received()).toBe(total); // nothing lost: TCP held it meanwhile
    socket.destroy();
  });
});
