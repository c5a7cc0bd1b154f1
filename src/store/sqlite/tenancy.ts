// Organizations, connections, API keys, users and numbers on SQLite.
import { AppError } from '../../errors.ts';
import type { CallUser } from '../../calls/call.ts';
import type { OrgNumbers } from '../../calls/call-numbers.ts';
import type { Org } from '../../tenancy/org.ts';
import type { ApiKeyStore, ConnectionStore, NumberPatch, NumberStore, OrgPatch, OrgStore, PageQuery, UserPatch, UserStore } from '../store.ts';
import { mainStays, numberTaken, unknownUser, userHasNumber } from '../number-rules.ts';
import { type Row, apiKeyFrom, callUserOf, connectionFrom, numberFrom, orgFrom, sourcesJson, userFrom } from '../rows.ts';
import { type Database, given, isUniqueViolation, toPage } from './database.ts';
import type { IngestTokenCache } from '../ingest-token-cache.ts';
import type { ChangeSignal } from '../change-signal.ts';
import { nextSettingsVersion } from './webhooks.ts';

/** `field`: the input that collides, so the answer names it (problem+json `field`). */
function conflictOnDuplicate<T>(what: string, fn: () => T, field?: string): T {
  try {
    return fn();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', `${what} already exists`, field === undefined ? {} : { field });
    throw error;
  }
}

export function sqliteOrgs(db: Database, ingestTokens: IngestTokenCache, changes: ChangeSignal): OrgStore {
  const get = (id: string) => {
    const row = db.get<Row>('SELECT * FROM orgs WHERE id = ?', id);
    return row ? orgFrom(row) : null;
  };
  return {
    async create(org) {
      conflictOnDuplicate(`An organization with domain "${org.domain}"`, () =>
        db.run(
          'INSERT INTO orgs (id, name, domain, plan, notification_emails, default_country, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          org.id, org.name, org.domain, org.plan, JSON.stringify(org.notificationEmails), org.defaultCountry, org.createdAt, org.updatedAt,
        ),
        'domain',
      );
      return org;
    },
    async get(id) {
      return get(id);
    },
    async list({ limit, after }: PageQuery) {
      const rows = db.all<Row>('SELECT * FROM orgs WHERE id > ? ORDER BY id LIMIT ?', after ?? '', limit + 1).map(orgFrom);
      return toPage(rows, limit, (org) => org.id);
    },
    async update(id, patch: OrgPatch, now, holdDeliveries) {
      const result = db.transaction(() => {
        const current = get(id);
        if (!current) return null;
        const next: Org = { ...current, ...given(patch), updatedAt: now };
        conflictOnDuplicate(`An organization with domain "${next.domain}"`, () =>
          db.run(
            'UPDATE orgs SET name = ?, domain = ?, plan = ?, notification_emails = ?, default_country = ?, updated_at = ? WHERE id = ?',
            next.name, next.domain, next.plan, JSON.stringify(next.notificationEmails), next.defaultCountry, now, id,
          ),
          'domain',
        );
        if (!holdDeliveries?.(current, next)) return { org: next, change: null };
        // What was owed is held for a later replay, and every webhook of the organization changed.
        db.run(
          "UPDATE deliveries SET status = 'held', next_attempt_at = NULL, after_seq = NULL, updated_at = ? WHERE org_id = ? AND status IN ('pending', 'waiting')",
          now, id,
        );
        const version = nextSettingsVersion(db);
        db.run('UPDATE webhooks SET settings_version = ? WHERE org_id = ?', version, id);
        return { org: next, change: { version, webhookIds: [], orgIds: [id] } };
      });
      ingestTokens.clear();
      if (result?.change) changes.emit(result.change);
      return result;
    },
    async delete(id) {
      ingestTokens.clear();
      const change = db.transaction(() => {
        // Tables without a foreign key to orgs (hot-path tables stay FK-light) are cleared by hand.
        db.run('DELETE FROM notifications WHERE org_id = ?', id);
        if (db.run('DELETE FROM orgs WHERE id = ?', id) === 0) return null;
        return { version: nextSettingsVersion(db), webhookIds: [], orgIds: [id] };
      });
      if (change) changes.emit(change);
      return change;
    },
  };
}

