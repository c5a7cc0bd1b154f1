// The least settings version a job may carry, per webhook and per organization, from the changes
// this process was told about (webhook-changes.ts). What is queued when a change comes is dropped
// then; a floor catches the jobs of store calls (claim, ingest, results) that read the old settings
// and return later — seconds at most, so keeping floors for a lease is plenty.
import type { WebhookChange } from '../store/store.ts';
import type { DeliveryJob } from './delivery.ts';

export interface SettingsFloors {
  /** Built from settings older than a change this process was told about. */
  isStale(job: DeliveryJob): boolean;
  /** Raises the floors a change names (forgetting floors older than `keepMs`); answers which jobs it makes stale. */
  raise(change: WebhookChange | 'all', now: number): (job: DeliveryJob) => boolean;
}

export function createSettingsFloors(keepMs: number): SettingsFloors {
  /** 'w:<webhook id>' and 'o:<org id>' → the version, and when it was raised. */
  const floors = new Map<string, { version: number; at: number }>();
  const floorOf = (key: string) => floors.get(key)?.version ?? 0;
  const isStale = (job: DeliveryJob) => job.target.settingsVersion < Math.max(floorOf(`w:${job.webhookId}`), floorOf(`o:${job.orgId}`));

  function raiseKey(key: string, version: number, now: number): void {
    if (floorOf(key) < version) floors.set(key, { version, at: now });
  }

  return {
    isStale,
    raise(change, now) {
      for (const [key, floor] of floors) if (now - floor.at > keepMs) floors.delete(key);
      if (change === 'all') return () => true; // changes may have been missed: nothing held is trusted
      for (const webhookId of change.webhookIds) raiseKey(`w:${webhookId}`, change.version, now);
      for (const orgId of change.orgIds) raiseKey(`o:${orgId}`, change.version, now);
      return isStale;
    },
  };
}
