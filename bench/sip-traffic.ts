// Generated SIP traffic for `npm run bench -- --source hep`: N calls built from the real kamailio
// captures (test/fixtures/sip/captures: answered + caller BYE, caller CANCEL → 487, 486 busy), each
// with its own Call-ID, tags, branches and numbers, both mirrored copies of every relayed message
// exactly as kamailio wrote them, on a timeline where the calls overlap as they would in real time
// (Poisson arrivals, seconds of ringing, a minute or so of talk), merged in capture-time order and
// encoded as HEPv3 datagrams. Deterministic for a given seed.
//
// Only what identifies a call is rewritten: Call-ID, From/To tags (and the ftag= in Record-Route),
// Via branches, the caller and callee numbers (From/To/Contact/Request-URI/SDP o=), Content-Length
// when the SDP changed length, and the HEP timestamp and capture id. Header order, Via layout
// (comma lists included), display names and the kamailio chunk order stay as captured.
import { decodeHep, encodeHep, type HepPacket } from '../src/sources/hep/hep-packet.ts';
import { type DialogState, type DialogStep, observe } from '../src/sources/hep/dialog-tracker.ts';
import { parseSip, userOf } from '../src/sources/hep/sip-parse.ts';
import type { SipMessage } from '../src/sources/hep/sip-message.ts';
import { type CaptureName, loadCapture } from '../test/fixtures/sip/captures.ts';

export type Scenario = 'answered' | 'cancel' | 'busy';

const CAPTURE_OF: Record<Scenario, CaptureName> = {
  answered: 'answered-caller-bye',
  cancel: 'unanswered-caller-cancel',
  busy: 'busy-486',
};

/** The mix of calls: answered and hung up by the caller, given up while ringing (487), busy (486). */
export const MIX: ReadonlyArray<readonly [Scenario, number]> = [
  ['answered', 0.6],
  ['cancel', 0.25],
  ['busy', 0.15],
];
/** Share of calls placed by one of the organization's extensions (outbound); the rest come in. */
const OUTBOUND_SHARE = 0.3;
/** Extensions 500 … 500 + EXTENSIONS - 1; the bench creates a user for each. */
export const EXTENSIONS = 50;
export const FIRST_EXTENSION = 500;

/** A gap longer than this between two messages of a capture separates its phases (ringing, talk). */
const PHASE_GAP_US = 100_000;

export interface TrafficOptions {
  calls: number;
  captureId: number;
  /** Capture time of the first call's INVITE, epoch µs. */
  startUs: number;
  /** New calls per second of capture time (Poisson). Default 50. */
  callsPerS?: number;
  seed?: number;
}

export interface GeneratedCall {
  callId: string;
  scenario: Scenario;
  direction: 'inbound' | 'outbound';
  /** Step type → index (in `datagrams`) of the first message that decides it. */
  decidedBy: Partial<Record<DialogStep['type'], number>>;
}

export interface Traffic {
  /** HEPv3 datagrams in capture-time order, as a collector would receive them live. */
  datagrams: Buffer[];
  calls: GeneratedCall[];
  /** Call steps (= standard webhook deliveries) the calls must produce: 3 per answered call, 2 otherwise. */
  expectedSteps: number;
  bytes: number;
  /** Capture time from the first to the last message, s. */
  spanS: number;
  /** Most calls in progress at once on the capture timeline. */
  maxConcurrentCalls: number;
  mix: Record<Scenario, number>;
  messagesPerCall: Record<Scenario, number>;
}

// ---------------------------------------------------------------------------------------------
// Templates: each capture's messages, with the call-identifying tokens cut out as slots.

type SlotKind = 'callId' | 'fromTag' | 'sippTag' | 'kamailioTag' | 'sippBranch' | 'kamailioBranch' | 'caller' | 'callee';

interface TemplateMessage {
  /** Capture time since the capture's first message, µs. */
  offsetUs: number;
  phase: number;
  header: Omit<HepPacket, 'timestampUs' | 'captureId' | 'payload'>;
  /** Payload text and slot numbers, in order. */
  parts: Array<string | number>;
}

