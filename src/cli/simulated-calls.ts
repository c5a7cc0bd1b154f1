// Made-up but realistic calls for `callhook simulate`, as ingest API steps with call-time offsets.
// Pure: the same rng gives the same calls. The mix:
//   direction   ~65 % inbound (an external number, or 3 % withheld, rings an extension; it comes in
//               on one of the organization's numbers when given any, else `to` is the extension and
//               callhook reads it as the user's direct or the main number), ~35 % outbound (an
//               extension dials out; callhook presents the user's direct or the main number)
//   outcome     ~60 % answered: ring 2–8 s, talk 10–120 s, then either side hangs up; inbound answered
//                     calls went through the voice menu (IVR choice '1' or '2') one time in three;
//                     half get a recording (a file pushed 2–10 s after the end, as long as the
//                     talk, at most RECORDING_MAX_S), half an insights step
//                     (sentiment, 1–4 topics, a one-sentence summary; 15–60 s after the end)
//               ~20 % unanswered: the caller cancels after 2–8 s of ringing (ended, sipCode 487)
//               ~10 % busy: ended within a second (sipCode 486)
//               ~10 % declined: rejected after 2–8 s of ringing (sipCode 603)
// External numbers look like what PBXs hand over: E.164, international without the `+`
// (`353212028252`) or with the `00` prefix (`0031612345678`); no national numbers, which only an
// organization with a default country can read.
import type { Direction, Sentiment } from '../calls/call.ts';

/** Simulated recordings are short (a demo, a load test): a tone of the talk time, at most this long. */
export const RECORDING_MAX_S = 15;

export type SimulatedOutcome = 'answered' | 'unanswered' | 'busy' | 'declined';

/** An ingest API step without its time; `timedSteps` adds `at`. */
export type SimulatedStepBody =
  | { type: 'started'; callId: string; direction: Direction; from: string; to: string; user: string }
  | { type: 'answered'; callId: string; choice?: string }
  | { type: 'ended'; callId: string; sipCode?: number }
  /** Not an ingest step: the call's recording file, pushed (PUT /v1/ingest/calls/{callId}/recording). */
  | { type: 'recording-file'; callId: string; seconds: number }
  | { type: 'insights'; callId: string; sentiment: Sentiment; topics: string[]; summary: string };

export interface SimulatedStep {
  /** Call time since the call started, in milliseconds. */
  offsetMs: number;
  body: SimulatedStepBody;
}

export interface SimulatedCall {
  callId: string;
  direction: Direction;
  from: string;
  to: string;
  /** The extension the call rings (inbound) or that dials (outbound). */
  user: string;
  outcome: SimulatedOutcome;
  ringS: number;
  /** Whole seconds answer → end; 0 when unanswered. */
  talkS: number;
  hungUpBy: 'caller' | 'callee' | null;
  choice: string | null;
  extra: 'recording' | 'insights' | null;
  steps: SimulatedStep[];
}

export interface SimulatedCallOptions {
  /** User extensions; at least one. */
  extensions: readonly string[];
  /** The organization's numbers that inbound calls come in on; empty: `to` is the extension rung. */
  numbers: readonly string[];
  /** Shared by the calls of one run: call ids are `sim-<runId>-<n>`. */
  runId: string | number;
}

const INBOUND_SHARE = 0.65;
const WITHHELD_SHARE = 0.03;
const IVR_SHARE = 1 / 3;
const OUTCOME_WEIGHTS: ReadonlyArray<[SimulatedOutcome, number]> = [
  ['answered', 0.6],
  ['unanswered', 0.2],
  ['busy', 0.1],
  ['declined', 0.1],
];
const SIP_CODE: Record<Exclude<SimulatedOutcome, 'answered'>, number> = { unanswered: 487, busy: 486, declined: 603 };
const SENTIMENT_WEIGHTS: ReadonlyArray<[Sentiment, number]> = [
  ['POSITIVE', 0.5],
  ['NEUTRAL', 0.35],
  ['NEGATIVE', 0.15],
];
/** Topic → a summary that fits a call mainly about it. */
const SUMMARIES: Record<string, string> = {
  sales: 'The caller asked about the business plan and agreed to receive a quote by e-mail.',
  support: 'The caller could not log in; the agent reset the password and confirmed access.',
  billing: 'The caller questioned a double charge on the last invoice, which will be refunded.',
  pricing: 'The caller compared plans and asked whether annual billing comes with a discount.',
  onboarding: 'The agent walked the new customer through setting up their first users.',
  complaint: 'The caller was unhappy about a missed callback and asked for a manager.',
  cancellation: 'The caller wants to cancel at the end of the month; a retention offer was made.',
  'technical issue': 'Calls were dropping after a minute; the agent opened a ticket with the network team.',
  appointment: 'The caller moved their appointment from Tuesday to Thursday afternoon.',
  delivery: 'The caller asked where their order is; it is expected to arrive tomorrow.',
};
const TOPICS = Object.keys(SUMMARIES);

