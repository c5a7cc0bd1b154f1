// Organizations, connections, API keys, users and numbers on PostgreSQL.
import { AppError } from '../../errors.ts';
import type { Org } from '../../tenancy/org.ts';
import type { ApiKeyStore, ConnectionStore, NumberPatch, NumberStore, OrgPatch, OrgStore, UserPatch, UserStore, WebhookChange } from '../store.ts';
import { mainStays, numberTaken, unknownUser, userHasNumber } from '../number-rules.ts';
import { type Row, apiKeyFrom, connectionFrom, numberFrom, orgFrom, sourcesJson, userFrom } from '../rows.ts';
import { type PgDatabase, type Queryable, given, isUniqueViolation, toPage } from './database.ts';
import type { IngestTokenCache } from '../ingest-token-cache.ts';
import { readBatches } from './read-batches.ts';
import { NUMBERS_SQL, USERS_BY_REF_SQL, numbersFrom, resolveRefs } from './directory-reads.ts';
import { type PgChanges, nextSettingsVersion } from './webhooks.ts';

/** `field`: the input that collides, so the answer names it (problem+json `field`). */
async function conflictOnDuplicate<T>(what: string, fn: () => Promise<T>, field?: string): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', `${what} already exists`, field === undefined ? {} : { field });
    throw error;
  }
}

export function postgresOrgs(db: PgDatabase, ingestTokens: IngestTokenCache, changes: PgChanges): OrgStore {
  const get = async (id: string) => {
    const row = await db.one('SELECT * FROM orgs WHERE id = $1', [id]);
    return row ? orgFrom(row) : null;
  };
  return {
    async create(org) {
      await conflictOnDuplicate(`An organization with domain "${org.domain}"`, () =>
        db.run(
          'INSERT INTO orgs (id, name, domain, plan, notification_emails, default_country, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [org.id, org.name, org.domain, org.plan, JSON.stringify(org.notificationEmails), org.defaultCountry, org.createdAt, org.updatedAt],
        ),
        'domain',
      );
      return org;
    },
    get,
    async list({ limit, after }) {
      const rows = (await db.rows('SELECT * FROM orgs WHERE id > $1 ORDER BY id LIMIT $2', [after ?? '', limit + 1])).map(orgFrom);
      return toPage(rows, limit, (org) => org.id);
    },
    async update(id, patch: OrgPatch, now, holdDeliveries) {
      const result = await db.transaction(async (tx) => {
        // FOR UPDATE: an ingest reads its organization FOR KEY SHARE, so it sees the plan before or after this change, never in between.
        const row = await tx.one('SELECT * FROM orgs WHERE id = $1 FOR UPDATE', [id]);
        if (!row) return null;
        const current = orgFrom(row);
        const next: Org = { ...current, ...given(patch), updatedAt: now };
        await conflictOnDuplicate(`An organization with domain "${next.domain}"`, () =>
          tx.run('UPDATE orgs SET name = $1, domain = $2, plan = $3, notification_emails = $4, default_country = $5, updated_at = $6 WHERE id = $7', [
            next.name, next.domain, next.plan, JSON.stringify(next.notificationEmails), next.defaultCountry, now, id,
          ]),
          'domain',
        );
        if (!holdDeliveries?.(current, next)) return { org: next, change: null };
        // Every webhook of the organization changes: their rows first, then the version (drawn after
        // the locks), then what they owed is held for a later replay.
        await tx.run('SELECT id FROM webhooks WHERE org_id = $1 ORDER BY id FOR UPDATE', [id]);
        const change: WebhookChange = { version: await nextSettingsVersion(tx), webhookIds: [], orgIds: [id] };
        await tx.run('UPDATE webhooks SET settings_version = $1 WHERE org_id = $2', [change.version, id]);
        await tx.run(
          "UPDATE deliveries SET status = 'held', next_attempt_at = NULL, after_id = NULL, updated_at = $1 WHERE org_id = $2 AND status IN ('pending', 'waiting')",
          [now, id],
        );
        await changes.notify(tx, change);
        return { org: next, change };
      });
      ingestTokens.clear();
      if (result?.change) changes.committed([result.change]);
      return result;
    },
    async delete(id) {
      ingestTokens.clear();
      const change = await db.transaction(async (tx) => {
        // Deliveries and notifications carry no foreign key to orgs (hot-path tables stay FK-light).
        await tx.run('DELETE FROM notifications WHERE org_id = $1', [id]);
        await tx.run('DELETE FROM deliveries WHERE org_id = $1', [id]);
        if ((await tx.run('DELETE FROM orgs WHERE id = $1', [id])) === 0) return null;
        const change: WebhookChange = { version: await nextSettingsVersion(tx), webhookIds: [], orgIds: [id] };
        await changes.notify(tx, change);
        return change;
      });
      if (change) changes.committed([change]);
      return change;
    },
  };
}

