// Recordings' metadata and fetch jobs on PostgreSQL (their bytes: postgres/recording-chunks.ts, or
// files in a folder every process shares). Fetch jobs are claimed with SKIP LOCKED leases.
import type { RecordingIndex } from '../store.ts';
import { type Row, fetchFrom, recordingFrom } from '../rows.ts';
import type { PgDatabase } from './database.ts';

/** Deliveries that are still owed: a recording they may link to stays. */
const OWED = "('pending', 'waiting', 'held')";

export function postgresRecordings(db: PgDatabase): RecordingIndex {
  return {
    async forCall(orgId, callId) {
      const row = await db.one<Row>('SELECT * FROM recordings WHERE org_id = $1 AND call_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1', [orgId, callId]);
      return row ? recordingFrom(row) : null;
    },
    async byLinkKey(linkKey) {
      const row = await db.one<Row>('SELECT * FROM recordings WHERE link_key = $1', [linkKey]);
      return row ? recordingFrom(row) : null;
    },
    async fetchForCall(orgId, callId) {
      const row = await db.one<Row>('SELECT * FROM recording_fetches WHERE org_id = $1 AND call_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1', [orgId, callId]);
      return row ? fetchFrom(row) : null;
    },
    async claimFetches({ owner, now, leaseMs, limit }) {
      const rows = await db.rows<Row>(
        `UPDATE recording_fetches SET lease_owner = $1, lease_until = $2 WHERE id IN (
           SELECT id FROM recording_fetches WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
           ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [owner, now + leaseMs, now, limit],
      );
      return rows.map(fetchFrom);
    },
    async fetchFailed({ id, owner, error, nextAttemptAt, now }) {
      const changed = await db.run(
        `UPDATE recording_fetches SET status = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, lease_owner = NULL, lease_until = NULL, updated_at = $4
         WHERE id = $5 AND status = 'pending' AND lease_owner = $6`,
        [nextAttemptAt === null ? 'failed' : 'pending', error, nextAttemptAt, now, id, owner],
      );
      return changed > 0;
    },
    markPurged({ before, now, limit }) {
      return db.run(
        `UPDATE recordings SET purged_at = $1 WHERE id IN (
           SELECT r.id FROM recordings r WHERE r.purged_at IS NULL AND r.created_at < $2
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.org_id = r.org_id AND d.call_id = r.call_id AND d.status IN ${OWED})
           LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [now, before, limit],
      );
    },
    async unlinkedBlobs(limit) {
      const rows = await db.rows<Row>('SELECT id, org_id, blob_key FROM recordings WHERE purged_at IS NOT NULL AND blob_key IS NOT NULL ORDER BY purged_at LIMIT $1', [limit]);
      return rows.map((row) => ({ id: String(row.id), orgId: String(row.org_id), blobKey: String(row.blob_key) }));
    },
    async blobDeleted(id) {
      await db.run('UPDATE recordings SET blob_key = NULL WHERE id = $1', [id]);
    },
    purgeFetches({ before, limit }) {
      return db.run(
        `DELETE FROM recording_fetches WHERE id IN (SELECT id FROM recording_fetches WHERE status <> 'pending' AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
    },
  };
}
