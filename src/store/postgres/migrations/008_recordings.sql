-- Recordings callhook keeps (src/recordings/): each stored file's metadata, its bytes in chunks
-- (recording_chunks; unless CALLHOOK_RECORDINGS_DIR puts them in a shared folder), the durable
-- jobs that fetch a recording a phone system pointed at, and the origins a connection's
-- recordings may be fetched from (a PBX on a private network).
ALTER TABLE connections ADD COLUMN recording_sources text;

CREATE TABLE recordings (
  id            text PRIMARY KEY,
  org_id        text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  call_id       text NOT NULL,
  connection_id text NOT NULL,
  link_key      text NOT NULL UNIQUE,
  content_type  text NOT NULL,
  bytes         bigint NOT NULL,
  duration_ms   bigint,
  sha256        text NOT NULL,
  -- NULL once retention deleted the bytes.
  blob_key      text,
  created_at    bigint NOT NULL,
  purged_at     bigint
);
CREATE INDEX recordings_call ON recordings (org_id, call_id);
CREATE INDEX recordings_live ON recordings (created_at) WHERE purged_at IS NULL;
CREATE INDEX recordings_unlinked ON recordings (purged_at) WHERE purged_at IS NOT NULL AND blob_key IS NOT NULL;

-- A file's chunks (seq 1…n), and its marker (seq 0), written last: the file is whole once it is there
-- (an upload cut short leaves chunks without one: swept).
CREATE TABLE recording_chunks (
  org_id     text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  blob_key   text NOT NULL,
  seq        integer NOT NULL,
  data       bytea NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (org_id, blob_key, seq)
);
CREATE INDEX recording_chunks_age ON recording_chunks (created_at) WHERE seq = 1;

CREATE TABLE recording_fetches (
  id              text PRIMARY KEY,
  org_id          text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  connection_id   text NOT NULL,
  call_id         text NOT NULL,
  url             text NOT NULL,
  event_id        text NOT NULL,
  at              bigint NOT NULL,
  subject         text,
  description     text,
  status          text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  deadline_at     bigint NOT NULL,
  last_error      text,
  lease_owner     text,
  lease_until     bigint,
  created_at      bigint NOT NULL,
  updated_at      bigint NOT NULL
);
CREATE INDEX recording_fetches_due ON recording_fetches (next_attempt_at) WHERE status = 'pending';
CREATE INDEX recording_fetches_call ON recording_fetches (org_id, call_id);
CREATE INDEX recording_fetches_age ON recording_fetches (updated_at) WHERE status <> 'pending';
