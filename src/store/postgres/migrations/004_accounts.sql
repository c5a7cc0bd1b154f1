-- Portal accounts (operator or an organization's admin) and their browser sessions.
CREATE TABLE accounts (
  id            text PRIMARY KEY,
  email         text NOT NULL UNIQUE,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('operator', 'admin')),
  org_id        text REFERENCES orgs(id) ON DELETE CASCADE,
  password_hash text NOT NULL,
  created_at    bigint NOT NULL,
  CHECK ((role = 'admin') = (org_id IS NOT NULL))
);
CREATE INDEX accounts_org ON accounts (org_id, id);

CREATE TABLE account_sessions (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX account_sessions_account ON account_sessions (account_id);
CREATE INDEX account_sessions_expiry ON account_sessions (expires_at);
