// Outcome rules of an organization: how calls that end without a stated outcome are classified
// (voicemail, answering service, operating hours, blocklist). Applied to HEP calls and to ingest
// calls that state no outcome.
import { Type } from 'typebox';
import { NO_RULES, WEEKDAYS, checkOutcomeRules } from '../../calls/outcome-rules.ts';
import { AppError } from '../../errors.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, problems } from '../common.ts';

const HourMinute = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'HH:MM in the time zone; 24:00 ends a day.' });
const Span = Type.Object({ from: HourMinute, to: HourMinute }, { additionalProperties: false });
const Target = Type.String({ minLength: 1, maxLength: 64, pattern: '^\\+?[0-9*#]+$', description: 'A number (any notation that reads as the same E.164) or an extension.' });

const RulesSchema = Type.Object(
  {
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of the operating hours, e.g. Europe/Amsterdam.' }),
    operatingHours: Nullable(
      Type.Object(Object.fromEntries(WEEKDAYS.map((day) => [day, Type.Optional(Type.Array(Span, { maxItems: 12 }))])), {
        additionalProperties: false,
        description: 'Open spans per weekday (mon…sun); a day left out is closed; null: always open.',
      }),
    ),
    voicemailTargets: Type.Array(Target, { maxItems: 200, description: 'Answered here → VOICEMAIL.' }),
    answeringServiceTargets: Type.Array(Target, { maxItems: 200, description: 'Answered here → CALLCENTER.' }),
    blocklist: Type.Array(Target, { maxItems: 10_000, description: 'Unanswered calls from these callers → BLACKLISTED.' }),
  },
  { additionalProperties: false, title: 'Outcome rules' },
);

export function outcomeRuleRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['outcome rules'];

  app.get('/v1/orgs/:orgId/outcome-rules', { preHandler: auth.org, schema: { tags, summary: 'The outcome rules (defaults when none were set)', params: OrgParams, response: { 200: RulesSchema } } }, async (request) =>
    (await store.outcomeRules.get(request.org!.id)) ?? NO_RULES,
  );

  app.put('/v1/orgs/:orgId/outcome-rules', { preHandler: auth.org, schema: { tags, summary: 'Replace the outcome rules', params: OrgParams, body: RulesSchema, response: { 200: RulesSchema, ...problems(422) } } }, async (request) => {
    const rules = request.body as typeof NO_RULES;
    const problemsFound = checkOutcomeRules(rules);
    if (problemsFound.length > 0) {
      throw new AppError('VALIDATION_FAILED', `${problemsFound[0]!.field}: ${problemsFound[0]!.detail}`, { errors: problemsFound });
    }
    return store.outcomeRules.put(request.org!.id, rules, clock.now());
  });
}
