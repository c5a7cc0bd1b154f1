// Webhook and organization changes, each one operation that routes (v1, Rinkel) call: one store
// transaction, then one signal that every process acts on before the change is answered.
//
// Once a change is answered, no process sends an attempt with the old settings:
// 1. The transaction gives each affected webhook a new settings version (one growing counter,
//    drawn after the rows are locked) and, on PostgreSQL, NOTIFYs — delivered at commit.
// 2. Every delivery job carries the version it was built from. A process told of a change raises
//    its floor for those webhooks (or organizations) and never sends a job below it: queued jobs go
//    back to the store (which builds them again with the new settings, or holds them), and so do
//    jobs that a claim, an ingest or a result batch read just before the commit and return after.
// 3. Each process (the one that made the change in-process, the others through LISTEN) drops
//    what it holds, aborts its attempts in flight with older settings (recorded as aborted, due
//    again: not the receiver's failure), and then acknowledges. The operation answers once every
//    live process (heartbeat in `workers`) has.
// A process that does not acknowledge within the longest attempt deadline (plus slack) is taken
// for gone or cut off from the database; the change is answered anyway and the delay logged. A
// process whose LISTEN connection was re-opened drops everything it held (it may have missed
// changes), so the same holds for it once it is back.
import type { Clock } from '../clock.ts';
import { notFound } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { ChangeFeed, OrgPatch, Store, WebhookChange, WebhookEdit } from '../store/store.ts';
import type { Org } from '../tenancy/org.ts';
import { type Plans, planHasWebhooks } from '../tenancy/plans.ts';
import { STALE_AFTER_MS } from './presence.ts';
import { newSigningSecret } from './signature.ts';
import type { TargetPolicy } from './target-guard.ts';
import type { Webhook, WebhookPatch } from './webhook.ts';
import { PREVIOUS_SECRET_GRACE_MS, assertAllowedTarget, assertTimeoutFits, withoutBlanks } from './webhook-settings.ts';

/** Time for the other processes to hear of a change, beyond their longest attempt in flight. */
const ACK_SLACK_MS = 2_000;

/** One change of a webhook, as the API asks for it. */
export interface WebhookChangeRequest {
  settings?: WebhookPatch | undefined;
  /** true: enable; false: disable (holding what it owes) with `disabledReason`. */
  enabled?: boolean | undefined;
  disabledReason?: string | undefined;
  /** A new signing secret; the old one keeps signing for PREVIOUS_SECRET_GRACE_MS. */
  rotateSecret?: boolean | undefined;
}

export interface WebhookChanges {
  /** Checks and applies the request; answers the changed webhook. NOT_FOUND for another organization's or no webhook. */
  change(orgId: string, webhookId: string, request: WebhookChangeRequest): Promise<Webhook>;
  delete(orgId: string, webhookId: string): Promise<void>;
  /** Holds what the organization owes when its plan loses webhooks. */
  updateOrg(orgId: string, patch: OrgPatch): Promise<Org>;
  deleteOrg(orgId: string): Promise<void>;
}

export interface WebhookChangesDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  plans: Plans;
  targetPolicy: TargetPolicy;
  /** config.delivery.maxTimeoutMs: no attempt in flight lasts longer. */
  maxTimeoutMs: number;
  /** This process's owner id (its dispatcher's, and its heartbeat's). */
  owner: string;
}

export function createWebhookChanges(deps: WebhookChangesDeps): WebhookChanges {
  const { store, clock, log, owner } = deps;

  /** Waits until every live process has acted on the change (see the head of this file). */
  async function propagated(change: WebhookChange): Promise<void> {
    const late = await store.changes.awaitAcknowledged({
      version: change.version,
      self: owner,
      now: clock.now(),
      staleAfterMs: STALE_AFTER_MS,
      timeoutMs: deps.maxTimeoutMs + ACK_SLACK_MS,
    });
    if (late.length > 0) log.warn({ change, processes: late }, 'webhook change answered before these processes acknowledged it (gone, or cut off from the database?)');
  }

  return {
    async change(orgId, webhookId, request) {
      // A blank description or API token is none (real clients choke on "" in lists).
      const settings = request.settings && withoutBlanks(request.settings);
      if (settings) {
        assertTimeoutFits(settings.timeoutMs, deps.maxTimeoutMs);
        if (settings.url !== undefined) await assertAllowedTarget(settings.url, deps.targetPolicy);
      }
      const now = clock.now();
      const edit: WebhookEdit = {
        settings,
        state: request.enabled === undefined ? undefined : request.enabled ? { enabled: true } : { enabled: false, reason: request.disabledReason ?? 'disabled through the API' },
        secret: request.rotateSecret ? { secret: newSigningSecret(), previousExpiresAt: now + PREVIOUS_SECRET_GRACE_MS } : undefined,
      };
      const changed = await store.webhooks.change(orgId, webhookId, edit, now);
      if (!changed) throw notFound('Webhook', webhookId);
      await propagated(changed.change);
      return changed.value;
    },

    async delete(orgId, webhookId) {
      const change = await store.webhooks.delete(orgId, webhookId);
      if (!change) throw notFound('Webhook', webhookId);
      await propagated(change);
    },

    async updateOrg(orgId, patch) {
      // Without webhooks in the plan nothing more is sent; what was owed is held for a later replay.
      const lostWebhooks = (before: Org, after: Org) => planHasWebhooks(deps.plans, before.plan) && !planHasWebhooks(deps.plans, after.plan);
      const updated = await store.orgs.update(orgId, patch, clock.now(), lostWebhooks);
      if (!updated) throw notFound('Organization', orgId);
      if (updated.change) await propagated(updated.change);
      return updated.org;
    },

    async deleteOrg(orgId) {
      const change = await store.orgs.delete(orgId);
      if (!change) throw notFound('Organization', orgId);
      await propagated(change);
    },
  };
}

/**
 * Makes this process act on every change: its dispatcher drops what it holds built from older
 * settings, then the process acknowledges. Returns the function that stops following.
 */
export function followWebhookChanges(deps: {
  changes: ChangeFeed;
  dispatcher: { settingsChanged(change: WebhookChange | 'all'): Promise<void> };
  owner: string;
  log: Logger;
}): () => void {
  return deps.changes.subscribe((change) => {
    void deps.dispatcher
      .settingsChanged(change)
      .then(() => (change === 'all' ? undefined : deps.changes.acknowledge(change.version, deps.owner)))
      .catch((error) => deps.log.error({ err: error, change }, 'could not acknowledge a webhook change'));
  });
}
