-- Outcome rules per organization (JSON): voicemail and answering-service targets, operating
-- hours, blocklist.
CREATE TABLE outcome_rules (
  org_id     text PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  rules      text NOT NULL,
  updated_at bigint NOT NULL
);
