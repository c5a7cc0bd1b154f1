// Portal accounts: a person who signs in to the portal with e-mail and password, either the
// operator (runs callhook) or an admin of one organization. Not the phone system's users
// (tenancy/org.ts DirectoryUser): those are extensions, they never sign in.
export type AccountRole = 'operator' | 'admin';

export interface Account {
  id: string;
  /** Stored lower-case: one account per address, whatever case it is typed in. */
  email: string;
  name: string;
  role: AccountRole;
  /** The organization an admin manages; null for operators. */
  orgId: string | null;
  createdAt: number;
}

/** A signed-in browser: found by the SHA-256 of its cookie value, valid until `expiresAt`. */
export interface Session {
  accountId: string;
  createdAt: number;
  expiresAt: number;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
