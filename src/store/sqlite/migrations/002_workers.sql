-- Live processes: dispatchers share each webhook's in-flight cap among those alive.
CREATE TABLE workers (
  owner        TEXT PRIMARY KEY,
  dispatches   INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) STRICT;

-- Retention walks old rows by time.
CREATE INDEX attempts_started ON attempts (started_at);
CREATE INDEX deliveries_created ON deliveries (created_at);
CREATE INDEX events_created ON events (created_at);
