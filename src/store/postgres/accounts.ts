// Portal accounts and their sessions on PostgreSQL.
import { AppError } from '../../errors.ts';
import type { AccountStore } from '../store.ts';
import { type Row, accountFrom, sessionFrom } from '../rows.ts';
import { type PgDatabase, isUniqueViolation, toPage } from './database.ts';

export function postgresAccounts(db: PgDatabase): AccountStore {
  return {
    async create(account, passwordHash) {
      try {
        await db.run('INSERT INTO accounts (id, email, name, role, org_id, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          account.id, account.email, account.name, account.role, account.orgId, passwordHash, account.createdAt,
        ]);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('CONFLICT', `An account with e-mail ${account.email} already exists`, { field: 'email' });
        throw error;
      }
      return account;
    },
    async get(id) {
      const row = await db.one('SELECT * FROM accounts WHERE id = $1', [id]);
      return row ? accountFrom(row) : null;
    },
    async findByEmail(email) {
      const row = await db.one('SELECT * FROM accounts WHERE email = $1', [email]);
      return row ? { account: accountFrom(row), passwordHash: String(row.password_hash) } : null;
    },
    async list({ limit, after, orgId }) {
      const rows = (
        orgId === undefined
          ? await db.rows('SELECT * FROM accounts WHERE id > $1 ORDER BY id LIMIT $2', [after ?? '', limit + 1])
          : await db.rows('SELECT * FROM accounts WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3', [orgId, after ?? '', limit + 1])
      ).map(accountFrom);
      return toPage(rows, limit, (a) => a.id);
    },
    async countOperators() {
      return Number((await db.one<Row>("SELECT count(*) AS n FROM accounts WHERE role = 'operator'"))?.n ?? 0);
    },
    async setPassword(id, passwordHash, keepSession) {
      return db.transaction(async (tx) => {
        if ((await tx.run('UPDATE accounts SET password_hash = $1 WHERE id = $2', [passwordHash, id])) === 0) return false;
        await tx.run('DELETE FROM account_sessions WHERE account_id = $1 AND token_hash IS DISTINCT FROM $2', [id, keepSession]);
        return true;
      });
    },
    async delete(id) {
      return (await db.run('DELETE FROM accounts WHERE id = $1', [id])) > 0;
    },
    async createSession(tokenHash, session) {
      await db.run('INSERT INTO account_sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
        tokenHash, session.accountId, session.createdAt, session.expiresAt,
      ]);
    },
    async findSession(tokenHash, now) {
      const row = await db.one<{ session: Row; account: Row }>(
        `SELECT row_to_json(s.*) AS session, row_to_json(a.*) AS account FROM account_sessions s JOIN accounts a ON a.id = s.account_id
         WHERE s.token_hash = $1 AND s.expires_at > $2`,
        [tokenHash, now],
      );
      return row ? { account: accountFrom(row.account), session: sessionFrom(row.session) } : null;
    },
    async extendSession(tokenHash, expiresAt) {
      await db.run('UPDATE account_sessions SET expires_at = $1 WHERE token_hash = $2', [expiresAt, tokenHash]);
    },
    async deleteSession(tokenHash) {
      await db.run('DELETE FROM account_sessions WHERE token_hash = $1', [tokenHash]);
    },
    async deleteExpiredSessions(now) {
      return db.run('DELETE FROM account_sessions WHERE expires_at <= $1', [now]);
    },
  };
}
