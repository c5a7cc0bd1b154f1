// The ingest API's steps on their way: parse → resolve users → plan and store them in one
// transaction (sources/plan-steps.ts) → hand the fresh deliveries to the dispatcher.
import type { CallOrigin } from '../../calls/call.ts';
import { needsOrgNumbers } from '../../calls/call-numbers.ts';
import { userRefs, type CallStep } from '../../calls/steps.ts';
import type { Clock } from '../../clock.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { StepResult, Store } from '../../store/store.ts';
import type { Connection, Org } from '../../tenancy/org.ts';
import { type Plans, planHasWebhooks } from '../../tenancy/plans.ts';
import { planSteps } from '../plan-steps.ts';
import type { Recording } from '../../recordings/recording.ts';
import { isBatch, parseIngestBody } from './parse.ts';

export interface IngestDeps {
  store: Store;
  clock: Clock;
  plans: Plans;
  metrics: Metrics;
  /** Lease for fresh deliveries: this process's dispatcher sends them at once; null leaves them to workers. */
  lease: { owner: string; leaseMs: number } | null;
  dispatch(jobs: DeliveryJob[]): void;
  /** How long a recording step's fetch may keep trying. */
  fetchDeadlineMs: number;
  /** Recording steps queued fetches (the fetcher may start at once). */
  fetchesQueued?: () => void;
}

/** What a recordings intake hands in with its step (recordings/recording-intake.ts). */
export interface StoredRecordingInput {
  /** The row written when the step joins the call. */
  recording?: Recording | undefined;
  /** The fetch job the step completes. */
  completesFetch?: string | undefined;
}

export interface IngestResult {
  accepted: number;
  results: StepResult[];
}

export interface Ingest {
  /** Resolves once everything is durably stored; throws AppError for bad input or a state conflict. */
  accept(org: Org, connection: Connection, body: unknown): Promise<IngestResult>;
  /** Steps from another source (already valid); `batch` says how to name fields in errors. */
  acceptSteps(org: Org, connection: Connection, steps: CallStep[], batch?: boolean, stored?: StoredRecordingInput): Promise<IngestResult>;
}

export function createIngest(deps: IngestDeps): Ingest {
  const stepsTotal = deps.metrics.counter('callhook_ingest_steps_total', 'Call steps accepted, by result', ['result']);
  const rejectedTotal = deps.metrics.counter('callhook_ingest_rejected_total', 'Ingest requests rejected');

  async function acceptSteps(org: Org, connection: Connection, steps: CallStep[], batch = steps.length > 1, stored: StoredRecordingInput = {}): Promise<IngestResult> {
    // Read with the calls, in the store's transaction: rules only matter to calls that end here
    // without a stated outcome, numbers only to started calls whose own side is an extension (or withheld).
    const reads = {
      userRefs: steps.flatMap(userRefs),
      rules: steps.some((step) => step.type === 'ended' && step.outcome === undefined),
      numbers: steps.some((step) => step.type === 'started' && needsOrgNumbers(step, org.defaultCountry)),
    };
    const origin: CallOrigin = {
      org: { id: org.id, domain: org.domain, defaultCountry: org.defaultCountry },
      connection: { id: connection.id, name: connection.name },
    };
    const now = deps.clock.now();

    const toPlan = { steps, origin, now, batch, connectionId: connection.id, fetchDeadlineMs: deps.fetchDeadlineMs, recording: stored.recording };
    const { plan: outcome, fresh } = await deps.store.calls.applySteps({
      orgId: org.id,
      connectionId: connection.id,
      callIds: [...new Set(steps.map((s) => s.callId))],
      now,
      lease: deps.lease && { owner: deps.lease.owner, until: now + deps.lease.leaseMs },
      completesFetch: stored.completesFetch,
      reads,
      // The plan as the transaction sees it, not as `org` was read before: a plan that just lost
      // webhooks delivers nothing from the moment it is answered.
      plan: (loaded) =>
        planSteps({ ...toPlan, users: loaded.users, rules: loaded.rules, numbers: loaded.numbers, deliverable: planHasWebhooks(deps.plans, loaded.org.plan) }, loaded),
    });
    if (outcome.kind === 'rejected') {
      rejectedTotal.inc();
      throw outcome.error;
    }
    deps.dispatch(fresh);
    if (outcome.fetches.length > 0) deps.fetchesQueued?.();
    for (const r of outcome.results) stepsTotal.inc(1, { result: r.status });
    return { accepted: steps.length, results: outcome.results };
  }

  return {
    async accept(org, connection, body) {
      let steps: CallStep[];
      try {
        steps = parseIngestBody(body, { defaultCountry: org.defaultCountry });
      } catch (error) {
        rejectedTotal.inc();
        throw error;
      }
      return acceptSteps(org, connection, steps, isBatch(body));
    },
    acceptSteps,
  };
}
