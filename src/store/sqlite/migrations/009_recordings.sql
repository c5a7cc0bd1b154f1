-- Recordings callhook keeps (src/recordings/): each stored file's metadata (its bytes are files in
-- the data folder), the durable jobs that fetch a recording a phone system pointed at, and the
-- origins a connection's recordings may be fetched from (a PBX on a private network).
ALTER TABLE connections ADD COLUMN recording_sources TEXT;

CREATE TABLE recordings (
  id            TEXT PRIMARY KEY,
  org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  call_id       TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  link_key      TEXT NOT NULL UNIQUE,
  content_type  TEXT NOT NULL,
  bytes         INTEGER NOT NULL,
  duration_ms   INTEGER,
  sha256        TEXT NOT NULL,
  -- NULL once retention deleted the bytes.
  blob_key      TEXT,
  created_at    INTEGER NOT NULL,
  purged_at     INTEGER
) STRICT;
CREATE INDEX recordings_call ON recordings (org_id, call_id);
CREATE INDEX recordings_live ON recordings (created_at) WHERE purged_at IS NULL;
CREATE INDEX recordings_unlinked ON recordings (purged_at) WHERE purged_at IS NOT NULL AND blob_key IS NOT NULL;

CREATE TABLE recording_fetches (
  id              TEXT PRIMARY KEY,
  org_id          TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  connection_id   TEXT NOT NULL,
  call_id         TEXT NOT NULL,
  url             TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  at              INTEGER NOT NULL,
  subject         TEXT,
  description     TEXT,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  deadline_at     INTEGER NOT NULL,
  last_error      TEXT,
  lease_owner     TEXT,
  lease_until     INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX recording_fetches_due ON recording_fetches (next_attempt_at) WHERE status = 'pending';
CREATE INDEX recording_fetches_call ON recording_fetches (org_id, call_id);
CREATE INDEX recording_fetches_age ON recording_fetches (updated_at) WHERE status <> 'pending';
