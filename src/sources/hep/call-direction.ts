// Which way a SIP call goes, from the organization's directory (SIP alone cannot tell): a call
// from one of its users (id or extension) is outbound and belongs to that user; any other call is
// inbound, and belongs to the called user when the callee is one (a call to one of its numbers has
// no user until someone answers).
import type { Direction } from '../../calls/call.ts';
import type { Store } from '../../store/store.ts';
import type { Org } from '../../tenancy/org.ts';

export async function directionOf(store: Store, org: Org, caller: string | null, callee: string | null): Promise<{ direction: Direction; user: string | null }> {
  const refs = [caller, callee].filter((ref): ref is string => ref !== null && ref !== '');
  const users = refs.length > 0 ? await store.users.resolve(org.id, refs) : new Map();
  if (caller !== null && users.has(caller)) return { direction: 'outbound', user: caller };
  return { direction: 'inbound', user: callee !== null && users.has(callee) ? callee : null };
}
