-- callhook schema on PostgreSQL, version 1. Append-only: change the schema in a new numbered file.
-- The same tables and columns as the SQLite store (times are epoch milliseconds, JSON is text),
-- so both backends share their row mappers. Per-call chains link by delivery id (after_id).

CREATE TABLE orgs (
  id                  text PRIMARY KEY,
  name                text NOT NULL,
  domain              text NOT NULL UNIQUE,
  plan                text NOT NULL,
  notification_emails text NOT NULL,
  default_country     text,
  created_at          bigint NOT NULL,
  updated_at          bigint NOT NULL
);

CREATE TABLE connections (
  id             text PRIMARY KEY,
  org_id         text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name           text NOT NULL,
  token_hash     text NOT NULL UNIQUE,
  hep_capture_id bigint,
  hep_auth_key   text,
  created_at     bigint NOT NULL,
  revoked_at     bigint
);
CREATE INDEX connections_org ON connections (org_id, id);

CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  org_id       text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name         text NOT NULL,
  key_hash     text NOT NULL UNIQUE,
  key_prefix   text NOT NULL,
  created_at   bigint NOT NULL,
  last_used_at bigint,
  revoked_at   bigint
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TABLE users (
  org_id     text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id         text NOT NULL,
  extension  text,
  email      text,
  name       text,
  created_at bigint NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX users_extension ON users (org_id, extension) WHERE extension IS NOT NULL;
CREATE UNIQUE INDEX users_email ON users (org_id, lower(email)) WHERE email IS NOT NULL;

CREATE TABLE numbers (
  id         text PRIMARY KEY,
  org_id     text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  number     text NOT NULL,
  label      text,
  created_at bigint NOT NULL,
  UNIQUE (org_id, number)
);

CREATE TABLE webhooks (
  id                         text PRIMARY KEY,
  org_id                     text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  url                        text NOT NULL,
  events                     text NOT NULL,
  format                     text NOT NULL,
  content_type               text NOT NULL,
  api_token                  text,
  description                text,
  retry_schedule_s           text,
  timeout_ms                 bigint,
  secret                     text NOT NULL,
  previous_secret            text,
  previous_secret_expires_at bigint,
  enabled                    boolean NOT NULL,
  disabled_reason            text,
  disabled_at                bigint,
  last_success_at            bigint,
  last_error                 text,
  created_at                 bigint NOT NULL,
  updated_at                 bigint NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

CREATE TABLE calls (
  org_id        text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  call_id       text NOT NULL,
  connection_id text NOT NULL,
  started_at    bigint NOT NULL,
  state         text NOT NULL,
  updated_at    bigint NOT NULL,
  PRIMARY KEY (org_id, call_id)
);
CREATE INDEX calls_recent ON calls (org_id, started_at);
CREATE INDEX calls_updated ON calls (updated_at);

CREATE TABLE events (
  id          text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  call_id     text NOT NULL,
  type        text NOT NULL,
  occurred_at bigint NOT NULL,
  created_at  bigint NOT NULL,
  data        text NOT NULL
);
CREATE INDEX events_call ON events (org_id, call_id);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE deliveries (
  seq               bigserial PRIMARY KEY,
  id                text NOT NULL UNIQUE,
  org_id            text NOT NULL,
  webhook_id        text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id          text NOT NULL,
  event_type        text NOT NULL,
  call_id           text NOT NULL,
  status            text NOT NULL,
  after_id          text,
  attempts          integer NOT NULL DEFAULT 0,
  schedule_attempts integer NOT NULL DEFAULT 0,
  next_attempt_at   bigint,
  first_attempt_at  bigint,
  last_attempt_at   bigint,
  last_status       integer,
  last_error        text,
  content_type      text NOT NULL,
  body              text NOT NULL,
  lease_owner       text,
  lease_until       bigint,
  lease_version     integer NOT NULL DEFAULT 0,
  created_at        bigint NOT NULL,
  updated_at        bigint NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_chain ON deliveries (webhook_id, call_id, seq);
CREATE INDEX deliveries_waiting ON deliveries (after_id) WHERE status = 'waiting';
CREATE INDEX deliveries_org ON deliveries (org_id, seq);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, status, seq);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_created ON deliveries (created_at);

CREATE TABLE attempts (
  seq                     bigserial PRIMARY KEY,
  id                      text NOT NULL UNIQUE,
  delivery_id             text NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  org_id                  text NOT NULL,
  webhook_id              text NOT NULL,
  number                  integer NOT NULL,
  trigger                 text NOT NULL,
  started_at              bigint NOT NULL,
  duration_ms             integer NOT NULL,
  url                     text NOT NULL,
  request_headers         text NOT NULL,
  status                  integer,
  response_headers        text,
  response_body           text,
  response_body_truncated boolean NOT NULL,
  error                   text,
  succeeded               boolean NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, seq);
CREATE INDEX attempts_started ON attempts (started_at);

CREATE TABLE notifications (
  id              text PRIMARY KEY,
  org_id          text NOT NULL,
  kind            text NOT NULL,
  subject_id      text NOT NULL,
  recipients      text NOT NULL,
  subject         text NOT NULL,
  text            text NOT NULL,
  status          text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  last_error      text,
  lease_owner     text,
  lease_until     bigint,
  created_at      bigint NOT NULL,
  sent_at         bigint
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_org ON notifications (org_id, id);

CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE workers (
  owner        text PRIMARY KEY,
  dispatches   boolean NOT NULL,
  started_at   bigint NOT NULL,
  last_seen_at bigint NOT NULL
);
