// Which way a SIP call goes, from the organization's directory (SIP alone cannot tell), first
// match wins: a call from one of its users (id or extension) is outbound and belongs to that user;
// a call to one of its users is inbound and belongs to them; a call presenting one of the
// organization's own numbers as From is outbound (a PBX shows the company number to the world);
// any other call is inbound (a call to one of its numbers has no user until someone answers). A
// user's direct number stands for that user on either side.
import type { Direction } from '../../calls/call.ts';
import { toE164 } from '../../calls/phone-number.ts';
import type { Clock } from '../../clock.ts';
import type { Store } from '../../store/store.ts';
import type { Org, PhoneNumber } from '../../tenancy/org.ts';

export interface OrgNumbers {
  /** The organization's number a SIP user part stands for (read as E.164 in its country), or null. */
  find(org: Org, raw: string): Promise<PhoneNumber | null>;
}

/** How long an organization's numbers are trusted once read (they change rarely). */
const NUMBERS_TTL_MS = 5_000;
const PAGE = 500;

/** The organization's numbers from the store, read whole and kept for a few seconds per organization. */
export function orgNumbers(store: Store, clock: Clock): OrgNumbers {
  const cache = new Map<string, { value: Promise<Map<string, PhoneNumber>>; until: number }>();
  async function load(orgId: string): Promise<Map<string, PhoneNumber>> {
    const byNumber = new Map<string, PhoneNumber>();
    for (let after: string | undefined, pages = 0; pages < 100; pages++) {
      const page = await store.numbers.list(orgId, { limit: PAGE, after });
      for (const number of page.data) byNumber.set(number.number, number);
      if (page.nextCursor === null) break;
      after = page.nextCursor;
    }
    return byNumber;
  }
  return {
    async find(org, raw) {
      const now = clock.now();
      let known = cache.get(org.id);
      if (!known || known.until <= now) {
        if (cache.size > 10_000) cache.clear();
        known = { value: load(org.id), until: now + NUMBERS_TTL_MS };
        cache.set(org.id, known);
        known.value.catch(() => cache.delete(org.id)); // a failed read is not remembered
      }
      return (await known.value).get(toE164(raw, org.defaultCountry)) ?? null;
    },
  };
}

export async function directionOf(
  store: Store,
  numbers: OrgNumbers,
  org: Org,
  caller: string | null,
  callee: string | null,
): Promise<{ direction: Direction; user: string | null }> {
  const refs = [caller, callee].filter((ref): ref is string => ref !== null && ref !== '');
  const users = refs.length > 0 ? await store.users.resolve(org.id, refs) : new Map();
  if (caller !== null && users.has(caller)) return { direction: 'outbound', user: caller };
  if (callee !== null && users.has(callee)) return { direction: 'inbound', user: callee };
  // The organization's numbers: a user's direct number stands for that user (by id).
  const own = caller !== null && caller !== '' ? await numbers.find(org, caller) : null;
  if (own) return { direction: 'outbound', user: own.userId };
  const called = callee !== null && callee !== '' ? await numbers.find(org, callee) : null;
  return { direction: 'inbound', user: called?.userId ?? null };
}
