// The directory an ingest plan reads (store.ts PlanReads) — users by reference, outcome rules,
// main and direct numbers — for a whole batch of requests in three statements that go with the
// calls in the batch's first round trip (ingest-batch.ts), and the array forms the stand-alone
// reads use (tenancy.ts, meta.ts: a turn's look-ups of the HEP source).
import type { CallUser } from '../../calls/call.ts';
import { NO_NUMBERS, type OrgNumbers } from '../../calls/call-numbers.ts';
import type { OutcomeRules } from '../../calls/outcome-rules.ts';
import type { DirectoryUser } from '../../tenancy/org.ts';
import { type Row, callUserOf, json, userFrom } from '../rows.ts';
import type { ApplyStepsInput, LoadedForPlan } from '../store.ts';
import { GENERIC_PLAN, type Statement } from './inline-sql.ts';

/**
 * Users of organizations $1 that references $2 name (by id or extension; $3 lower-cased, by e-mail).
 * These stand-alone forms are planned for their values on every run (rowsPlannedEachTime): outside
 * a byKey transaction a generic plan made on a young table would walk it, whatever their shape.
 */
export const USERS_BY_REF_SQL = 'SELECT * FROM users WHERE org_id = ANY($1) AND (id = ANY($2) OR extension = ANY($2) OR lower(email) = ANY($3))';
export const NUMBERS_SQL = 'SELECT org_id, number, user_id, is_main FROM numbers WHERE org_id = ANY($1) AND (is_main OR user_id = ANY($2))';
export const RULES_SQL = 'SELECT org_id, rules FROM outcome_rules WHERE org_id = ANY($1)';

/**
 * The batch's reads, on generic plans made once per connection: planned for their values (custom
 * plans) they cost the server more than running them, on every ingest. Each organization and
 * reference is looked up on its own (LATERAL, fenced by OFFSET 0 so it stays a probe per key), one
 * arm per kind of reference (id, extension, e-mail), each the whole key of a unique index; an
 * organization's main number and a user's direct one likewise. So no plan, whatever the tables'
 * size or statistics when it was made, walks an organization's users or numbers (young-plans.test.ts):
 * with `= ANY` over all the references, one made on a young table's statistics read every user of
 * the organization. A user two arms find comes twice; the references resolve the same.
 */
const namedUsers = (columns: string) => `unnest($1::text[]) AS o(org_id) CROSS JOIN unnest($2::text[], $3::text[]) AS r(ref, lower_ref)
  CROSS JOIN LATERAL (
    SELECT ${columns} FROM users WHERE org_id = o.org_id AND id = r.ref
    UNION ALL SELECT ${columns} FROM users WHERE org_id = o.org_id AND extension = r.ref
    UNION ALL SELECT ${columns} FROM users WHERE org_id = o.org_id AND lower(email) = r.lower_ref
    OFFSET 0) u`;
/** LIMIT 1 (an organization has one main number, a user one direct number, at most) keeps each a probe. */
const numberOf = (condition: string) => `CROSS JOIN LATERAL (SELECT org_id, number, user_id, is_main FROM numbers WHERE ${condition} LIMIT 1) n`;
const BATCH_READS = {
  users: `SELECT u.* FROM ${namedUsers('*')}`,
  // The direct numbers of every user the references name (the plan asks only for resolved ones).
  numbers: `SELECT n.* FROM unnest($1::text[]) AS o(org_id) ${numberOf('org_id = o.org_id AND is_main')}
    UNION ALL
    SELECT n.* FROM ${namedUsers('org_id, id')} ${numberOf('org_id = u.org_id AND user_id = u.id')}`,
  rules: 'SELECT r.* FROM unnest($1::text[]) AS o(org_id) CROSS JOIN LATERAL (SELECT org_id, rules FROM outcome_rules WHERE org_id = o.org_id OFFSET 0) r',
} as const;

/** Reference → user, the same precedence as SQLite: an id match, then an extension, then an e-mail. */
export function resolveRefs(users: readonly DirectoryUser[], refs: readonly string[]): Map<string, CallUser> {
  const found = new Map<string, CallUser>();
  for (const ref of new Set(refs)) {
    const user = users.find((u) => u.id === ref) ?? users.find((u) => u.extension === ref) ?? users.find((u) => u.email?.toLowerCase() === ref.toLowerCase());
    if (user) found.set(ref, callUserOf(user));
  }
  return found;
}

/** The main number among `rows` (one organization's), and the direct numbers of `userIds`. */
export function numbersFrom(rows: readonly Row[], userIds: Iterable<string>): OrgNumbers {
  const wanted = new Set(userIds);
  const direct = new Map<string, string>();
  let main: string | null = null;
  for (const row of rows) {
    if (row.is_main === true) main = String(row.number);
    if (row.user_id !== null && wanted.has(String(row.user_id))) direct.set(String(row.user_id), String(row.number));
  }
  return { main, direct };
}

type Reads = Pick<LoadedForPlan, 'users' | 'rules' | 'numbers'>;

/**
 * The batch's reads as statements (only those some request asks for), and how to hand each request
 * its own part of their rows.
 */
export function directoryReads(inputs: readonly ApplyStepsInput[]): { statements: Statement[]; readsOf(rows: Row[][], input: ApplyStepsInput): Reads } {
  const refs = [...new Set(inputs.flatMap((i) => i.reads.userRefs))];
  const orgsAsking = (asks: (reads: ApplyStepsInput['reads']) => boolean) => [...new Set(inputs.filter((i) => asks(i.reads)).map((i) => i.orgId))];
  const ofUsers = orgsAsking((r) => r.userRefs.length > 0);
  const ofNumbers = orgsAsking((r) => r.numbers);
  const ofRules = orgsAsking((r) => r.rules);
  const lower = refs.map((ref) => ref.toLowerCase());
  const kinds: Array<'users' | 'numbers' | 'rules'> = [];
  const statements: Statement[] = [];
  if (ofUsers.length > 0) {
    kinds.push('users');
    statements.push([BATCH_READS.users, [ofUsers, refs, lower], GENERIC_PLAN]);
  }
  if (ofNumbers.length > 0) {
    kinds.push('numbers');
    statements.push([BATCH_READS.numbers, [ofNumbers, refs, lower], GENERIC_PLAN]);
  }
  if (ofRules.length > 0) {
    kinds.push('rules');
    statements.push([BATCH_READS.rules, [ofRules], GENERIC_PLAN]);
  }
  return {
    statements,
    readsOf(rows, input) {
      const of = (kind: (typeof kinds)[number]) => (rows[kinds.indexOf(kind)] ?? []).filter((row) => row.org_id === input.orgId);
      const users = resolveRefs(of('users').map(userFrom), input.reads.userRefs);
      const rules = input.reads.rules ? of('rules')[0] : undefined;
      return {
        users,
        rules: rules ? json<OutcomeRules>(rules.rules) : null,
        numbers: input.reads.numbers ? numbersFrom(of('numbers'), [...users.values()].map((u) => u.id)) : NO_NUMBERS,
      };
    },
  };
}
