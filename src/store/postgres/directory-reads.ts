// The directory an ingest plan reads (store.ts PlanReads) — users by reference, outcome rules,
// main and direct numbers — for a whole batch of requests in three statements that go with the
// calls in the batch's first round trip (ingest-batch.ts), and shared with the stand-alone reads.
import type { CallUser } from '../../calls/call.ts';
import { NO_NUMBERS, type OrgNumbers } from '../../calls/call-numbers.ts';
import type { OutcomeRules } from '../../calls/outcome-rules.ts';
import type { DirectoryUser } from '../../tenancy/org.ts';
import { type Row, json, userFrom } from '../rows.ts';
import type { ApplyStepsInput, LoadedForPlan } from '../store.ts';
import type { Statement } from './inline-sql.ts';

export const USERS_BY_REF_SQL = 'SELECT * FROM users WHERE org_id = ANY($1) AND (id = ANY($2) OR extension = ANY($2) OR lower(email) = ANY($3))';
export const NUMBERS_SQL = 'SELECT org_id, number, user_id, is_main FROM numbers WHERE org_id = ANY($1) AND (is_main OR user_id = ANY($2))';
export const RULES_SQL = 'SELECT org_id, rules FROM outcome_rules WHERE org_id = ANY($1)';

/** Reference → user, the same precedence as SQLite: an id match, then an extension, then an e-mail. */
export function resolveRefs(users: readonly DirectoryUser[], refs: readonly string[]): Map<string, CallUser> {
  const found = new Map<string, CallUser>();
  for (const ref of new Set(refs)) {
    const user = users.find((u) => u.id === ref) ?? users.find((u) => u.extension === ref) ?? users.find((u) => u.email?.toLowerCase() === ref.toLowerCase());
    if (user) found.set(ref, { id: user.id, extension: user.extension, email: user.email, name: user.name });
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

/** The batch's reads as statements, and how to hand each request its own part of their rows. */
export function directoryReads(inputs: readonly ApplyStepsInput[]): { statements: Statement[]; readsOf(rows: Row[][], input: ApplyStepsInput): Reads } {
  const refs = [...new Set(inputs.flatMap((i) => i.reads.userRefs))];
  const ofUsers = [...new Set(inputs.filter((i) => i.reads.userRefs.length > 0 || i.reads.numbers).map((i) => i.orgId))];
  const ofNumbers = [...new Set(inputs.filter((i) => i.reads.numbers).map((i) => i.orgId))];
  const ofRules = [...new Set(inputs.filter((i) => i.reads.rules).map((i) => i.orgId))];
  const lower = refs.map((ref) => ref.toLowerCase());
  const statements: Statement[] = [
    [USERS_BY_REF_SQL, [ofUsers, refs, lower]],
    // The direct numbers of every user the references name (the plan asks only for resolved ones).
    [
      'SELECT org_id, number, user_id, is_main FROM numbers WHERE org_id = ANY($1) AND (is_main OR user_id IN (SELECT id FROM users WHERE org_id = ANY($1) AND (id = ANY($2) OR extension = ANY($2) OR lower(email) = ANY($3))))',
      [ofNumbers, refs, lower],
    ],
    [RULES_SQL, [ofRules]],
  ];
  return {
    statements,
    readsOf([userRows, numberRows, ruleRows], input) {
      const orgUsers = userRows!.filter((row) => row.org_id === input.orgId).map(userFrom);
      const users = resolveRefs(orgUsers, input.reads.userRefs);
      const rules = input.reads.rules ? ruleRows!.find((row) => row.org_id === input.orgId) : undefined;
      return {
        users,
        rules: rules ? json<OutcomeRules>(rules.rules) : null,
        numbers: input.reads.numbers ? numbersFrom(numberRows!.filter((row) => row.org_id === input.orgId), [...users.values()].map((u) => u.id)) : NO_NUMBERS,
      };
    },
  };
}
