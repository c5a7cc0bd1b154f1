// Where call steps become webhooks, as a decision: track each call, collect the events its steps
// make, and fan them out to one delivery per matching webhook. Pure; the store runs it inside the
// transaction that writes the result. Every source (ingest API, HEP) plans its steps here.
import type { CallOrigin, CallUser } from '../calls/call.ts';
import type { OutcomeRules } from '../calls/outcome-rules.ts';
import type { CallStep } from '../calls/steps.ts';
import { type TrackedCall, applyStep } from '../calls/tracker.ts';
import { fanOut } from '../delivery/fan-out.ts';
import type { Webhook } from '../delivery/webhook.ts';
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
}

export function planSteps(input: StepsToPlan, loaded: { calls: ReadonlyMap<string, TrackedCall>; webhooks: readonly Webhook[] }): IngestPlan {
  const working = new Map(loaded.calls);
  const changed = new Map<string, TrackedCall>();
  const events: CallEvent[] = [];
  const results: StepResult[] = [];
  const context = { origin: input.origin, users: input.users, now: input.now, newEventId: () => newId('evt'), rules: input.rules };
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
    events.push(outcome.event);
    results.push({ callId: step.callId, type: step.type, status: 'applied', eventId: outcome.event.id });
  }
  const deliveries = input.deliverable ? fanOut(events, loaded.webhooks, () => newId('dlv')) : [];
  return { kind: 'accepted', calls: [...changed.values()], events, deliveries, results };
}
