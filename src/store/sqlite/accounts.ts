// Portal accounts and their sessions on SQLite.
import { AppError } from '../../errors.ts';
import type { AccountStore } from '../store.ts';
import { type Row, accountFrom, sessionFrom } from '../rows.ts';
import { type Database, isUniqueViolation, toPage } from './database.ts';

export function sqliteAccounts(db: Database): AccountStore {
  return {
    async create(account, passwordHash) {
      try {
        db.run(
          'INSERT INTO accounts (id, email, name, role, org_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          account.id, account.email, account.name, account.role, account.orgId, passwordHash, account.createdAt,
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('CONFLICT', `An account with e-mail ${account.email} already exists`, { field: 'email' });
        throw error;
      }
      return account;
    },
    async get(id) {
      const row = db.get<Row>('SELECT * FROM accounts WHERE id = ?', id);
      return row ? accountFrom(row) : null;
    },
    async findByEmail(email) {
      const row = db.get<Row>('SELECT * FROM accounts WHERE email = ?', email);
      return row ? { account: accountFrom(row), passwordHash: String(row.password_hash) } : null;
    },
    async list({ limit, after, orgId }) {
      const rows = (
        orgId === undefined
          ? db.all<Row>('SELECT * FROM accounts WHERE id > ? ORDER BY id LIMIT ?', after ?? '', limit + 1)
          : db.all<Row>('SELECT * FROM accounts WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?', orgId, after ?? '', limit + 1)
      ).map(accountFrom);
      return toPage(rows, limit, (a) => a.id);
    },
    async countOperators() {
      return Number(db.get<Row>("SELECT count(*) AS n FROM accounts WHERE role = 'operator'")?.n ?? 0);
    },
    async setPassword(id, passwordHash, keepSession) {
      return db.transaction(() => {
        if (db.run('UPDATE accounts SET password_hash = ? WHERE id = ?', passwordHash, id) === 0) return false;
        db.run('DELETE FROM account_sessions WHERE account_id = ? AND token_hash IS NOT ?', id, keepSession);
        return true;
      });
    },
    async delete(id) {
      return db.run('DELETE FROM accounts WHERE id = ?', id) > 0;
    },
    async createSession(tokenHash, session) {
      db.run('INSERT INTO account_sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)', tokenHash, session.accountId, session.createdAt, session.expiresAt);
    },
    async findSession(tokenHash, now) {
      const row = db.get<Row>('SELECT * FROM account_sessions WHERE token_hash = ? AND expires_at > ?', tokenHash, now);
      if (!row) return null;
      const account = db.get<Row>('SELECT * FROM accounts WHERE id = ?', row.account_id);
      return account ? { account: accountFrom(account), session: sessionFrom(row) } : null;
    },
    async extendSession(tokenHash, expiresAt) {
      db.run('UPDATE account_sessions SET expires_at = ? WHERE token_hash = ?', expiresAt, tokenHash);
    },
    async deleteSession(tokenHash) {
      db.run('DELETE FROM account_sessions WHERE token_hash = ?', tokenHash);
    },
    async deleteExpiredSessions(now) {
      return db.run('DELETE FROM account_sessions WHERE expires_at <= ?', now);
    },
  };
}