export function sqliteConnections(db: Database, ingestTokens: IngestTokenCache): ConnectionStore {
  return {
    async create(connection, tokenHash) {
      conflictOnDuplicate(`A connection with HEP capture id ${connection.hep?.captureId}`, () =>
        db.run(
          'INSERT INTO connections (id, org_id, name, token_hash, hep_capture_id, hep_auth_key, recording_sources, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          connection.id, connection.orgId, connection.name, tokenHash, connection.hep?.captureId ?? null, connection.hep?.authKey ?? null, sourcesJson(connection.recordingSources), connection.createdAt,
        ),
        'hep.captureId',
      );
      return connection;
    },
    async get(orgId, id) {
      const row = db.get<Row>('SELECT * FROM connections WHERE org_id = ? AND id = ?', orgId, id);
      return row ? connectionFrom(row) : null;
    },
    async update(orgId, id, patch) {
      const row = db.get<Row>('SELECT * FROM connections WHERE org_id = ? AND id = ? AND revoked_at IS NULL', orgId, id);
      if (!row) return null;
      const next = { ...connectionFrom(row), ...given(patch) };
      ingestTokens.clear(); // the ingest path reads the connection (its name) through this cache
      conflictOnDuplicate(`A connection with HEP capture id ${next.hep?.captureId}`, () =>
        db.run('UPDATE connections SET name = ?, hep_capture_id = ?, hep_auth_key = ?, recording_sources = ? WHERE org_id = ? AND id = ?', next.name, next.hep?.captureId ?? null, next.hep?.authKey ?? null, sourcesJson(next.recordingSources), orgId, id),
        'hep.captureId',
      );
      return next;
    },
    async list(orgId, { limit, after }) {
      const rows = db
        .all<Row>('SELECT * FROM connections WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?', orgId, after ?? '', limit + 1)
        .map(connectionFrom);
      return toPage(rows, limit, (c) => c.id);
    },
    async findByTokenHash(tokenHash) {
      const known = ingestTokens.get(tokenHash);
      if (known) return known;
      const row = db.get<Row>('SELECT * FROM connections WHERE token_hash = ? AND revoked_at IS NULL', tokenHash);
      if (!row) return null;
      const org = db.get<Row>('SELECT * FROM orgs WHERE id = ?', row.org_id);
      if (!org) return null;
      const found = { connection: connectionFrom(row), org: orgFrom(org) };
      ingestTokens.set(tokenHash, found);
      return found;
    },
    async findById(connectionId) {
      const row = db.get<Row>('SELECT * FROM connections WHERE id = ?', connectionId);
      if (!row) return null;
      const org = db.get<Row>('SELECT * FROM orgs WHERE id = ?', row.org_id);
      return org ? { connection: connectionFrom(row), org: orgFrom(org) } : null;
    },
    async findByCaptureId(captureId) {
      const row = db.get<Row>('SELECT * FROM connections WHERE hep_capture_id = ? AND revoked_at IS NULL', captureId);
      if (!row) return null;
      const org = db.get<Row>('SELECT * FROM orgs WHERE id = ?', row.org_id);
      return org ? { connection: connectionFrom(row), org: orgFrom(org) } : null;
    },
    async revoke(orgId, id, now) {
      ingestTokens.clear();
      return db.run('UPDATE connections SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL', now, orgId, id) > 0;
    },
  };
}