interface Template {
  scenario: Scenario;
  messages: TemplateMessage[];
  /** What each slot holds. */
  slots: SlotKind[];
  /** Per phase: capture-time start and end offsets (µs). */
  phases: Array<{ startUs: number; endUs: number }>;
  /** Filled by the self-check: message index → the steps the tracker derives from it. */
  decidedBy: Partial<Record<DialogStep['type'], number>>;
  steps: number;
}

/** Where the tokens occur, left to right, the longest at each place (as an alternation of them would match). */
function* occurrences(text: string, longestFirst: readonly string[]): Generator<{ index: number; token: string }> {
  let index = 0;
  while (index < text.length) {
    const token = longestFirst.find((t) => text.startsWith(t, index));
    if (token) {
      yield { index, token };
      index += token.length;
    } else index++;
  }
}

function buildTemplate(scenario: Scenario): Template {
  const records = loadCapture(CAPTURE_OF[scenario]);
  const decoded = records.map((record) => {
    const hep = decodeHep(record.raw);
    if (!hep.ok) throw new Error(`${CAPTURE_OF[scenario]} #${record.seq}: ${hep.reason} ${hep.detail}`);
    const sip = parseSip(hep.packet.payload);
    if (!sip.ok) throw new Error(`${CAPTURE_OF[scenario]} #${record.seq}: ${sip.reason}`);
    return { packet: hep.packet, sip: sip.message };
  });
  const invite = decoded.find((d) => d.sip.kind === 'request' && d.sip.method === 'INVITE')?.sip;
  if (!invite || invite.kind !== 'request') throw new Error(`${CAPTURE_OF[scenario]}: no INVITE`);
  const caller = invite.from.user;
  const callee = userOf(invite.requestUri);
  if (!caller || !callee || invite.from.tag === null) throw new Error(`${CAPTURE_OF[scenario]}: INVITE without caller, callee or From tag`);

  // Tokens to cut out: [text as captured, slot kind, text kept before and after the slot].
  const slots: SlotKind[] = [];
  const tokens = new Map<string, { slot: number; before: string; after: string }>();
  const addSlot = (kind: SlotKind, texts: Array<[string, string, string]>) => {
    const slot = slots.push(kind) - 1;
    for (const [text, before, after] of texts) tokens.set(text, { slot, before, after });
  };
  addSlot('callId', [[invite.callId, '', '']]);
  addSlot('fromTag', [[invite.from.tag, '', '']]);
  addSlot('caller', [[caller, '', '']]);
  addSlot('callee', [
    [`sip:${callee}@`, 'sip:', '@'],
    [`o=${callee} `, 'o=', ' '],
  ]);
  const toTags = new Set(decoded.flatMap((d) => (d.sip.to.tag === null ? [] : [d.sip.to.tag])));
  for (const tag of toTags) addSlot(/^[0-9a-f]{32}-[0-9a-f]{8}$/.test(tag) ? 'kamailioTag' : 'sippTag', [[tag, '', '']]);
  const branches = new Set(decoded.flatMap((d) => d.sip.via.flatMap((via) => (via.branch === null ? [] : [via.branch]))));
  for (const branch of branches) addSlot(branch.startsWith('z9hG4bK-') ? 'sippBranch' : 'kamailioBranch', [[branch, '', '']]);
  const longestFirst = [...tokens.keys()].filter((t) => t !== '').sort((a, b) => b.length - a.length);

  const firstUs = decoded[0]!.packet.timestampUs;
  const phases: Template['phases'] = [];
  let previousUs = -Infinity;
  const messages = decoded.map(({ packet }): TemplateMessage => {
    const offsetUs = packet.timestampUs - firstUs;
    if (offsetUs - previousUs > PHASE_GAP_US) phases.push({ startUs: offsetUs, endUs: offsetUs });
    previousUs = offsetUs;
    phases.at(-1)!.endUs = offsetUs;
    const text = packet.payload.toString('utf8');
    const parts: Array<string | number> = [];
    let last = 0;
    for (const match of occurrences(text, longestFirst)) {
      const token = tokens.get(match.token)!;
      parts.push(text.slice(last, match.index) + token.before, token.slot);
      last = match.index + match.token.length;
      if (token.after) parts.push(token.after);
    }
    parts.push(text.slice(last));
    const { ipFamily, ipProtocol, srcIp, dstIp, srcPort, dstPort, protocolType, authKey, correlationId } = packet;
    return { offsetUs, phase: phases.length - 1, header: { ipFamily, ipProtocol, srcIp, dstIp, srcPort, dstPort, protocolType, authKey, correlationId }, parts };
  });

  const template: Template = { scenario, messages, slots, phases, decidedBy: {}, steps: 0 };
  // The cut must be lossless: the captured values put back give the captured bytes.
  const captured = slots.map((kind, slot) => [...tokens].find(([, t]) => t.slot === slot && t.before === '')?.[0] ?? (kind === 'callee' ? callee : ''));
  messages.forEach((message, i) => {
    if (render(message, captured) !== decoded[i]!.packet.payload.toString('utf8')) {
      throw new Error(`${CAPTURE_OF[scenario]} #${i}: the template does not reproduce the captured payload`);
    }
  });
  return template;
}

