// Recordings' metadata and fetch jobs on SQLite (their bytes are files: recordings/file-recording-store.ts).
import type { RecordingIndex } from '../store.ts';
import { type Row, fetchFrom, recordingFrom } from '../rows.ts';
import type { CommitQueue, Database } from './database.ts';

/** Deliveries that are still owed: a recording they may link to stays. */
const OWED = "('pending', 'waiting', 'held')";

export function sqliteRecordings(db: Database, commits: CommitQueue): RecordingIndex {
  return {
    async forCall(orgId, callId) {
      const row = db.get<Row>('SELECT * FROM recordings WHERE org_id = ? AND call_id = ? ORDER BY created_at DESC, id DESC LIMIT 1', orgId, callId);
      return row ? recordingFrom(row) : null;
    },
    async byLinkKey(linkKey) {
      const row = db.get<Row>('SELECT * FROM recordings WHERE link_key = ?', linkKey);
      return row ? recordingFrom(row) : null;
    },
    async fetchForCall(orgId, callId) {
      const row = db.get<Row>('SELECT * FROM recording_fetches WHERE org_id = ? AND call_id = ? ORDER BY created_at DESC, id DESC LIMIT 1', orgId, callId);
      return row ? fetchFrom(row) : null;
    },
    claimFetches({ owner, now, leaseMs, limit }) {
      return commits.run(() =>
        db
          .all<Row>(
            `SELECT id FROM recording_fetches WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
             ORDER BY next_attempt_at LIMIT ?`,
            now, now, limit,
          )
          .map(({ id }) => fetchFrom(db.get<Row>('UPDATE recording_fetches SET lease_owner = ?, lease_until = ? WHERE id = ? RETURNING *', owner, now + leaseMs, id)!)),
      );
    },
    fetchFailed({ id, owner, error, nextAttemptAt, now }) {
      return commits.run(
        () =>
          db.run(
            `UPDATE recording_fetches SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
             WHERE id = ? AND status = 'pending' AND lease_owner = ?`,
            nextAttemptAt === null ? 'failed' : 'pending', error, nextAttemptAt, now, id, owner,
          ) > 0,
      );
    },
    markPurged({ before, now, limit }) {
      return commits.run(() =>
        db.run(
          `UPDATE recordings SET purged_at = ? WHERE id IN (
             SELECT r.id FROM recordings r WHERE r.purged_at IS NULL AND r.created_at < ?
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.org_id = r.org_id AND d.call_id = r.call_id AND d.status IN ${OWED})
             LIMIT ?)`,
          now, before, limit,
        ),
      );
    },
    async unlinkedBlobs(limit) {
      return db
        .all<Row>('SELECT id, org_id, blob_key FROM recordings WHERE purged_at IS NOT NULL AND blob_key IS NOT NULL ORDER BY purged_at LIMIT ?', limit)
        .map((row) => ({ id: String(row.id), orgId: String(row.org_id), blobKey: String(row.blob_key) }));
    },
    async blobDeleted(id) {
      await commits.run(() => db.run('UPDATE recordings SET blob_key = NULL WHERE id = ?', id));
    },
    purgeFetches({ before, limit }) {
      return commits.run(() =>
        db.run(`DELETE FROM recording_fetches WHERE id IN (SELECT id FROM recording_fetches WHERE status <> 'pending' AND updated_at < ? LIMIT ?)`, before, limit),
      );
    },
  };
}