export function sqliteApiKeys(db: Database): ApiKeyStore {
  return {
    async create(key, keyHash) {
      db.run(
        'INSERT INTO api_keys (id, org_id, name, key_hash, key_prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        key.id, key.orgId, key.name, keyHash, key.prefix, key.createdAt,
      );
      return key;
    },
    async list(orgId, { limit, after }) {
      const rows = db
        .all<Row>('SELECT * FROM api_keys WHERE org_id = ? AND revoked_at IS NULL AND id > ? ORDER BY id LIMIT ?', orgId, after ?? '', limit + 1)
        .map(apiKeyFrom);
      return toPage(rows, limit, (k) => k.id);
    },
    async findByHash(keyHash) {
      const row = db.get<Row>('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL', keyHash);
      if (!row) return null;
      const org = db.get<Row>('SELECT * FROM orgs WHERE id = ?', row.org_id);
      return org ? { key: apiKeyFrom(row), org: orgFrom(org) } : null;
    },
    async revoke(orgId, id, now) {
      return db.run('UPDATE api_keys SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL', now, orgId, id) > 0;
    },
    async touch(id, now) {
      db.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', now, id);
    },
  };
}

/** How ingest finds the user a step names, in this order. */
export const USER_BY_REF_SQL = [
  'SELECT * FROM users WHERE org_id = ? AND id = ?',
  'SELECT * FROM users WHERE org_id = ? AND extension = ?',
  'SELECT * FROM users WHERE org_id = ? AND email = ?',
] as const;

/** Reference → user, for each reference that names a user of the organization. */
export function resolveUsers(db: Database, orgId: string, refs: readonly string[]): Map<string, CallUser> {
  const found = new Map<string, CallUser>();
  for (const ref of new Set(refs)) {
    // Three index lookups, in the order a reference is read (id, extension, e-mail): one query
    // with OR walked every user of the organization and sorted them, on every ingested step.
    const row = USER_BY_REF_SQL.reduce<Row | undefined>((hit, sql) => hit ?? db.get<Row>(sql, orgId, ref), undefined);
    if (row) found.set(ref, callUserOf(userFrom(row)));
  }
  return found;
}

export function sqliteUsers(db: Database): UserStore {
  const get = (orgId: string, id: string) => {
    const row = db.get<Row>('SELECT * FROM users WHERE org_id = ? AND id = ?', orgId, id);
    return row ? userFrom(row) : null;
  };
  return {
    async create(user) {
      conflictOnDuplicate('A user with this id, extension or e-mail', () =>
        db.run(
          'INSERT INTO users (org_id, id, extension, email, name, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          user.orgId, user.id, user.extension, user.email, user.name, user.createdAt,
        ),
      );
      return user;
    },
    async get(orgId, id) {
      return get(orgId, id);
    },
    async list(orgId, { limit, after }) {
      const rows = db
        .all<Row>('SELECT * FROM users WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?', orgId, after ?? '', limit + 1)
        .map(userFrom);
      return toPage(rows, limit, (u) => u.id);
    },
    async update(orgId, id, patch: UserPatch) {
      const current = get(orgId, id);
      if (!current) return null;
      const next = { ...current, ...given(patch) };
      conflictOnDuplicate('A user with this extension or e-mail', () =>
        db.run('UPDATE users SET extension = ?, email = ?, name = ? WHERE org_id = ? AND id = ?', next.extension, next.email, next.name, orgId, id),
      );
      return next;
    },
    async delete(orgId, id) {
      return db.transaction(() => {
        // Their direct number stays the organization's, unassigned (the foreign key needs it first).
        db.run('UPDATE numbers SET user_id = NULL WHERE org_id = ? AND user_id = ?', orgId, id);
        return db.run('DELETE FROM users WHERE org_id = ? AND id = ?', orgId, id) > 0;
      });
    },
    async resolve(orgId, refs) {
      return resolveUsers(db, orgId, refs);
    },
  };
}