function render(message: TemplateMessage, values: readonly string[]): string {
  let text = '';
  for (const part of message.parts) text += typeof part === 'number' ? values[part]! : part;
  return text;
}

/** Content-Length follows the body (the SDP's o= line carries the caller's or callee's number). */
function fixContentLength(text: string): string {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return text;
  const bodyBytes = Buffer.byteLength(text) - Buffer.byteLength(text.slice(0, headEnd + 4));
  return text.replace(/^(Content-Length:[ \t]*)\d+/im, (_, head: string) => `${head}${bodyBytes}`);
}

// ---------------------------------------------------------------------------------------------
// Per-call values.

/** mulberry32: small, fast, good enough for a benchmark's reproducible randomness. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function slotValues(template: Template, n: number, caller: string, callee: string, random: () => number): string[] {
  const hex = (length: number) => {
    let out = '';
    for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
    return out;
  };
  const id = n.toString(36);
  let branch = 0;
  return template.slots.map((kind) => {
    switch (kind) {
      case 'callId':
        return `${n + 1}-${hex(8)}@127.0.0.1`;
      case 'fromTag':
        return `${hex(6)}${id}SIPpTag001`;
      case 'sippTag':
        return `${hex(6)}${id}SIPpTag011`;
      case 'kamailioTag':
        return `${hex(32)}-${hex(8)}`;
      case 'sippBranch':
        return `z9hG4bK-${hex(6)}${id}-${branch++}`;
      case 'kamailioBranch':
        return `z9hG4bK${hex(4)}.${hex(32)}.0`;
      case 'caller':
        return caller;
      case 'callee':
        return callee;
    }
  });
}

/** How long each gap between phases lasts, s: ringing, talk, a busy callee's answer. */
function gapsOf(scenario: Scenario, random: () => number): number[] {
  const uniform = (low: number, high: number) => low + (high - low) * random();
  switch (scenario) {
    case 'answered':
      return [uniform(2, 15), Math.min(600, 5 + -Math.log(1 - random()) * 55)]; // ringing; talk ≈ 1 min on average
    case 'cancel':
      return [uniform(5, 30)];
    case 'busy':
      return [uniform(0.05, 0.5)];
  }
}