export function postgresConnections(db: PgDatabase, ingestTokens: IngestTokenCache): ConnectionStore {
  return {
    async create(connection, tokenHash) {
      await conflictOnDuplicate(`A connection with HEP capture id ${connection.hep?.captureId}`, () =>
        db.run('INSERT INTO connections (id, org_id, name, token_hash, hep_capture_id, hep_auth_key, recording_sources, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          connection.id, connection.orgId, connection.name, tokenHash, connection.hep?.captureId ?? null, connection.hep?.authKey ?? null, sourcesJson(connection.recordingSources), connection.createdAt,
        ]),
        'hep.captureId',
      );
      return connection;
    },
    async get(orgId, id) {
      const row = await db.one('SELECT * FROM connections WHERE org_id = $1 AND id = $2', [orgId, id]);
      return row ? connectionFrom(row) : null;
    },
    async update(orgId, id, patch) {
      const row = await db.one('SELECT * FROM connections WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL', [orgId, id]);
      if (!row) return null;
      const next = { ...connectionFrom(row), ...given(patch) };
      ingestTokens.clear(); // the ingest path reads the connection (its name) through this cache
      await conflictOnDuplicate(`A connection with HEP capture id ${next.hep?.captureId}`, () =>
        db.run('UPDATE connections SET name = $1, hep_capture_id = $2, hep_auth_key = $3, recording_sources = $4 WHERE org_id = $5 AND id = $6', [
          next.name, next.hep?.captureId ?? null, next.hep?.authKey ?? null, sourcesJson(next.recordingSources), orgId, id,
        ]),
        'hep.captureId',
      );
      return next;
    },
    async list(orgId, { limit, after }) {
      const rows = (await db.rows('SELECT * FROM connections WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3', [orgId, after ?? '', limit + 1])).map(connectionFrom);
      return toPage(rows, limit, (c) => c.id);
    },
    async findByTokenHash(tokenHash) {
      const known = ingestTokens.get(tokenHash);
      if (known) return known;
      const row = await db.one<{ connection: Row; org: Row }>(
        `SELECT row_to_json(c.*) AS connection, row_to_json(o.*) AS org FROM connections c JOIN orgs o ON o.id = c.org_id
         WHERE c.token_hash = $1 AND c.revoked_at IS NULL`,
        [tokenHash],
      );
      if (!row) return null;
      const found = { connection: connectionFrom(row.connection), org: orgFrom(row.org) };
      ingestTokens.set(tokenHash, found);
      return found;
    },
    async findById(connectionId) {
      const row = await db.one<{ connection: Row; org: Row }>(
        'SELECT row_to_json(c.*) AS connection, row_to_json(o.*) AS org FROM connections c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1',
        [connectionId],
      );
      return row ? { connection: connectionFrom(row.connection), org: orgFrom(row.org) } : null;
    },
    async findByCaptureId(captureId) {
      const row = await db.one<{ connection: Row; org: Row }>(
        `SELECT row_to_json(c.*) AS connection, row_to_json(o.*) AS org FROM connections c JOIN orgs o ON o.id = c.org_id
         WHERE c.hep_capture_id = $1 AND c.revoked_at IS NULL`,
        [captureId],
      );
      return row ? { connection: connectionFrom(row.connection), org: orgFrom(row.org) } : null;
    },
    async revoke(orgId, id, now) {
      ingestTokens.clear();
      return (await db.run('UPDATE connections SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL', [now, orgId, id])) > 0;
    },
  };
}

