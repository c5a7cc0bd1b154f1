// Where call steps become webhooks, as a decision: track each call, collect the events its steps
// make, and fan them out to one delivery per matching webhook. Pure; the store runs it inside the
// transaction that writes the result. Every source (ingest API, HEP) plans its steps here.
import type { Call, CallOrigin, CallUser } from '../calls/call.ts';
import type { OrgNumbers } from '../calls/call-numbers.ts';
import type { OutcomeRules } from '../calls/outcome-rules.ts';
import type { CallStep, RecordingStep } from '../calls/steps.ts';
import type { NewRecordingFetch, Recording } from '../recordings/recording.ts';
import { type TrackedCall, applyStep } from '../calls/tracker.ts';
import { fanOut } from '../delivery/fan-out.ts';
import { type Webhook, wantsEvent } from '../delivery/webhook.ts';
import { hasRinkelNumbers } from '../formats/rinkel.ts';
import { AppError } from '../errors.ts';
import type { CallEvent } from '../events/event.ts';
import { newId } from '../ids.ts';
import type { IngestPlan, StepResult } from '../store/store.ts';

export interface StepsToPlan {
  steps: readonly CallStep[];
  origin: CallOrigin;
  users: ReadonlyMap<string, CallUser>;
  now: number;
  /** False when the organization's plan has no webhooks: events are recorded, nothing delivered. */
  deliverable: boolean;
  /** Names fields `steps[i].…` (a batch) rather than plainly (one step). */
  batch: boolean;
  /** The organization's outcome rules, for calls that end without a stated outcome. */
  rules: OutcomeRules | null;
  /** The organization's main and direct numbers, for started calls whose own side is an extension. */
  numbers: OrgNumbers;
  /** The connection the steps came from (a recording step's fetch belongs to it). */
  connectionId: string;
  /** How long a recording step's fetch may keep trying. */
  fetchDeadlineMs: number;
  /** The stored recording a recording-stored step brings: its row is written when the step applies. */
  recording?: Recording | undefined;
}

export function planSteps(input: StepsToPlan, loaded: { calls: ReadonlyMap<string, TrackedCall>; webhooks: readonly Webhook[] }): IngestPlan {
  const working = new Map(loaded.calls);
  const changed = new Map<string, TrackedCall>();
  const events: CallEvent[] = [];
  const results: StepResult[] = [];
  const fetches: NewRecordingFetch[] = [];
  const recordings: Recording[] = [];
  const context = { origin: input.origin, users: input.users, now: input.now, newEventId: () => newId('evt'), rules: input.rules, numbers: input.numbers };
  for (const [index, step] of input.steps.entries()) {
    const outcome = applyStep(working.get(step.callId) ?? null, step, context);
    if (outcome.kind === 'rejected') {
      const field = input.batch ? `steps[${index}].${outcome.field}` : outcome.field;
      return { kind: 'rejected', error: new AppError('CALL_STATE_CONFLICT', `${field}: ${outcome.detail}`, { field }) };
    }
    if (outcome.kind === 'duplicate') {
      results.push({ callId: step.callId, type: step.type, status: 'duplicate', eventId: outcome.eventId });
      continue;
    }
    working.set(step.callId, outcome.tracked);
    changed.set(step.callId, outcome.tracked);
    if (outcome.kind === 'deferred') {
      // A URL to fetch: the event comes once the file is stored (recordings/recording-fetcher.ts).
      const s = step as RecordingStep;
      fetches.push({
        id: newId('rfx', input.now), orgId: input.origin.org.id, connectionId: input.connectionId, callId: s.callId, url: s.url, eventId: outcome.eventId,
        at: s.at ?? input.now, subject: s.subject ?? null, description: s.description ?? null, deadlineAt: input.now + input.fetchDeadlineMs, createdAt: input.now,
      });
      results.push({ callId: step.callId, type: step.type, status: 'fetching', eventId: outcome.eventId });
      continue;
    }
    if (step.type === 'recording-stored' && input.recording) recordings.push(input.recording);
    events.push(outcome.event);
    const result: StepResult = { callId: step.callId, type: step.type, status: 'applied', eventId: outcome.event.id };
    if (step.type === 'started') {
      const warnings = rinkelWarnings(outcome.event.call, loaded.webhooks, input.batch ? `steps[${index}].` : '');
      if (warnings.length > 0) result.warnings = warnings;
    }
    results.push(result);
  }
  const deliveries = input.deliverable ? fanOut(events, loaded.webhooks, () => newId('dlv')) : [];
  return { kind: 'accepted', calls: [...changed.values()], events, deliveries, results, fetches, recordings };
}

/**
 * Said once, on the started step: a call with no E.164 number on a side has no Rinkel form (formats/rinkel.ts),
 * so the organization's Rinkel webhooks will not get it.
 */
function rinkelWarnings(call: Call, webhooks: readonly Webhook[], prefix: string): Array<{ field: string; detail: string }> {
  if (hasRinkelNumbers(call)) return [];
  const type = call.direction === 'inbound' ? 'call.incoming' : 'call.outgoing';
  if (!webhooks.some((w) => w.format === 'rinkel' && wantsEvent(w, type))) return [];
  const ours = call.direction === 'inbound' ? 'to' : 'from';
  const warnings: Array<{ field: string; detail: string }> = [];
  for (const side of ['from', 'to'] as const) {
    if (call.e164[side] !== null) continue;
    const detail =
      side === ours
        ? `"${call[side]}" has no E.164 number: give its user a direct number or the organization a main number; until then, Rinkel webhooks do not get this call`
        : `"${call[side]}" is no E.164 number (an internal call?): Rinkel webhooks do not get this call`;
    warnings.push({ field: `${prefix}${side}`, detail });
  }
  return warnings;
}
