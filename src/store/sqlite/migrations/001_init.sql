-- callhook schema, version 1. Append-only: change the schema in a new numbered file.
-- Times are epoch milliseconds; JSON columns hold arrays/objects as text.

CREATE TABLE orgs (
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  domain              TEXT NOT NULL UNIQUE,
  plan                TEXT NOT NULL,
  notification_emails TEXT NOT NULL,
  default_country     TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
) STRICT;

CREATE TABLE connections (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  token_hash     TEXT NOT NULL UNIQUE,
  hep_capture_id INTEGER,
  hep_auth_key   TEXT,
  created_at     INTEGER NOT NULL,
  revoked_at     INTEGER
) STRICT;
CREATE INDEX connections_org ON connections (org_id, id);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,
  key_prefix   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
) STRICT;
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TABLE users (
  org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  extension  TEXT,
  email      TEXT COLLATE NOCASE,
  name       TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, id)
) STRICT;
CREATE UNIQUE INDEX users_extension ON users (org_id, extension) WHERE extension IS NOT NULL;
CREATE UNIQUE INDEX users_email ON users (org_id, email) WHERE email IS NOT NULL;

CREATE TABLE numbers (
  id         TEXT PRIMARY KEY,
  org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  number     TEXT NOT NULL,
  label      TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (org_id, number)
) STRICT;

CREATE TABLE webhooks (
  id                          TEXT PRIMARY KEY,
  org_id                      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  url                         TEXT NOT NULL,
  events                      TEXT NOT NULL,
  format                      TEXT NOT NULL,
  content_type                TEXT NOT NULL,
  api_token                   TEXT,
  description                 TEXT,
  retry_schedule_s            TEXT,
  timeout_ms                  INTEGER,
  secret                      TEXT NOT NULL,
  previous_secret             TEXT,
  previous_secret_expires_at  INTEGER,
  enabled                     INTEGER NOT NULL,
  disabled_reason             TEXT,
  disabled_at                 INTEGER,
  last_success_at             INTEGER,
  last_error                  TEXT,
  created_at                  INTEGER NOT NULL,
  updated_at                  INTEGER NOT NULL
) STRICT;
CREATE INDEX webhooks_org ON webhooks (org_id, id);

-- One row per call: the tracker's state (TrackedCall as JSON).
CREATE TABLE calls (
  org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  call_id       TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  state         TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (org_id, call_id)
) STRICT;
CREATE INDEX calls_recent ON calls (org_id, started_at);

CREATE TABLE events (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  call_id     TEXT NOT NULL,
  type        TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  data        TEXT NOT NULL
) STRICT;
CREATE INDEX events_call ON events (org_id, call_id);

-- seq orders deliveries (per-call chains, cursors); after_seq links a waiting delivery to the one
-- it waits for.
CREATE TABLE deliveries (
  seq               INTEGER PRIMARY KEY,
  id                TEXT NOT NULL UNIQUE,
  org_id            TEXT NOT NULL,
  webhook_id        TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id          TEXT NOT NULL,
  event_type        TEXT NOT NULL,
  call_id           TEXT NOT NULL,
  status            TEXT NOT NULL,
  after_seq         INTEGER,
  attempts          INTEGER NOT NULL DEFAULT 0,
  schedule_attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER,
  first_attempt_at  INTEGER,
  last_attempt_at   INTEGER,
  last_status       INTEGER,
  last_error        TEXT,
  content_type      TEXT NOT NULL,
  body              TEXT NOT NULL,
  lease_owner       TEXT,
  lease_until       INTEGER,
  lease_version     INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_chain ON deliveries (webhook_id, call_id, seq);
CREATE INDEX deliveries_waiting ON deliveries (after_seq) WHERE status = 'waiting';
CREATE INDEX deliveries_org ON deliveries (org_id, seq);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, status, seq);
CREATE INDEX deliveries_event ON deliveries (event_id);

CREATE TABLE attempts (
  seq                     INTEGER PRIMARY KEY,
  id                      TEXT NOT NULL UNIQUE,
  delivery_id             TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  org_id                  TEXT NOT NULL,
  webhook_id              TEXT NOT NULL,
  number                  INTEGER NOT NULL,
  trigger                 TEXT NOT NULL,
  started_at              INTEGER NOT NULL,
  duration_ms             INTEGER NOT NULL,
  url                     TEXT NOT NULL,
  request_headers         TEXT NOT NULL,
  status                  INTEGER,
  response_headers        TEXT,
  response_body           TEXT,
  response_body_truncated INTEGER NOT NULL,
  error                   TEXT,
  succeeded               INTEGER NOT NULL
) STRICT;
CREATE INDEX attempts_delivery ON attempts (delivery_id, seq);

CREATE TABLE notifications (
  id              TEXT PRIMARY KEY,
  org_id          TEXT NOT NULL,
  kind            TEXT NOT NULL,
  subject_id      TEXT NOT NULL,
  recipients      TEXT NOT NULL,
  subject         TEXT NOT NULL,
  text            TEXT NOT NULL,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error      TEXT,
  lease_owner     TEXT,
  lease_until     INTEGER,
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER
) STRICT;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_org ON notifications (org_id, id);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
