// Several ingest requests in one transaction of two round trips, whatever their number. The first
// locks their calls and reads the calls, organizations, webhooks and the directory the plans read
// (users, numbers, outcome rules); each request is then planned in arrival order on the state the
// ones before it left; the second writes every call, event and delivery in one statement and commits. Steps of one call may reach several processes at once: a
// transaction-scoped advisory lock per call serializes them. The write locks the latest delivery
// of each (webhook, call) it chains behind and picks the new ones' status from it, so a result
// being recorded elsewhere either sees the new delivery to release or is seen by it as finished;
// that lock is held only while the server runs the write and the commit, never across a round trip.
import type { TrackedCall } from '../../calls/tracker.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import type { Org } from '../../tenancy/org.ts';
import type { ApplyStepsInput, ApplyStepsResult, IngestPlan } from '../store.ts';
import { FETCH_COLUMNS, RECORDING_COLUMNS, fetchValues, jobFrom, orgFrom, recordingValues, trackedCallFrom, webhookFrom } from '../rows.ts';
import { notFound } from '../../errors.ts';
import type { ScriptTx } from './database.ts';
import { GENERIC_PLAN, type Statement } from './inline-sql.ts';
import { BatchRows, DeliveryChains } from './ingest-rows.ts';
import { directoryReads } from './directory-reads.ts';
import { DUE_CHANNEL } from './due-listener.ts';

/** Each request's own outcome: a request whose plan throws fails alone. */
export type Settled = { ok: true; value: ApplyStepsResult } | { ok: false; error: unknown };

type Accepted = Extract<IngestPlan, { kind: 'accepted' }>;

/**
 * The reads of a batch of one organization, the usual case. With scalar parameters a prepared
 * statement's generic plan is the custom one, so it is planned once per connection; with arrays
 * (`= ANY($1)`) the server found a custom plan cheaper on every run and planned each one again:
 * ~45 µs of its CPU per read, four times the read itself. Organizations and webhooks are few and
 * change slowly, so a generic plan made on them stays right. (The directory's reads are shaped
 * apart so that theirs probe keys too: directory-reads.ts.)
 */
const ONE_ORG_READS = {
  org: 'SELECT * FROM orgs WHERE id = $1 FOR KEY SHARE',
  webhooks: 'SELECT * FROM webhooks WHERE org_id = $1 ORDER BY id FOR KEY SHARE',
} as const;

/** A call across organizations: the key of its advisory lock. */
export const callKey = (orgId: string, callId: string) => `${orgId}/${callId}`;

/** The calls a batch's requests touch, each once: their advisory-lock keys, and their keys as column arrays. */
export function callsOf(inputs: readonly ApplyStepsInput[]): { keys: string[]; orgIds: string[]; callIds: string[] } {
  const pairs = new Map<string, { orgId: string; callId: string }>();
  for (const input of inputs) for (const callId of input.callIds) pairs.set(callKey(input.orgId, callId), { orgId: input.orgId, callId });
  return { keys: [...pairs.keys()], orgIds: [...pairs.values()].map((p) => p.orgId), callIds: [...pairs.values()].map((p) => p.callId) };
}

