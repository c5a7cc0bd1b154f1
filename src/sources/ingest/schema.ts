// The ingest API's step shapes: one schema per step type, strict (unknown fields are errors).
// Optional text fields: an empty or blank string is the same as leaving the field out (parse.ts).
import { Type } from 'typebox';
import { OUTCOMES, SENTIMENTS } from '../../calls/call.ts';
import { Enum as EnumOf } from '../../json-schema.ts';

const Enum = <T extends string>(values: readonly T[], description: string) => EnumOf(values, { description });

export const MAX_STEPS_PER_REQUEST = 500;

const CallId = Type.String({ minLength: 1, maxLength: 200, description: "The phone system's call id; the same for every step of a call." });
const Time = Type.Unsafe<string | number>({
  type: ['string', 'integer'],
  description: 'When it happened: ISO 8601 with a time zone (`2024-10-23T13:56:24.969Z`) or epoch milliseconds.',
  examples: ['2024-10-23T13:56:24.969Z', 1729690611587],
});
const PhoneNumber = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: `${description} Digits with an optional leading +, or \`anonymous\` when withheld. A number must read as E.164: with + or 00, international without the + (\`353212028252\`), or national (\`0201234567\`) when the organization has a defaultCountry; an extension (up to 6 digits) is kept as given.`,
  });
const BLANK = ' Empty means left out.';
const Notes = {
  subject: Type.Optional(Type.String({ maxLength: 500, description: `Call subject (Ringotel \`call_subject\`).${BLANK}` })),
  description: Type.Optional(Type.String({ maxLength: 5_000, description: `Call comment (Ringotel \`call_description\`).${BLANK}` })),
};

export const StartedStepSchema = Type.Object(
  {
    type: Type.Literal('started'),
    callId: CallId,
    direction: Enum(['inbound', 'outbound'] as const, 'inbound: rings a user of the organization; outbound: a user dials out.'),
    from: PhoneNumber('Caller, as the phone system has it. Outbound: an extension presents the user’s direct number, else the organization’s main number.'),
    to: PhoneNumber('Called number or extension, as the phone system has it. Inbound: an extension comes in on the user’s direct number, else the organization’s main number.'),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: `The user the call rings or who dials: user id or extension.${BLANK}` })),
    at: Time,
    ...Notes,
  },
  { additionalProperties: false, title: 'started', description: 'A call starts ringing at a user (inbound) or a user dials out (outbound).' },
);

export const AnsweredStepSchema = Type.Object(
  {
    type: Type.Literal('answered'),
    callId: CallId,
    at: Time,
    answeredBy: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: `Who answered: user id, extension or e-mail (an e-mail is sent to Rinkel receivers even when no user has it).${BLANK}` })),
    choice: Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Null()], { description: `IVR choice, when a voice menu was involved; null or empty: none.` })),
    ...Notes,
  },
  { additionalProperties: false, title: 'answered' },
);

export const EndedStepSchema = Type.Object(
  {
    type: Type.Literal('ended'),
    callId: CallId,
    at: Time,
    outcome: Type.Optional(Enum(OUTCOMES, 'How the call ended; derived when left out (answered → ANSWERED, else UNANSWERED).')),
    sipCode: Type.Optional(Type.Integer({ minimum: 100, maximum: 699, description: 'Final SIP response code of an unanswered call (486 busy, 487 cancelled, 603 declined…).' })),
    ...Notes,
  },
  { additionalProperties: false, title: 'ended' },
);

export const RecordingStepSchema = Type.Object(
  {
    type: Type.Literal('recording'),
    callId: CallId,
    url: Type.String({
      minLength: 1,
      maxLength: 2_000,
      description:
        'Where callhook fetches the recording (http or https): in the background, retried for a day, then stored and served at a link of its own, which is what webhooks get. A public https URL, or one on an origin the operator listed on the connection (`recordingSources`: a PBX on a private network, with its credentials). Or push the file instead: `PUT /v1/ingest/calls/{callId}/recording`.',
    }),
    at: Type.Optional(Time),
    ...Notes,
  },
  { additionalProperties: false, title: 'recording', description: 'The call has a recording to fetch; `call.recording` goes out once it is stored (the answer says `fetching`).' },
);

export const InsightsStepSchema = Type.Object(
  {
    type: Type.Literal('insights'),
    callId: CallId,
    sentiment: Enum(SENTIMENTS, 'Overall sentiment of the call.'),
    topics: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 4, description: 'At most four topics: a word or a short phrase each.' }),
    summary: Type.String({ minLength: 1, maxLength: 10_000, description: 'Summary of the call; not empty.' }),
    at: Type.Optional(Time),
    ...Notes,
  },
  { additionalProperties: false, title: 'insights' },
);

export const STEP_SCHEMAS = {
  started: StartedStepSchema,
  answered: AnsweredStepSchema,
  ended: EndedStepSchema,
  recording: RecordingStepSchema,
  insights: InsightsStepSchema,
} as const;

export const StepSchema = Type.Union(Object.values(STEP_SCHEMAS), { description: 'One call step; `type` says which.' });

export const IngestBodySchema = Type.Union(
  [
    StepSchema,
    Type.Object(
      { steps: Type.Array(StepSchema, { minItems: 1, maxItems: MAX_STEPS_PER_REQUEST }) },
      { additionalProperties: false, title: 'batch', description: 'Several steps, applied in order, all or nothing.' },
    ),
  ],
  { 'x-validated-by': 'handler' },
);

export const IngestResultSchema = Type.Object({
  accepted: Type.Integer({ description: 'Steps in the request.' }),
  results: Type.Array(
    Type.Object({
      callId: Type.String(),
      type: Type.String(),
      status: Enum(['applied', 'duplicate', 'fetching'] as const, 'duplicate: the same step was accepted before; nothing new is sent. fetching: a recording step; its event (`eventId`) is sent once the file is fetched and stored.'),
      eventId: Type.String({ description: 'The event the step produced (the same id for a duplicate; for a recording step, the event it will produce).' }),
      warnings: Type.Optional(
        Type.Array(Type.Object({ field: Type.String(), detail: Type.String() }), {
          description: 'Accepted, but not every webhook gets the call: e.g. a call with no E.164 number on one side (an extension the organization has no number for) is not sent to Rinkel webhooks.',
        }),
      ),
    }),
  ),
});
