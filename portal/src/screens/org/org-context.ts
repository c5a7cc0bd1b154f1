// The organization being worked in, for the screens inside it.
import { createContext, useContext } from 'react';
import type { Org } from '../../api/types';

export interface OrgValue {
  org: Org;
  /** Base path of this organization's screens, e.g. /orgs/org_1. */
  base: string;
  reloadOrg: () => Promise<void>;
}

export const OrgContext = createContext<OrgValue | null>(null);

export function useOrg(): OrgValue {
  const value = useContext(OrgContext);
  if (!value) throw new Error('useOrg outside an organization');
  return value;
}
