import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';

describe('Metrics: samples read at scrape time', () => {
  it('renders one line per label set, typed as asked, and sums or picks them by label', () => {
    const metrics = new Metrics();
    let offsets: Array<[string, number]> = [['2001', -2.5]];
    metrics.sampled('callhook_hep_clock_offset_seconds', 'Clock offset', 'gauge', () => offsets.map(([id, value]) => ({ labels: { capture_id: id }, value })));
    metrics.sampled('callhook_hep_udp_drops_total', 'Kernel drops', 'counter', () => [{ value: 17 }]);
    offsets = [['2001', -2.5], ['2002', 14_400]];
    expect(metrics.render()).toBe(
      [
        '# HELP callhook_hep_clock_offset_seconds Clock offset',
        '# TYPE callhook_hep_clock_offset_seconds gauge',
        'callhook_hep_clock_offset_seconds{capture_id="2001"} -2.5',
        'callhook_hep_clock_offset_seconds{capture_id="2002"} 14400',
        '# HELP callhook_hep_udp_drops_total Kernel drops',
        '# TYPE callhook_hep_udp_drops_total counter',
        'callhook_hep_udp_drops_total 17',
        '',
      ].join('\n'),
    );
    expect(metrics.value('callhook_hep_clock_offset_seconds', { capture_id: '2002' })).toBe(14_400);
    expect(metrics.value('callhook_hep_udp_drops_total')).toBe(17);
  });
});
