// A batch of attempt results in one transaction of two round trips, its own or an ingest batch's
// (ingest-queue.ts): the first locks and reads what the results meet (webhooks to weigh first, then
// deliveries, each in id order); the plan is made (delivery/transitions.ts); the second writes
// attempts, deliveries, webhook facts and releases the deliveries waiting behind finished ones,
// and commits. Disabling a webhook (rare) takes round trips of its own in between.
import { planResults, toConsult } from '../../delivery/transitions.ts';
import type { NewNotification } from '../../notify/notification.ts';
import type { RecordResultsInput, RecordResultsOutput, WebhookChange } from '../store.ts';
import { DELIVERY_STATE_COLUMNS, deliveryStateFrom, jobsOf, orgFrom, webhookFrom } from '../rows.ts';
import type { Queryable, ScriptTx } from './database.ts';
import { GENERIC_PLAN, type Statement } from './inline-sql.ts';
import { type PgChanges, disableWebhook, healthStatement } from './webhooks.ts';

/**
 * last_success_at is kept to this precision across processes. The disable rule compares it with a
 * delivery's first attempt a whole schedule (24 h) earlier, so a second's slack never matters.
 */
const SUCCESS_RESOLUTION_MS = 1_000;

// The batch's statements run on their generic plans (GENERIC_PLAN), made once per connection, not
// planned for their values on every batch: a batch is most often one or two results, and a custom
// plan sees those few where the generic one assumes more, so PostgreSQL would plan each again every
// time. Safe for these: each finds its rows by a whole key (ids, webhook ids) and the batch runs
// byKey (deliveries.ts), so a plan made on a young table probes those keys too (young-plans.test.ts).

/**
 * The deliveries waiting behind some, by after_id alone (migration 011: only a waiting delivery has
 * one), so the one index these look-ups can use is deliveries_waiting, probed by after_id, and a
 * plan made generically on a young table probes it too: they are planned once per connection, not
 * on every batch (young-plans.test.ts). With status = 'waiting' in them, such a plan walked an index
 * partial on that status (deliveries_webhook_waiting), or one holding it (deliveries_org_status).
 */
const WAITING_BEHIND = 'after_id = ANY($1)';

/**
 * Id order, for locks, that no index gives: ordered by the column itself, a plan made on the
 * statistics of a young table (a few distinct ids, so ten of them look like most of it) walked
 * deliveries_id_key in order rather than sort the few rows it found (the first look-up, with its
 * OR, did; the second sorts the same way, so the two lock in one order whatever their plans).
 */
const IN_ID_ORDER = "id || ''";

/** Whether a success at `at` is worth writing: this process wrote none of the webhook's within SUCCESS_RESOLUTION_MS. */
function successIsNews(successWritten: ReadonlyMap<string, number>, webhookId: string, at: number): boolean {
  return at - (successWritten.get(webhookId) ?? 0) >= SUCCESS_RESOLUTION_MS;
}

/** The calls of an ingest batch a result batch rides with (ingest-queue.ts), as column arrays. */
export interface RiddenCalls {
  orgIds: readonly string[];
  callIds: readonly string[];
}

const ALONE: RiddenCalls = { orgIds: [], callIds: [] };

/**
 * Records the batch; answers what the dispatcher needs and the changes of the webhooks it disabled,
 * to signal once committed. `successWritten`: when this process last wrote each webhook's last success.
 * `ridden`: the calls of the ingest batch whose transaction this one rides, if any: the latest
 * delivery of each of their chains is locked with the batch's own, in one statement.
 */
