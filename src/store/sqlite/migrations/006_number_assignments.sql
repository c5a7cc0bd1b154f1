-- Numbers assigned to users (a user's direct number, one per user) and the organization's main
-- number (exactly one while it has any). SQLite cannot add a composite foreign key to a table, so
-- the table is rebuilt; existing organizations get their oldest number as the main one.
CREATE TABLE numbers_new (
  id         TEXT PRIMARY KEY,
  org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  number     TEXT NOT NULL,
  label      TEXT,
  user_id    TEXT,
  is_main    INTEGER NOT NULL DEFAULT 0 CHECK (is_main IN (0, 1)),
  created_at INTEGER NOT NULL,
  UNIQUE (org_id, number),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

INSERT INTO numbers_new (id, org_id, number, label, user_id, is_main, created_at)
SELECT n.id, n.org_id, n.number, n.label, NULL,
       n.id = (SELECT m.id FROM numbers m WHERE m.org_id = n.org_id ORDER BY m.created_at, m.id LIMIT 1),
       n.created_at
FROM numbers n;

DROP TABLE numbers;
ALTER TABLE numbers_new RENAME TO numbers;

CREATE UNIQUE INDEX numbers_user ON numbers (org_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX numbers_main ON numbers (org_id) WHERE is_main = 1;