/** The organization's main number and these users' direct numbers. */
export function numbersForCalls(db: Database, orgId: string, userIds: readonly string[]): OrgNumbers {
  const main = db.get<Row>('SELECT number FROM numbers WHERE org_id = ? AND is_main = 1', orgId);
  const direct = new Map<string, string>();
  for (const userId of new Set(userIds)) {
    const row = db.get<Row>('SELECT number FROM numbers WHERE org_id = ? AND user_id = ?', orgId, userId);
    if (row) direct.set(userId, String(row.number));
  }
  return { main: main ? String(main.number) : null, direct };
}

export function sqliteNumbers(db: Database): NumberStore {
  const get = (orgId: string, id: string) => {
    const row = db.get<Row>('SELECT * FROM numbers WHERE org_id = ? AND id = ?', orgId, id);
    return row ? numberFrom(row) : null;
  };
  /** Checks an assignment inside the caller's transaction (one writer: nothing changes meanwhile). */
  const checkUser = (orgId: string, userId: string, numberId: string) => {
    if (!db.get<Row>('SELECT 1 AS found FROM users WHERE org_id = ? AND id = ?', orgId, userId)) throw unknownUser(userId);
    const other = db.get<Row>('SELECT number FROM numbers WHERE org_id = ? AND user_id = ? AND id <> ?', orgId, userId, numberId);
    if (other) throw userHasNumber(userId, String(other.number));
  };
  const makeMain = (orgId: string, id: string) => {
    db.run('UPDATE numbers SET is_main = 0 WHERE org_id = ? AND is_main = 1 AND id <> ?', orgId, id);
    db.run('UPDATE numbers SET is_main = 1 WHERE org_id = ? AND id = ?', orgId, id);
  };
  return {
    async create(number) {
      return db.transaction(() => {
        if (db.get<Row>('SELECT 1 AS found FROM numbers WHERE org_id = ? AND number = ?', number.orgId, number.number)) throw numberTaken(number.number);
        if (number.userId !== null) checkUser(number.orgId, number.userId, number.id);
        const first = !db.get<Row>('SELECT 1 AS found FROM numbers WHERE org_id = ? AND is_main = 1', number.orgId);
        conflictOnDuplicate(`The number ${number.number}`, () =>
          db.run(
            'INSERT INTO numbers (id, org_id, number, label, user_id, is_main, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)',
            number.id, number.orgId, number.number, number.label, number.userId, number.createdAt,
          ),
          'number',
        );
        if (first || number.main) makeMain(number.orgId, number.id);
        return get(number.orgId, number.id)!;
      });
    },
    async get(orgId, id) {
      return get(orgId, id);
    },
    async list(orgId, { limit, after }) {
      const rows = db
        .all<Row>('SELECT * FROM numbers WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?', orgId, after ?? '', limit + 1)
        .map(numberFrom);
      return toPage(rows, limit, (n) => n.id);
    },
    async update(orgId, id, patch: NumberPatch) {
      return db.transaction(() => {
        const current = get(orgId, id);
        if (!current) return null;
        if (patch.userId !== undefined && patch.userId !== null) checkUser(orgId, patch.userId, id);
        const next = { ...current, ...given({ label: patch.label, userId: patch.userId }) };
        db.run('UPDATE numbers SET label = ?, user_id = ? WHERE org_id = ? AND id = ?', next.label, next.userId, orgId, id);
        if (patch.main === true) makeMain(orgId, id);
        return get(orgId, id);
      });
    },
    async delete(orgId, id) {
      return db.transaction(() => {
        const current = get(orgId, id);
        if (!current) return false;
        if (current.main && db.get<Row>('SELECT 1 AS found FROM numbers WHERE org_id = ? AND id <> ?', orgId, id)) throw mainStays(current.number);
        return db.run('DELETE FROM numbers WHERE org_id = ? AND id = ?', orgId, id) > 0;
      });
    },
    async forCalls(orgId, userIds) {
      return numbersForCalls(db, orgId, userIds);
    },
  };
}
