// The dispatcher's modes (delivery/dispatcher-modes.ts) in a real service: claims asked for while
// one runs fold into one more, results gathered while a batch is written go out together in the
// next, and the lifecycle drains to stopped, dropping a result that comes after. The store's calls
// are gated (the real store underneath) to hold a mode open while the test looks.
import { describe, expect, it } from 'vitest';
import { ingest } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';
import { eventually } from '../helpers/eventually.ts';

const started = (callId: string) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: Date.UTC(2025, 0, 1) });

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  await eventually(condition, { timeoutMs, what });
}

/** A promise the test opens when it wants. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("the dispatcher's modes", () => {
  const scope = testScope();

  it('claims: whoever asks while a claim runs gets one more claim after it, not one each', async () => {
    const { t } = await scope.service();
    const deliveries = t.service.store.deliveries;
    const claimDue = deliveries.claimDue.bind(deliveries);
    const first = gate();
    let claims = 0;
    deliveries.claimDue = async (input) => {
      claims++;
      if (claims === 1) await first.opened;
      return claimDue(input);
    };
    const dispatcher = t.service.dispatcher;
    const running = dispatcher.poll();
    expect(dispatcher.modes().claims).toBe('claiming');
    const asked = [dispatcher.poll(), dispatcher.tick(), dispatcher.poll()];
    expect(dispatcher.modes().claims).toBe('claiming-again');
    expect(claims).toBe(1);
    first.open();
    await Promise.all([running, ...asked]);
    expect(claims).toBe(2);
    expect(dispatcher.modes().claims).toBe('resting');
  });

  it('writes: results that arrive while a batch is written go out together in the next batch', async () => {
    const { t, org } = await scope.service();
    const receiver = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url }, org.apiKey);
    const deliveries = t.service.store.deliveries;
    const recordResults = deliveries.recordResults.bind(deliveries);
    const first = gate();
    const batches: number[] = [];
    deliveries.recordResults = async (input) => {
      batches.push(input.outcomes.length);
      if (batches.length === 1) await first.opened;
      return recordResults(input);
    };
    const dispatcher = t.service.dispatcher;
    expect((await ingest(t.api, org.ingestToken, started('first'))).status).toBe(202);
    await waitUntil(() => batches.length === 1, 'the first batch is written');
    expect(dispatcher.modes().writes).toBe('writing');
    expect((await ingest(t.api, org.ingestToken, { steps: [started('a'), started('b'), started('c')] })).status).toBe(202);
    await receiver.waitFor(4);
    await waitUntil(() => dispatcher.stats().inFlight === 0, 'the three attempts are over');
    expect(dispatcher.modes().writes).toBe('writing');
    expect(batches).toEqual([1]);
    first.open();
    await dispatcher.idle();
    expect(batches).toEqual([1, 3]);
    expect(dispatcher.modes().writes).toBe('resting');
    const statuses = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data.map((d: { status: string }) => d.status);
    expect(statuses).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('lifecycle: created, running, draining, stopped; one stop however often asked; a result after it is dropped', async () => {
    const { t, org } = await scope.service();
    const hang = await scope.receiver({ kind: 'hang', ms: 800 });
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: hang.url }, org.apiKey);
    const dispatcher = t.service.dispatcher;
    expect(dispatcher.modes().lifecycle).toBe('created');
    dispatcher.start();
    dispatcher.start();
    expect(dispatcher.modes().lifecycle).toBe('running');
    expect((await ingest(t.api, org.ingestToken, started('late'))).status).toBe(202);
    await hang.waitFor(1);
    const written: number[] = [];
    const deliveries = t.service.store.deliveries;
    const recordResults = deliveries.recordResults.bind(deliveries);
    deliveries.recordResults = async (input) => (written.push(input.outcomes.length), recordResults(input));

    const stopping = dispatcher.stop({ drainMs: 50 });
    expect(dispatcher.modes().lifecycle).toBe('draining');
    expect(dispatcher.stop()).toBe(stopping);
    await stopping;
    expect(dispatcher.modes().lifecycle).toBe('stopped');
    expect(() => dispatcher.start()).toThrow('dispatcher lifecycle: no move from stopped to running');
    // The attempt outlived the drain; when it ends, its result is dropped (its lease runs out), not gathered.
    expect(dispatcher.stats().inFlight).toBe(1);
    await waitUntil(() => dispatcher.stats().inFlight === 0, 'the attempt in flight ends');
    expect(dispatcher.modes().writes).toBe('resting');
    expect(written).toEqual([]);
  });
});