export function postgresApiKeys(db: PgDatabase): ApiKeyStore {
  return {
    async create(key, keyHash) {
      await db.run('INSERT INTO api_keys (id, org_id, name, key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        key.id, key.orgId, key.name, keyHash, key.prefix, key.createdAt,
      ]);
      return key;
    },
    async list(orgId, { limit, after }) {
      const rows = (
        await db.rows('SELECT * FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL AND id > $2 ORDER BY id LIMIT $3', [orgId, after ?? '', limit + 1])
      ).map(apiKeyFrom);
      return toPage(rows, limit, (k) => k.id);
    },
    async findByHash(keyHash) {
      const row = await db.one<{ key: Row; org: Row }>(
        `SELECT row_to_json(k.*) AS key, row_to_json(o.*) AS org FROM api_keys k JOIN orgs o ON o.id = k.org_id
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
        [keyHash],
      );
      return row ? { key: apiKeyFrom(row.key), org: orgFrom(row.org) } : null;
    },
    async revoke(orgId, id, now) {
      return (await db.run('UPDATE api_keys SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL', [now, orgId, id])) > 0;
    },
    async touch(id, now) {
      await db.run('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [now, id]);
    },
  };
}

export function postgresUsers(db: PgDatabase): UserStore {
  // One statement for every look-up of a turn (the HEP source's); each gets its own organization's
  // users. Ingest reads them in its own transaction (directory-reads.ts).
  const usersFor = readBatches(async (queries: Array<{ orgId: string; refs: string[] }>) => {
    const refs = [...new Set(queries.flatMap((q) => q.refs))];
    const rows = await db.rowsPlannedEachTime(USERS_BY_REF_SQL, [
      [...new Set(queries.map((q) => q.orgId))], refs, refs.map((ref) => ref.toLowerCase()),
    ]);
    const users = rows.map(userFrom);
    return queries.map((q) => users.filter((u) => u.orgId === q.orgId));
  });
  const get = async (orgId: string, id: string) => {
    const row = await db.one('SELECT * FROM users WHERE org_id = $1 AND id = $2', [orgId, id]);
    return row ? userFrom(row) : null;
  };
  return {
    async create(user) {
      await conflictOnDuplicate('A user with this id, extension or e-mail', () =>
        db.run('INSERT INTO users (org_id, id, extension, email, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          user.orgId, user.id, user.extension, user.email, user.name, user.createdAt,
        ]),
      );
      return user;
    },
    get,
    async list(orgId, { limit, after }) {
      const rows = (await db.rows('SELECT * FROM users WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3', [orgId, after ?? '', limit + 1])).map(userFrom);
      return toPage(rows, limit, (u) => u.id);
    },
    async update(orgId, id, patch: UserPatch) {
      const current = await get(orgId, id);
      if (!current) return null;
      const next = { ...current, ...given(patch) };
      await conflictOnDuplicate('A user with this extension or e-mail', () =>
        db.run('UPDATE users SET extension = $1, email = $2, name = $3 WHERE org_id = $4 AND id = $5', [next.extension, next.email, next.name, orgId, id]),
      );
      return next;
    },
    async delete(orgId, id) {
      return db.transaction(async (tx) => {
        // Their direct number stays the organization's, unassigned (the foreign key needs it first).
        await tx.run('UPDATE numbers SET user_id = NULL WHERE org_id = $1 AND user_id = $2', [orgId, id]);
        return (await tx.run('DELETE FROM users WHERE org_id = $1 AND id = $2', [orgId, id])) > 0;
      });
    },
    async resolve(orgId, refs) {
      const wanted = [...new Set(refs)];
      return wanted.length === 0 ? new Map() : resolveRefs(await usersFor({ orgId, refs: wanted }), wanted);
    },
  };
}

export function postgresNumbers(db: PgDatabase): NumberStore {
  // One statement for every look-up of a turn; each gets its own organization's numbers. Ingest
  // reads them in its own transaction (directory-reads.ts).
  const numbersFor = readBatches(async (queries: Array<{ orgId: string; userIds: string[] }>) => {
    const rows = await db.rowsPlannedEachTime(NUMBERS_SQL, [
      [...new Set(queries.map((q) => q.orgId))], [...new Set(queries.flatMap((q) => q.userIds))],
    ]);
    return queries.map((q) => rows.filter((row) => row.org_id === q.orgId));
  });
  const get = async (q: Queryable, orgId: string, id: string) => {
    const row = await q.one('SELECT * FROM numbers WHERE org_id = $1 AND id = $2', [orgId, id]);
    return row ? numberFrom(row) : null;
  };
  /** Number changes of one organization take turns (its row locked), so "one main" and "first is main" hold under concurrency. */
  const inTurn = <T>(orgId: string, fn: (tx: Queryable) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.one('SELECT id FROM orgs WHERE id = $1 FOR UPDATE', [orgId]);
      return fn(tx);
    });
  const checkUser = async (tx: Queryable, orgId: string, userId: string, numberId: string) => {
    // FOR KEY SHARE: the user cannot be deleted before this transaction ends.
    if (!(await tx.one('SELECT 1 AS found FROM users WHERE org_id = $1 AND id = $2 FOR KEY SHARE', [orgId, userId]))) throw unknownUser(userId);
    const other = await tx.one('SELECT number FROM numbers WHERE org_id = $1 AND user_id = $2 AND id <> $3', [orgId, userId, numberId]);
    if (other) throw userHasNumber(userId, String(other.number));
  };
  const makeMain = async (tx: Queryable, orgId: string, id: string) => {
    await tx.run('UPDATE numbers SET is_main = false WHERE org_id = $1 AND is_main AND id <> $2', [orgId, id]);
    await tx.run('UPDATE numbers SET is_main = true WHERE org_id = $1 AND id = $2', [orgId, id]);
  };
  return {
    async create(number) {
      return inTurn(number.orgId, async (tx) => {
        if (await tx.one('SELECT 1 AS found FROM numbers WHERE org_id = $1 AND number = $2', [number.orgId, number.number])) throw numberTaken(number.number);
        if (number.userId !== null) await checkUser(tx, number.orgId, number.userId, number.id);
        const first = !(await tx.one('SELECT 1 AS found FROM numbers WHERE org_id = $1 AND is_main', [number.orgId]));
        await conflictOnDuplicate(`The number ${number.number}`, () =>
          tx.run('INSERT INTO numbers (id, org_id, number, label, user_id, is_main, created_at) VALUES ($1, $2, $3, $4, $5, false, $6)', [
            number.id, number.orgId, number.number, number.label, number.userId, number.createdAt,
          ]),
          'number',
        );
        if (first || number.main) await makeMain(tx, number.orgId, number.id);
        return (await get(tx, number.orgId, number.id))!;
      });
    },
    async get(orgId, id) {
      return get(db, orgId, id);
    },
    async list(orgId, { limit, after }) {
      const rows = (await db.rows('SELECT * FROM numbers WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3', [orgId, after ?? '', limit + 1])).map(numberFrom);
      return toPage(rows, limit, (n) => n.id);
    },
    async update(orgId, id, patch: NumberPatch) {
      return inTurn(orgId, async (tx) => {
        const current = await get(tx, orgId, id);
        if (!current) return null;
        if (patch.userId !== undefined && patch.userId !== null) await checkUser(tx, orgId, patch.userId, id);
        const next = { ...current, ...given({ label: patch.label, userId: patch.userId }) };
        await tx.run('UPDATE numbers SET label = $1, user_id = $2 WHERE org_id = $3 AND id = $4', [next.label, next.userId, orgId, id]);
        if (patch.main === true) await makeMain(tx, orgId, id);
        return get(tx, orgId, id);
      });
    },
    async delete(orgId, id) {
      return inTurn(orgId, async (tx) => {
        const current = await get(tx, orgId, id);
        if (!current) return false;
        if (current.main && (await tx.one('SELECT 1 AS found FROM numbers WHERE org_id = $1 AND id <> $2', [orgId, id]))) throw mainStays(current.number);
        return (await tx.run('DELETE FROM numbers WHERE org_id = $1 AND id = $2', [orgId, id])) > 0;
      });
    },
    async forCalls(orgId, userIds) {
      return numbersFrom(await numbersFor({ orgId, userIds: [...new Set(userIds)] }), userIds);
    },
  };
}
