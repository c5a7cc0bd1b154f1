-- The HEP source: a connection is found by its capture id (one connection per id), and each SIP
-- dialog's tracker state is kept so a restart in the middle of a call loses nothing.
CREATE UNIQUE INDEX connections_capture ON connections (hep_capture_id) WHERE hep_capture_id IS NOT NULL AND revoked_at IS NULL;

CREATE TABLE sip_dialogs (
  connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  call_id       text NOT NULL,
  state         text NOT NULL,
  updated_at    bigint NOT NULL,
  expires_at    bigint NOT NULL,
  PRIMARY KEY (connection_id, call_id)
);
CREATE INDEX sip_dialogs_expiry ON sip_dialogs (expires_at);
