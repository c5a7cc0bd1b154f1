import { describe, expect, it } from 'vitest';
import { parseExposition, seriesValue } from '../../test/helpers/prometheus-text.ts';
import { Metrics } from './metrics.ts';

describe('Metrics (prom-client behind the facade)', () => {
  it('renders samples read at scrape time, typed as asked, and sums or picks them by label', async () => {
    const metrics = new Metrics({ processMetrics: false });
    let offsets: Array<[string, number]> = [['2001', -2.5]];
    metrics.sampled('callhook_hep_clock_offset_seconds', 'Clock offset', 'gauge', () => offsets.map(([id, value]) => ({ labels: { capture_id: id }, value })));
    metrics.sampled('callhook_hep_udp_drops_total', 'Kernel drops', 'counter', () => [{ value: 17 }]);
    let queued = 3;
    metrics.gauge('callhook_dispatcher_queued', 'Queued', () => queued);
    offsets = [['2001', -2.5], ['2002', 14_400]];
    queued = 5;

    const families = parseExposition(await metrics.render());
    expect(families.get('callhook_hep_clock_offset_seconds')).toMatchObject({ type: 'gauge', help: 'Clock offset' });
    expect(families.get('callhook_hep_udp_drops_total')?.type).toBe('counter');
    expect(seriesValue(families, 'callhook_hep_clock_offset_seconds', { capture_id: '2002' })).toBe(14_400);
    expect(seriesValue(families, 'callhook_hep_clock_offset_seconds', { capture_id: '2001' })).toBe(-2.5);
    expect(seriesValue(families, 'callhook_dispatcher_queued')).toBe(5);
    expect(metrics.value('callhook_hep_clock_offset_seconds', { capture_id: '2002' })).toBe(14_400);
    expect(metrics.value('callhook_hep_udp_drops_total')).toBe(17);
    expect(metrics.value('callhook_dispatcher_queued')).toBe(5);
  });

  it('counts by declared labels, escapes label values, and refuses a label it was not told of', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const attempts = metrics.counter('callhook_webhook_attempts_total', 'Attempts', ['webhook_id', 'result']);
    const odd = 'wh_"quoted"\\back\nline';
    attempts.inc(1, { webhook_id: 'wh_1', result: 'success' });
    attempts.inc(2, { webhook_id: 'wh_1', result: 'success' });
    attempts.inc(1, { webhook_id: odd, result: 'failure' });
    expect(metrics.counter('callhook_webhook_attempts_total', 'Attempts', ['webhook_id', 'result'])).toBe(attempts); // the same one, asked again
    const plain = metrics.counter('callhook_plain_total', 'No labels');

    const families = parseExposition(await metrics.render());
    expect(seriesValue(families, 'callhook_webhook_attempts_total', { webhook_id: 'wh_1', result: 'success' })).toBe(3);
    expect(seriesValue(families, 'callhook_webhook_attempts_total', { webhook_id: odd, result: 'failure' })).toBe(1);
    expect(families.get('callhook_plain_total')?.series).toEqual([{ name: 'callhook_plain_total', labels: {}, value: 0 }]); // there from the start
    expect(metrics.value('callhook_webhook_attempts_total')).toBe(4);
    expect(metrics.value('callhook_webhook_attempts_total', { webhook_id: 'wh_1', result: 'success' })).toBe(3);
    plain.inc();
    expect(metrics.value('callhook_plain_total')).toBe(1);
    // An undeclared label: refused by the type (below) and, should a cast slip one through, at run time.
    // @ts-expect-error 'reason' is not one of the counter's labels
    expect(() => attempts.inc(1, { reason: 'x' })).toThrow(/reason/);
  });

  it('keeps histograms with cumulative buckets, per label set', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const seconds = metrics.histogram('callhook_delivery_attempt_duration_seconds', 'Attempt duration', { buckets: [0.1, 1], labelNames: ['result'] });
    for (const v of [0.05, 0.5, 0.5, 3]) seconds.observe(v, { result: 'success' });
    seconds.observe(2, { result: 'failure' });

    const families = parseExposition(await metrics.render());
    const bucket = (le: string, result: string) => seriesValue(families, 'callhook_delivery_attempt_duration_seconds_bucket', { le, result });
    expect([bucket('0.1', 'success'), bucket('1', 'success'), bucket('+Inf', 'success')]).toEqual([1, 3, 4]);
    expect(seriesValue(families, 'callhook_delivery_attempt_duration_seconds_sum', { result: 'success' })).toBeCloseTo(4.05);
    expect(seriesValue(families, 'callhook_delivery_attempt_duration_seconds_count', { result: 'failure' })).toBe(1);
    expect(metrics.value('callhook_delivery_attempt_duration_seconds')).toBe(5);
    expect(metrics.value('callhook_delivery_attempt_duration_seconds', { result: 'failure' })).toBe(1);
  });

  it('gives each instance its own registry, and adds the process and event-loop metrics once per process', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.counter('callhook_delivery_attempts_total', 'Attempts', ['result']).inc(1, { result: 'success' });
    b.counter('callhook_delivery_attempts_total', 'Attempts', ['result']).inc(5, { result: 'success' });
    b.gauge('callhook_dispatcher_queued', 'Queued', () => 1);
    b.gauge('callhook_dispatcher_queued', 'Queued', () => 2); // a later one replaces it

    const [textA, textB] = [await a.render(), await b.render()];
    const [familiesA, familiesB] = [parseExposition(textA), parseExposition(textB)];
    expect(seriesValue(familiesA, 'callhook_delivery_attempts_total')).toBe(1);
    expect(seriesValue(familiesB, 'callhook_delivery_attempts_total')).toBe(5);
    expect(familiesA.has('callhook_dispatcher_queued')).toBe(false);
    expect(seriesValue(familiesB, 'callhook_dispatcher_queued')).toBe(2);
    for (const families of [familiesA, familiesB]) {
      for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
        expect(families.has(name), name).toBe(true);
      }
    }
  });
});
