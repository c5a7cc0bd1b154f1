// Where a call step becomes webhooks: parse → resolve users → (in one transaction) track each call,
// record its events and fan them out to deliveries → hand the fresh ones to the dispatcher.
import type { CallOrigin } from '../../calls/call.ts';
import { userRefs, type CallStep } from '../../calls/steps.ts';
import { type TrackedCall, applyStep } from '../../calls/tracker.ts';
import type { Clock } from '../../clock.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import { fanOut } from '../../delivery/fan-out.ts';
import { AppError } from '../../errors.ts';
import type { CallEvent } from '../../events/event.ts';
import { newId } from '../../ids.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ApplyStepsInput, IngestPlan, StepResult, Store } from '../../store/store.ts';
import type { Connection, Org } from '../../tenancy/org.ts';
import { type Plans, planHasWebhooks } from '../../tenancy/plans.ts';
import { parseIngestBody } from './parse.ts';

export interface IngestDeps {
  store: Store;
  clock: Clock;
  plans: Plans;
  metrics: Metrics;
  /** Lease for fresh deliveries: this process's dispatcher sends them at once. */
  lease: { owner: string; leaseMs: number };
  dispatch(jobs: DeliveryJob[]): void;
}

export interface IngestResult {
  accepted: number;
  results: StepResult[];
}

export interface Ingest {
  /** Resolves once everything is durably stored; throws AppError for bad input or a state conflict. */
  accept(org: Org, connection: Connection, body: unknown): Promise<IngestResult>;
  acceptSteps(org: Org, connection: Connection, steps: CallStep[]): Promise<IngestResult>;
}

export function createIngest(deps: IngestDeps): Ingest {
  const stepsTotal = deps.metrics.counter('callhook_ingest_steps_total', 'Call steps accepted, by result');
  const rejectedTotal = deps.metrics.counter('callhook_ingest_rejected_total', 'Ingest requests rejected');

  async function acceptSteps(org: Org, connection: Connection, steps: CallStep[]): Promise<IngestResult> {
    const users = await deps.store.users.resolve(org.id, steps.flatMap(userRefs));
    const origin: CallOrigin = {
      org: { id: org.id, domain: org.domain, defaultCountry: org.defaultCountry },
      connection: { id: connection.id, name: connection.name },
    };
    const now = deps.clock.now();
    const deliverable = planHasWebhooks(deps.plans, org.plan);

    const plan: ApplyStepsInput['plan'] = ({ calls, webhooks }): IngestPlan => {
      const working = new Map(calls);
      const changed = new Map<string, TrackedCall>();
      const events: CallEvent[] = [];
      const results: StepResult[] = [];
      const single = steps.length === 1;
      for (const [index, step] of steps.entries()) {
        const outcome = applyStep(working.get(step.callId) ?? null, step, { origin, users, now, newEventId: () => newId('evt') });
        if (outcome.kind === 'rejected') {
          const field = single ? outcome.field : `steps[${index}].${outcome.field}`;
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
      // Without webhooks in the plan, events are recorded but nothing is delivered.
      const deliveries = deliverable ? fanOut(events, webhooks, () => newId('dlv')) : [];
      return { kind: 'accepted', calls: [...changed.values()], events, deliveries, results };
    };

    const { plan: outcome, fresh } = await deps.store.calls.applySteps({
      orgId: org.id,
      connectionId: connection.id,
      callIds: [...new Set(steps.map((s) => s.callId))],
      now,
      lease: { owner: deps.lease.owner, until: now + deps.lease.leaseMs },
      plan,
    });
    if (outcome.kind === 'rejected') {
      rejectedTotal.inc();
      throw outcome.error;
    }
    deps.dispatch(fresh);
    for (const r of outcome.results) stepsTotal.inc(1, { result: r.status });
    return { accepted: steps.length, results: outcome.results };
  }

  return {
    async accept(org, connection, body) {
      let steps: CallStep[];
      try {
        steps = parseIngestBody(body);
      } catch (error) {
        rejectedTotal.inc();
        throw error;
      }
      return acceptSteps(org, connection, steps);
    },
    acceptSteps,
  };
}
