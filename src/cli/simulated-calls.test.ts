import { describe, it, expect } from 'vitest';
import type { CallOrigin } from '../calls/call.ts';
import { applyStep, type TrackContext, type TrackedCall } from '../calls/tracker.ts';
import { parseIngestBody } from '../sources/ingest/parse.ts';
import { RECORDING_MAX_S, ingestSteps, lastOffsetMs, seededRng, simulatedCall, timedSteps, type SimulatedCall } from './simulated-calls.ts';

const ORIGIN: CallOrigin = {
  org: { id: 'org_sim', domain: 'sim', defaultCountry: 'NL' },
  connection: { id: 'conn_sim', name: 'PBX' },
};
const OPTIONS = { extensions: ['500', '501', '502'], numbers: ['+31850609000', '+31850609001'], runId: 1_729_690_611_587 };
const SEEDS = [1, 2, 3, 42, 2_024];
const CALLS_PER_SEED = 200;
const START_MS = Date.parse('2024-10-23T13:56:24.969Z');

/** simulate cannot know the organization's default country: its steps must read without one. */
const NO_COUNTRY = { defaultCountry: null };
/** The organization the calls are simulated for: a main number, no direct numbers. */
const MAIN_ONLY = { main: '+31850609999', direct: new Map<string, string>() };

function generate(seed: number, count = CALLS_PER_SEED, options = OPTIONS): SimulatedCall[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, (_, i) => simulatedCall(rng, i + 1, options));
}

function track(call: SimulatedCall): TrackedCall {
  let counter = 0;
  const ctx: TrackContext = { origin: ORIGIN, users: new Map(), now: START_MS + 3_600_000, newEventId: () => `evt_${++counter}`, numbers: MAIN_ONLY };
  let tracked: TrackedCall | null = null;
  for (const body of ingestSteps(call, START_MS)) {
    const steps = parseIngestBody(body, NO_COUNTRY);
    expect(steps).toHaveLength(1);
    const result = applyStep(tracked, steps[0]!, ctx);
    if (result.kind !== 'applied') throw new Error(`${call.callId} ${body.type}: ${JSON.stringify(result)}`);
    tracked = result.tracked;
  }
  return tracked!;
}

describe('simulatedCall', () => {
  it('makes steps the real ingest parser accepts, one by one and as a batch', () => {
    for (const seed of SEEDS) {
      for (const call of generate(seed)) {
        const bodies = ingestSteps(call, START_MS);
        for (const body of bodies) expect(() => parseIngestBody(body, NO_COUNTRY), `${call.callId} ${body.type}`).not.toThrow();
        expect(parseIngestBody({ steps: bodies }, NO_COUNTRY)).toHaveLength(bodies.length);
      }
    }
  });

  it('makes calls the real tracker applies cleanly, ending as intended', () => {
    for (const seed of SEEDS) {
      for (const call of generate(seed)) {
        const final = track(call).call;
        expect(final.direction).toBe(call.direction);
        expect(final.endedAt).not.toBeNull();
        switch (call.outcome) {
          case 'answered':
            expect(final.outcome).toBe('ANSWERED');
            expect(final.sipCode).toBeNull();
            expect(Math.floor((final.endedAt! - final.answeredAt!) / 1_000)).toBe(call.talkS);
            expect(final.choice).toBe(call.choice);
            if (call.extra === 'recording') {
              const file = call.steps.find((s) => s.body.type === 'recording-file')!.body as { seconds: number };
              expect(file.seconds).toBe(Math.min(call.talkS, RECORDING_MAX_S));
              expect(timedSteps(call, START_MS).at(-1)!.type).toBe('recording-file');
            }
            else expect(final.insights?.topics.length).toBeGreaterThanOrEqual(1);
            break;
          case 'unanswered':
            expect([final.outcome, final.sipCode]).toEqual(['UNANSWERED', 487]);
            break;
          case 'busy':
            expect([final.outcome, final.sipCode]).toEqual(['UNANSWERED', 486]);
            break;
          case 'declined':
            expect([final.outcome, final.sipCode]).toEqual(['UNANSWERED', 603]);
            break;
        }
      }
    }
  });

  it('keeps steps in call-time order and within the documented ranges', () => {
    for (const call of generate(7)) {
      const offsets = call.steps.map((step) => step.offsetMs);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(lastOffsetMs(call)).toBe(offsets[offsets.length - 1]);
      expect(call.callId).toMatch(/^sim-1729690611587-\d+$/);
      if (call.outcome === 'answered') {
        expect(call.ringS).toBeGreaterThanOrEqual(2);
        expect(call.ringS).toBeLessThanOrEqual(8);
        expect(call.talkS).toBeGreaterThanOrEqual(10);
        expect(call.talkS).toBeLessThanOrEqual(120);
      }
      if (call.direction === 'outbound') expect(OPTIONS.extensions).toContain(call.from);
      else expect(OPTIONS.numbers).toContain(call.to);
      if (call.choice !== null) expect(call.direction).toBe('inbound');
    }
  });

  it('makes calls with both parties in E.164 (for Rinkel) once the organization has a main number', () => {
    for (const options of [OPTIONS, { ...OPTIONS, numbers: [] }]) {
      for (const call of generate(5, CALLS_PER_SEED, options)) {
        const { e164 } = track(call).call;
        const ours = call.direction === 'inbound' ? e164.to : e164.from;
        expect(ours, call.callId).toBe(options.numbers.length > 0 && call.direction === 'inbound' ? call.to : '+31850609999');
        expect(call.direction === 'inbound' ? e164.from : e164.to, call.callId).toMatch(/^(\+[1-9]\d{6,14}|anonymous)$/);
        // Without numbers, an inbound call names the extension it rings.
        if (options.numbers.length === 0 && call.direction === 'inbound') expect(call.to).toBe(call.user);
      }
    }
  });

  it('produces the documented mix', () => {
    const calls = SEEDS.flatMap((seed) => generate(seed));
    const share = (predicate: (call: SimulatedCall) => boolean) => calls.filter(predicate).length / calls.length;
    expect(share((c) => c.direction === 'inbound')).toBeCloseTo(0.65, 1);
    expect(share((c) => c.outcome === 'answered')).toBeCloseTo(0.6, 1);
    expect(share((c) => c.outcome === 'unanswered')).toBeCloseTo(0.2, 1);
    expect(share((c) => c.outcome === 'busy')).toBeCloseTo(0.1, 1);
    expect(share((c) => c.outcome === 'declined')).toBeCloseTo(0.1, 1);
    const answered = calls.filter((c) => c.outcome === 'answered');
    const recordings = answered.filter((c) => c.extra === 'recording').length / answered.length;
    expect(recordings).toBeGreaterThan(0.4);
    expect(recordings).toBeLessThan(0.6);
    expect(answered.every((c) => c.extra !== null)).toBe(true);
    expect(answered.some((c) => c.choice !== null)).toBe(true);
  });

  it('is deterministic for a seed', () => {
    expect(generate(99, 50)).toEqual(generate(99, 50));
    expect(generate(99, 50)).not.toEqual(generate(100, 50));
  });
});