export async function recordResults(
  tx: ScriptTx,
  input: RecordResultsInput,
  successWritten: Map<string, number>,
  changes: PgChanges,
  ridden: RiddenCalls = ALONE,
): Promise<{ output: RecordResultsOutput; disables: WebhookChange[] }> {
  const { now, lease } = input;
  const consult = toConsult(input.outcomes);
  // Every webhook row the batch may write (health, last success or error, a disable) is locked
  // first and in id order, before any delivery row: the lock order everywhere, so batches and API
  // changes never deadlock. Processes exhausting deliveries of one webhook at once decide one after
  // the other. A webhook whose attempts all succeeded, that is not failing and whose last success
  // this process wrote less than a second ago is written nothing, so it is not locked: result
  // batches of several processes for one busy webhook do not queue behind each other on its row.
  const touched = [...new Set(input.outcomes.map((o) => o.job.webhookId))].sort();
  const mayWrite = new Set(consult.webhookIds);
  for (const { job, attempt } of input.outcomes) {
    if (!attempt.succeeded || successIsNews(successWritten, job.webhookId, attempt.startedAt)) mayWrite.add(job.webhookId);
  }
  const ids = [...new Set(input.outcomes.map((o) => o.job.deliveryId))].sort();
  // Organizations are consulted only for exhausted deliveries, which are rare: otherwise not read
  // at all (a read of none still costs the server a plan).
  const orgRead: Statement[] = consult.orgIds.length > 0 ? [['SELECT * FROM orgs WHERE id = ANY($1)', [consult.orgIds]]] : [];
  const [locked, lockedDeliveries, waitingBehind, orgs = []] = await tx.begin([
    ['SELECT * FROM webhooks WHERE id = ANY($1) AND (id = ANY($2) OR consecutive_failures > 0) ORDER BY id FOR NO KEY UPDATE', [touched, [...mayWrite]], GENERIC_PLAN],
    // With the deliveries waiting behind them, which a finished one releases: every delivery row
    // the batch may write is locked in one statement, in id order, as an ingest locks a call's
    // latest deliveries. Locking the waiting ones later, by the release, could deadlock with an
    // ingest that holds one (the latest of its call) and waits for one of this batch. Riding an
    // ingest, the latest delivery of each chain of its calls too (found among each call's own, by
    // deliveries_org_call): the ingest's write locks them again, already held. Locked there alone,
    // after these, two processes could each hold a delivery the other's ingest chains behind.
    [
      `SELECT ${DELIVERY_STATE_COLUMNS} FROM deliveries WHERE id = ANY($1) OR ${WAITING_BEHIND} OR id = ANY(ARRAY(
         SELECT l.id FROM unnest($2::text[], $3::text[]) AS k(org_id, call_id)
         CROSS JOIN LATERAL (SELECT DISTINCT ON (c.webhook_id) c.id FROM (
           SELECT id, webhook_id, seq FROM deliveries WHERE org_id = k.org_id AND call_id = k.call_id ORDER BY seq DESC OFFSET 0) c
           ORDER BY c.webhook_id, c.seq DESC) l))
       ORDER BY ${IN_ID_ORDER} FOR UPDATE`,
      [ids, ridden.orgIds, ridden.callIds],
      GENERIC_PLAN,
    ],
    // And those an ingest committed behind ours while that statement waited for its lock on ours:
    // invisible to it (its snapshot is older), seen by this one, locked before the plan is made
    // rather than by the release at the end (which an ingest chaining behind them could wait across).
    // What it finds is every delivery waiting behind the batch's until the batch commits: one
    // chaining behind a batch delivery has to lock it first, and then finds it as the batch leaves it.
    [`SELECT id, after_id FROM deliveries WHERE ${WAITING_BEHIND} ORDER BY ${IN_ID_ORDER} FOR UPDATE`, [ids], GENERIC_PLAN],
    ...orgRead,
  ]);
  const lockedIds = new Set(locked!.map((row) => String(row.id)));
  const wanted = new Set(consult.webhookIds);
  const inBatch = new Set(ids);
  const plan = planResults({
    outcomes: input.outcomes,
    deliveries: new Map(lockedDeliveries!.filter((row) => inBatch.has(String(row.id))).map((row) => [String(row.id), deliveryStateFrom(row)])),
    webhooks: new Map(locked!.filter((row) => wanted.has(String(row.id))).map((row) => [String(row.id), webhookFrom(row)])),
    orgs: new Map(orgs.map((row) => [String(row.id), orgFrom(row)])),
    now,
    onExhausted: input.onExhausted,
  });

  const writes: Statement[] = [];
  // Every attempt made counts for health, those of lost leases too: each tells how the receiver is.
  // (Those of unlocked webhooks are all successes on a webhook that is not failing: nothing to count.)
  const health = healthStatement(input.outcomes.filter((o) => lockedIds.has(o.job.webhookId)).map((o) => o.attempt));
  if (health) writes.push(health);
  // The attempts and the deliveries' new state in one statement. `d.id = ANY($18)` repeats the join's
  // ids so that every plan finds d's rows by them: joined alone, a plan made on a young table's
  // statistics read deliveries_id_key whole under a Materialize (young-plans.test.ts).
  const a = plan.attempts;
  const d = plan.deliveries;
  if (a.length > 0) writes.push([
    `WITH new_attempts AS (
       INSERT INTO attempts (id, delivery_id, org_id, webhook_id, number, trigger, started_at, duration_ms, url, request_headers,
         status, response_headers, response_body, response_body_truncated, error, succeeded)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bigint[], $8::int[], $9::text[], $10::text[],
         $11::int[], $12::text[], $13::text[], $14::boolean[], $15::text[], $16::boolean[])
     )
     UPDATE deliveries d SET status = u.status, attempts = u.attempts, schedule_attempts = u.schedule_attempts, next_attempt_at = u.next_at,
       first_attempt_at = u.first_at, last_attempt_at = u.last_at, last_status = u.last_status, last_error = u.last_error,
       lease_owner = NULL, lease_until = NULL, updated_at = $17
     FROM unnest($18::text[], $19::text[], $20::int[], $21::int[], $22::bigint[], $23::bigint[], $24::bigint[], $25::int[], $26::text[])
       AS u(id, status, attempts, schedule_attempts, next_at, first_at, last_at, last_status, last_error)
     WHERE d.id = u.id AND d.id = ANY($18)`,
    [
      a.map((x) => x.id), a.map((x) => x.deliveryId), a.map((x) => x.orgId), a.map((x) => x.webhookId),
      a.map((x) => x.number), a.map((x) => x.trigger), a.map((x) => x.startedAt), a.map((x) => x.durationMs), a.map((x) => x.url),
      a.map((x) => JSON.stringify(x.requestHeaders)), a.map((x) => x.status), a.map((x) => (x.responseHeaders ? JSON.stringify(x.responseHeaders) : null)),
      a.map((x) => x.responseBody), a.map((x) => x.responseBodyTruncated), a.map((x) => x.error), a.map((x) => x.succeeded),
      now, d.map((x) => x.id), d.map((x) => x.status), d.map((x) => x.attempts), d.map((x) => x.scheduleAttempts), d.map((x) => x.nextAttemptAt),
      d.map((x) => x.firstAttemptAt), d.map((x) => x.lastAttemptAt), d.map((x) => x.lastStatus), d.map((x) => x.lastError),
    ],
    GENERIC_PLAN,
  ]);

  // A webhook's row is written only when its facts change (one success per second is enough to
  // know it works; the same error again is no news): result batches of many processes for one busy
  // webhook then do not queue behind each other on that row.
  const facts = plan.webhooks
    .map((f) => (f.lastSuccessAt !== null && !successIsNews(successWritten, f.webhookId, f.lastSuccessAt) ? { ...f, lastSuccessAt: null } : f))
    .filter((f) => lockedIds.has(f.webhookId) && (f.lastSuccessAt !== null || f.lastError !== null));
  if (facts.length > 0) writes.push([
    `UPDATE webhooks w SET
       last_success_at = CASE WHEN COALESCE(w.last_success_at, 0) < f.success_at - $4::bigint THEN f.success_at ELSE w.last_success_at END,
       last_error = COALESCE(f.last_error, w.last_error)
     FROM unnest($1::text[], $2::bigint[], $3::text[]) AS f(id, success_at, last_error)
     WHERE w.id = f.id AND (COALESCE(w.last_success_at, 0) < f.success_at - $4::bigint OR w.last_error IS DISTINCT FROM COALESCE(f.last_error, w.last_error))`,
    [facts.map((f) => f.webhookId), facts.map((f) => f.lastSuccessAt), facts.map((f) => f.lastError), SUCCESS_RESOLUTION_MS],
    GENERIC_PLAN,
  ]);

  const disables: WebhookChange[] = [];
  if (plan.disables.length > 0) {
    await tx.send(writes.splice(0));
    for (const { webhookId, reason, notification } of plan.disables) {
      const change = await disableWebhook(tx.statements, webhookId, reason, now);
      if (notification) await insertNotification(tx.statements, notification, now);
      await changes.notify(tx.statements, change);
      disables.push(change);
    }
  }

  // The deliveries waiting behind finished ones are due now, leased to this process; their
  // webhooks are those of the finished ones (a chain is one webhook's). Only behind those the look
  // above found one waiting for: most finished deliveries have none, and the release and its
  // webhooks' read would change nothing.
  const releaseAt = writes.length;
  const waitedFor = new Set(waitingBehind!.map((row) => String(row.after_id)));
  const releaseAfter = plan.releaseAfter.filter((id) => waitedFor.has(id));
  if (releaseAfter.length > 0) {
    const released = new Set(releaseAfter);
    const webhookIds = [...new Set(input.outcomes.filter((o) => released.has(o.job.deliveryId)).map((o) => o.job.webhookId))];
    writes.push(
      [
        `UPDATE deliveries SET status = 'pending', after_id = NULL, next_attempt_at = $2, lease_owner = $3, lease_until = $4,
           lease_version = lease_version + 1, updated_at = $2 WHERE ${WAITING_BEHIND} RETURNING *`,
        [releaseAfter, now, lease.owner, lease.until],
        GENERIC_PLAN,
      ],
      ['SELECT * FROM webhooks WHERE id = ANY($1)', [webhookIds], GENERIC_PLAN],
    );
  }
  const results = await tx.commit(writes);
  const promoted = releaseAfter.length > 0 ? jobsOf(results[releaseAt]!, results[releaseAt + 1]!, now, false) : [];
  if (facts.length > 0) {
    if (successWritten.size > 10_000) successWritten.clear();
    for (const f of facts) if (f.lastSuccessAt !== null) successWritten.set(f.webhookId, f.lastSuccessAt);
  }
  return { output: { promoted, stale: plan.stale, disabledWebhooks: plan.disables.map((x) => x.webhookId) }, disables };
}

async function insertNotification(tx: Queryable, n: NewNotification, now: number): Promise<void> {
  await tx.run(
    `INSERT INTO notifications (id, org_id, kind, subject_id, recipients, subject, text, status, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)`,
    [n.id, n.orgId, n.kind, n.subjectId, JSON.stringify(n.to), n.subject, n.text, now, n.createdAt],
  );
}
