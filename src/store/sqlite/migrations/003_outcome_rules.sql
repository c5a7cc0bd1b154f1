-- Outcome rules per organization (JSON): voicemail and answering-service targets, operating
-- hours, blocklist.
CREATE TABLE outcome_rules (
  org_id     TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  rules      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
