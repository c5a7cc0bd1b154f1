-- Numbers assigned to users (a user's direct number, one per user) and the organization's main
-- number (exactly one while it has any); existing organizations get their oldest number as main.
ALTER TABLE numbers ADD COLUMN user_id text;
ALTER TABLE numbers ADD COLUMN is_main boolean NOT NULL DEFAULT false;
ALTER TABLE numbers ADD FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id);

UPDATE numbers n SET is_main = true
WHERE n.id = (SELECT m.id FROM numbers m WHERE m.org_id = n.org_id ORDER BY m.created_at, m.id LIMIT 1);

CREATE UNIQUE INDEX numbers_user ON numbers (org_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX numbers_main ON numbers (org_id) WHERE is_main;
