// The signed-in account, for every screen below the shell.
import { createContext, useContext } from 'react';
import type { Account } from './api/session';

export interface SessionValue {
  account: Account;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in shell');
  return value;
}