export async function applyBatch(tx: ScriptTx, inputs: readonly ApplyStepsInput[]): Promise<Settled[]> {
  const { keys: pairKeys, orgIds: pairOrgs, callIds: pairCalls } = callsOf(inputs);
  const orgIds = [...new Set(inputs.map((i) => i.orgId))].sort();
  const directory = directoryReads(inputs);
  const oneOrg = orgIds.length === 1 ? orgIds[0]! : null;
  const [, loaded, orgRows, webhookRows, ...directoryRows] = await tx.begin([
    // Sorted by the server, so any two transactions take the locks of shared calls in the same order.
    ['SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT unnest($1::text[]) AS k ORDER BY 1) keys', [pairKeys]],
    // The reads run byKey (ingest-queue.ts), so the calls are read on plans made once per
    // connection that probe the whole primary key, whatever size `calls` had when they were made
    // (young-plans.test.ts).
    pairKeys.length === 1
      ? ['SELECT org_id, call_id, state FROM calls WHERE org_id = $1 AND call_id = $2', [pairOrgs[0], pairCalls[0]], GENERIC_PLAN]
      : [
          // Each call on its own (LATERAL, fenced by OFFSET 0): as a join, a plan made on a young
          // table's statistics read calls whole and matched the keys to them.
          `SELECT c.org_id, c.call_id, c.state FROM unnest($1::text[], $2::text[]) AS k(org_id, call_id)
           CROSS JOIN LATERAL (SELECT org_id, call_id, state FROM calls WHERE org_id = k.org_id AND call_id = k.call_id OFFSET 0) c`,
          [pairOrgs, pairCalls],
          GENERIC_PLAN,
        ],
    // Under KEY SHARE: a change of an organization's plan or of a webhook's settings (FOR UPDATE)
    // commits before this read or waits for this transaction, never between read and write.
    oneOrg ? [ONE_ORG_READS.org, [oneOrg]] : ['SELECT * FROM orgs WHERE id = ANY($1) ORDER BY id FOR KEY SHARE', [orgIds]],
    oneOrg ? [ONE_ORG_READS.webhooks, [oneOrg]] : ['SELECT * FROM webhooks WHERE org_id = ANY($1) ORDER BY id FOR KEY SHARE', [orgIds]],
    ...directory.statements,
  ]);
  const state = new Map<string, TrackedCall>();
  for (const row of loaded!) state.set(callKey(String(row.org_id), String(row.call_id)), trackedCallFrom(String(row.state)));
  const orgs = new Map<string, Org>(orgRows!.map((row) => [String(row.id), orgFrom(row)]));
  const webhooksOf = new Map<string, Webhook[]>();
  for (const row of webhookRows!) {
    const webhook = webhookFrom(row);
    const list = webhooksOf.get(webhook.orgId);
    if (list) list.push(webhook);
    else webhooksOf.set(webhook.orgId, [webhook]);
  }
  /** Calls already in the store: their latest deliveries are there too, to chain behind. */
  const stored = new Set(state.keys());

  // Each request planned on what the ones before it in this batch left (arrival order).
  const settled: Settled[] = [];
  const accepted: Array<{ input: ApplyStepsInput; plan: Accepted; index: number }> = [];
  inputs.forEach((input, index) => {
    try {
      const org = orgs.get(input.orgId);
      if (!org) throw notFound('Organization', input.orgId);
      const calls = new Map<string, TrackedCall>();
      for (const callId of input.callIds) {
        const known = state.get(callKey(input.orgId, callId));
        if (known) calls.set(callId, known);
      }
      const plan = input.plan({ calls, webhooks: webhooksOf.get(input.orgId) ?? [], org, ...directory.readsOf(directoryRows, input) });
      settled.push({ ok: true, value: { plan, fresh: [] } });
      if (plan.kind === 'rejected') return;
      for (const tracked of plan.calls) state.set(callKey(input.orgId, tracked.call.callId), tracked);
      accepted.push({ input, plan, index });
    } catch (error) {
      settled.push({ ok: false, error });
    }
  });

  const write = new BatchRows();
  const chains = new DeliveryChains();
  const statements: Statement[] = [];
  let wake = false;
  for (const { input, plan } of accepted) {
    // Recordings and their fetch jobs are rare: statements of their own.
    for (const fetch of plan.fetches) statements.push([`INSERT INTO recording_fetches (${FETCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, fetchValues(fetch)]);
    for (const recording of plan.recordings) statements.push([`INSERT INTO recordings (${RECORDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, recordingValues(recording)]);
    if (input.completesFetch) {
      statements.push(["UPDATE recording_fetches SET status = 'done', attempts = attempts + 1, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2", [input.now, input.completesFetch]]);
    }
    for (const d of plan.deliveries) {
      const link = chains.next(input.orgId, d.webhookId, d.callId, d.id, d.held, stored.has(callKey(input.orgId, d.callId)));
      write.delivery(input, d, link);
      // Left for any worker if it is due: wake them when this commits.
      if (input.lease === null) wake ||= link.ifOpen.status === 'pending' || link.ifClosed.status === 'pending';
    }
    for (const tracked of plan.calls) write.call(input, tracked);
    for (const event of plan.events) write.event(input, event);
  }
  const writeAt = statements.length;
  if (!write.empty) statements.push(write.statement(chains.latestKeys()));
  if (wake) statements.push([`SELECT pg_notify('${DUE_CHANNEL}', '')`]);
  const written = await tx.commit(statements);

  // What this process sends at once: the new deliveries that are due and leased to it.
  const statusOf = new Map((write.empty ? [] : written[writeAt]!).map((row) => [String(row.id), String(row.status)]));
  for (const { input, plan, index } of accepted) {
    const fresh: DeliveryJob[] = [];
    if (input.lease !== null) {
      const webhooks = new Map((webhooksOf.get(input.orgId) ?? []).map((w) => [w.id, w]));
      for (const d of plan.deliveries) {
        if (statusOf.get(d.id) !== 'pending') continue;
        const row = {
          id: d.id, org_id: d.orgId, webhook_id: d.webhookId, event_type: d.eventType, call_id: d.callId, content_type: d.contentType, body: d.body,
          attempts: 0, schedule_attempts: 0, first_attempt_at: null, created_at: input.now, lease_owner: input.lease.owner, lease_version: 1, lease_until: input.lease.until,
        };
        fresh.push(jobFrom(row, webhooks.get(d.webhookId)!, input.now, false));
      }
    }
    settled[index] = { ok: true, value: { plan, fresh } };
  }
  return settled;
}