function digits(count: number, random: () => number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += Math.floor(random() * 10);
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Feeds one call's messages through the dialog tracker: which message decides which step. */
function selfCheck(template: Template): void {
  const random = prng(1);
  const values = slotValues(template, 0, '+31850600000', String(FIRST_EXTENSION), random);
  let state: DialogState | null = null;
  const steps: Array<{ step: DialogStep; index: number }> = [];
  template.messages.forEach((message, index) => {
    const sip = parseSip(fixContentLength(render(message, values)));
    if (!sip.ok) throw new Error(`${template.scenario} #${index}: generated SIP does not parse: ${sip.reason}`);
    const result = observe(state, { message: sip.message as SipMessage, atMs: message.offsetUs / 1_000, seenMs: message.offsetUs / 1_000 }, { maxCallMs: 4 * 3_600_000, forgetAfterMs: 60_000 });
    state = result.state;
    for (const step of result.steps) steps.push({ step, index });
  });
  const summary = steps.map(({ step }) => (step.type === 'ended' ? `ended ${step.outcome}${step.sipCode ? ` ${step.sipCode}` : ''}` : step.type)).join(', ');
  const expected = { answered: 'started, answered, ended ANSWERED', cancel: 'started, ended UNANSWERED 487', busy: 'started, ended UNANSWERED 486' }[template.scenario];
  if (summary !== expected) throw new Error(`${template.scenario}: the tracker derives [${summary}] from a generated call, expected [${expected}]`);
  for (const { step, index } of steps) template.decidedBy[step.type] ??= index;
  template.steps = steps.length;
}

let templates: Record<Scenario, Template> | null = null;

function loadTemplates(): Record<Scenario, Template> {
  if (templates) return templates;
  const built = { answered: buildTemplate('answered'), cancel: buildTemplate('cancel'), busy: buildTemplate('busy') };
  for (const template of Object.values(built)) selfCheck(template);
  return (templates = built);
}

export function generateTraffic(options: TrafficOptions): Traffic {
  const all = loadTemplates();
  const random = prng(options.seed ?? 20_261_121);
  const callsPerS = options.callsPerS ?? 50;
  const pending: Array<{ tsUs: number; payload: Buffer; header: TemplateMessage['header']; call: number; index: number }> = [];
  const calls: GeneratedCall[] = [];
  const intervals: Array<[number, number]> = [];
  const mix: Record<Scenario, number> = { answered: 0, cancel: 0, busy: 0 };
  let startUs = options.startUs;
  let expectedSteps = 0;

  for (let n = 0; n < options.calls; n++) {
    if (n > 0) startUs += Math.round((-Math.log(1 - random()) / callsPerS) * 1e6);
    let pick = random();
    const scenario = MIX.find(([, share]) => (pick -= share) < 0)?.[0] ?? 'answered';
    const template = all[scenario];
    mix[scenario]++;
    const extension = String(FIRST_EXTENSION + Math.floor(random() * EXTENSIONS));
    const outbound = random() < OUTBOUND_SHARE;
    const caller = outbound ? extension : `+3185${digits(7, random)}`;
    const callee = outbound ? `+316${digits(8, random)}` : extension;
    const values = slotValues(template, n, caller, callee, random);

    const gaps = gapsOf(scenario, random);
    const phaseStart: number[] = [0];
    for (let p = 1; p < template.phases.length; p++) {
      const previous = template.phases[p - 1]!;
      phaseStart.push(phaseStart[p - 1]! + (previous.endUs - previous.startUs) + Math.round((gaps[p - 1] ?? 0) * 1e6));
    }
    let lastUs = startUs;
    template.messages.forEach((message, index) => {
      const tsUs = startUs + phaseStart[message.phase]! + (message.offsetUs - template.phases[message.phase]!.startUs);
      lastUs = tsUs;
      pending.push({ tsUs, payload: Buffer.from(fixContentLength(render(message, values)), 'utf8'), header: message.header, call: n, index });
    });
    intervals.push([startUs, lastUs]);
    calls.push({ callId: values[0]!, scenario, direction: outbound ? 'outbound' : 'inbound', decidedBy: {} });
    expectedSteps += template.steps;
  }

  // Live order: by capture time; a call's own messages keep their order on equal times.
  pending.sort((a, b) => a.tsUs - b.tsUs || a.call - b.call || a.index - b.index);
  let bytes = 0;
  const datagrams = pending.map((m, i) => {
    const call = calls[m.call]!;
    const decided = all[call.scenario].decidedBy;
    for (const type of ['started', 'answered', 'ended'] as const) if (decided[type] === m.index) call.decidedBy[type] = i;
    const datagram = encodeHep({ ...m.header, timestampUs: m.tsUs, captureId: options.captureId, payload: m.payload });
    bytes += datagram.length;
    return datagram;
  });

  // Most calls in progress at once: +1 at each start, -1 after each end.
  const edges = intervals.flatMap(([from, to]) => [[from, 1], [to, -1]] as const).sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let current = 0;
  let maxConcurrentCalls = 0;
  for (const [, delta] of edges) maxConcurrentCalls = Math.max(maxConcurrentCalls, (current += delta));

  return {
    datagrams,
    calls,
    expectedSteps,
    bytes,
    spanS: pending.length ? (pending.at(-1)!.tsUs - pending[0]!.tsUs) / 1e6 : 0,
    maxConcurrentCalls,
    mix,
    messagesPerCall: { answered: all.answered.messages.length, cancel: all.cancel.messages.length, busy: all.busy.messages.length },
  };
}