/** mulberry32: a tiny seeded PRNG, plenty for test data. Returns numbers in [0, 1). */
export function seededRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function simulatedCall(rng: () => number, n: number, options: SimulatedCallOptions): SimulatedCall {
  if (options.extensions.length === 0) throw new Error('simulatedCall needs at least one extension');
  const callId = `sim-${options.runId}-${n}`;
  const direction: Direction = rng() < INBOUND_SHARE ? 'inbound' : 'outbound';
  const user = pick(rng, options.extensions);
  const external = direction === 'inbound' && rng() < WITHHELD_SHARE ? 'anonymous' : externalNumber(rng);
  const from = direction === 'inbound' ? external : user;
  const to = direction === 'inbound' ? (options.numbers.length > 0 ? pick(rng, options.numbers) : user) : external;
  const outcome = weighted(rng, OUTCOME_WEIGHTS);

  const steps: SimulatedStep[] = [{ offsetMs: 0, body: { type: 'started', callId, direction, from, to, user } }];
  const call: SimulatedCall = { callId, direction, from, to, user, outcome, ringS: 0, talkS: 0, hungUpBy: null, choice: null, extra: null, steps };

  if (outcome !== 'answered') {
    const ringMs = outcome === 'busy' ? between(rng, 100, 1_000) : between(rng, 2_000, 8_000);
    call.ringS = Math.round(ringMs / 1_000);
    steps.push({ offsetMs: ringMs, body: { type: 'ended', callId, sipCode: SIP_CODE[outcome] } });
    return call;
  }

  const ringMs = between(rng, 2_000, 8_000);
  call.ringS = Math.round(ringMs / 1_000);
  call.choice = direction === 'inbound' && rng() < IVR_SHARE ? pick(rng, ['1', '2']) : null;
  steps.push({ offsetMs: ringMs, body: call.choice === null ? { type: 'answered', callId } : { type: 'answered', callId, choice: call.choice } });

  // talkS whole seconds plus less than one: the tracker's floor gives back exactly talkS.
  call.talkS = between(rng, 10, 121);
  const endMs = ringMs + call.talkS * 1_000 + between(rng, 0, 999);
  call.hungUpBy = rng() < 0.5 ? 'caller' : 'callee';
  steps.push({ offsetMs: endMs, body: { type: 'ended', callId } });

  if (rng() < 0.5) {
    call.extra = 'recording';
    steps.push({ offsetMs: endMs + between(rng, 2_000, 10_000), body: { type: 'recording-file', callId, seconds: Math.min(call.talkS, RECORDING_MAX_S) } });
  } else {
    call.extra = 'insights';
    const topics = distinct(rng, TOPICS, 1 + Math.floor(rng() * 4));
    const body: SimulatedStepBody = { type: 'insights', callId, sentiment: weighted(rng, SENTIMENT_WEIGHTS), topics, summary: SUMMARIES[topics[0]!]! };
    steps.push({ offsetMs: endMs + between(rng, 15_000, 60_000), body });
  }
  return call;
}

/** The call's steps as ingest API bodies, the call having started at `startMs` (epoch ms). */
export function timedSteps(call: SimulatedCall, startMs: number): Array<SimulatedStepBody & { at: string }> {
  return call.steps.map(({ offsetMs, body }) => ({ ...body, at: new Date(startMs + offsetMs).toISOString() }));
}

/** The steps that go to the ingest API as JSON (all but the recording file). */
export function ingestSteps(call: SimulatedCall, startMs: number): Array<Exclude<SimulatedStepBody, { type: 'recording-file' }> & { at: string }> {
  return timedSteps(call, startMs).filter((body): body is Exclude<SimulatedStepBody, { type: 'recording-file' }> & { at: string } => body.type !== 'recording-file');
}

/** Call time of the call's last step. */
export function lastOffsetMs(call: SimulatedCall): number {
  return call.steps[call.steps.length - 1]!.offsetMs;
}

const NUMBER_SHAPES: ReadonlyArray<(rng: () => number) => string> = [
  (rng) => `+316${digits(rng, 8)}`, // Dutch mobile
  (rng) => `+4420${digits(rng, 8)}`, // London
  (rng) => `+1${2 + Math.floor(rng() * 8)}${digits(rng, 2)}${2 + Math.floor(rng() * 8)}${digits(rng, 6)}`, // NANP
  (rng) => `+49151${digits(rng, 8)}`, // German mobile
  (rng) => `35321${digits(rng, 7)}`, // Cork, international without the +
  (rng) => `00316${digits(rng, 8)}`, // Dutch mobile, with the international prefix
];

function externalNumber(rng: () => number): string {
  return pick(rng, NUMBER_SHAPES)(rng);
}

function digits(rng: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += Math.floor(rng() * 10);
  return out;
}

/** An integer in [min, max). */
function between(rng: () => number, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min));
}

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function weighted<T>(rng: () => number, weights: ReadonlyArray<[T, number]>): T {
  let roll = rng() * weights.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of weights) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return weights[weights.length - 1]![0];
}

function distinct<T>(rng: () => number, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(Math.floor(rng() * pool.length), 1)[0]!);
  return chosen;
}
