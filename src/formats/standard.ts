// The `standard` dialect: `{ type, id, timestamp, data }` with the whole call in `data`. The schemas
// below are the documented contract (OpenAPI `webhooks`); renderStandard must produce exactly them.
import { Type, type Static, type TSchema } from 'typebox';
import type { Call, CallUser } from '../calls/call.ts';
import { OUTCOMES, SENTIMENTS, talkTimeS } from '../calls/call.ts';
import type { EventType } from '../events/catalogue.ts';
import type { CallEvent } from '../events/event.ts';
import type { WireBody } from './format.ts';

const IsoTime = (description: string) => Type.String({ format: 'date-time', description });
const OrNull = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

const UserSchema = Type.Object(
  {
    id: Type.String({ description: 'User id (`usr_…`), or the id the phone system gave.' }),
    extension: OrNull(Type.String(), 'Extension number.'),
    email: OrNull(Type.String(), 'E-mail address.'),
    name: OrNull(Type.String(), 'Display name.'),
  },
  { additionalProperties: false, description: 'A user of the organization.' },
);

export const StandardCallSchema = Type.Object(
  {
    callId: Type.String({ description: 'The call id from the phone system; the same on every event of the call.' }),
    direction: Type.Enum(['inbound', 'outbound'], { description: 'Inbound (to the organization) or outbound.' }),
    from: Type.String({ description: 'Caller exactly as the phone system gave it; `anonymous` when withheld.' }),
    to: Type.String({ description: 'Called party exactly as given: a number or an extension.' }),
    fromE164: Type.String({
      description:
        'Caller in E.164 (`anonymous` when withheld). On an outbound call: the number it presents — `from` when that is a number, else the user’s direct number, else the organization’s main number. As given when there is none (an extension).',
    }),
    toE164: Type.String({
      description:
        'Called party in E.164. On an inbound call: the number it came in on — `to` when that is a number, else the user’s direct number, else the organization’s main number. As given when there is none (an extension).',
    }),
    user: OrNull(UserSchema, 'The organization user on the call: rung (inbound) or dialling (outbound).'),
    startedAt: IsoTime('When the call started (ISO 8601, UTC, milliseconds).'),
    answeredAt: OrNull(IsoTime('Answer time.'), 'When the call was answered; null until then or if never.'),
    answeredBy: OrNull(UserSchema, 'The user who answered, when known.'),
    choice: OrNull(Type.String(), 'Voice-menu choice, when the call went through one.'),
    endedAt: OrNull(IsoTime('End time.'), 'When the call ended; null while it is in progress.'),
    outcome: OrNull(Type.Enum(OUTCOMES), 'How the call ended; null while it is in progress.'),
    sipCode: OrNull(Type.Integer(), 'Final SIP response code of an unanswered call, when known.'),
    talkTimeS: Type.Integer({ minimum: 0, description: 'Talk time in whole seconds (answer → end); 0 if unanswered.' }),
    recordingUrl: OrNull(Type.String(), 'callhook’s link to the call recording, once stored (the same as `recording.url`).'),
    recording: OrNull(
      Type.Object(
        {
          url: Type.String({ description: 'callhook’s signed link to the file: unguessable, valid for CALLHOOK_RECORDING_LINK_DAYS (7) from the event; `GET /v1/orgs/{orgId}/calls/{callId}/recording` gives a fresh one.' }),
          contentType: Type.String({ description: 'From the file’s own header: audio/wav, audio/mpeg, audio/ogg, audio/flac, audio/webm or audio/mp4.' }),
          bytes: Type.Integer({ minimum: 1, description: 'Size of the file.' }),
          durationS: OrNull(Type.Number({ minimum: 0 }), 'Length in seconds, from the file’s header; null when it does not say.'),
          sha256: Type.String({ description: 'Hex SHA-256 of the file.' }),
        },
        { additionalProperties: false },
      ),
      'The call recording, once callhook has stored it.',
    ),
    insights: OrNull(
      Type.Object(
        {
          sentiment: Type.Enum(SENTIMENTS, { description: 'Overall sentiment of the call.' }),
          topics: Type.Array(Type.String(), { maxItems: 4, description: 'Up to four topics discussed.' }),
          summary: Type.String({ description: 'A summary of the call.' }),
        },
        { additionalProperties: false },
      ),
      'AI insights, once generated.',
    ),
    subject: OrNull(Type.String(), 'Call activity subject, when set.'),
    description: OrNull(Type.String(), 'Call activity comment, when set.'),
    connection: Type.Object(
      {
        id: Type.String({ description: 'Connection id.' }),
        name: Type.String({ description: 'Connection name.' }),
      },
      { additionalProperties: false, description: 'The phone system the call came from.' },
    ),
    organization: Type.Object(
      {
        id: Type.String({ description: 'Organization id.' }),
        domain: Type.String({ description: 'Organization domain.' }),
      },
      { additionalProperties: false, description: 'The organization the call belongs to.' },
    ),
  },
  { additionalProperties: false, description: 'The call as it stood right after the event.' },
);
export type StandardCall = Static<typeof StandardCallSchema>;

/** The schema of one event type's body: `type` is that event's literal name. */
export function StandardEventSchema<T extends EventType>(type: T) {
  return Type.Object(
    {
      type: Type.Literal(type, { description: 'The event type.' }),
      id: Type.String({ description: 'Event id (`evt_…`); the same on every retry, use it to deduplicate.' }),
      timestamp: IsoTime('When the step happened on the call (ISO 8601, UTC, milliseconds).'),
      data: StandardCallSchema,
    },
    { additionalProperties: false, title: `${type} event`, description: `Body of a \`${type}\` webhook.` },
  );
}

export function renderStandard(event: CallEvent): WireBody {
  return {
    type: event.type,
    id: event.id,
    timestamp: new Date(event.occurredAt).toISOString(),
    data: standardCall(event.call),
  };
}

export function standardCall(call: Call): StandardCall & WireBody {
  return {
    callId: call.callId,
    direction: call.direction,
    from: call.from,
    to: call.to,
    fromE164: call.e164.from ?? call.from,
    toE164: call.e164.to ?? call.to,
    user: user(call.user),
    startedAt: iso(call.startedAt),
    answeredAt: isoOrNull(call.answeredAt),
    answeredBy: user(call.answeredBy),
    choice: call.choice,
    endedAt: isoOrNull(call.endedAt),
    outcome: call.outcome,
    sipCode: call.sipCode,
    talkTimeS: talkTimeS(call),
    recordingUrl: call.recordingUrl,
    recording: call.recording === null ? null : { url: call.recording.url, contentType: call.recording.contentType, bytes: call.recording.bytes, durationS: call.recording.durationS, sha256: call.recording.sha256 },
    insights:
      call.insights === null
        ? null
        : { sentiment: call.insights.sentiment, topics: [...call.insights.topics], summary: call.insights.summary },
    subject: call.subject,
    description: call.description,
    connection: { id: call.connection.id, name: call.connection.name },
    organization: { id: call.org.id, domain: call.org.domain },
  };
}

function user(value: CallUser | null): StandardCall['user'] {
  if (value === null) return null;
  return { id: value.id, extension: value.extension, email: value.email, name: value.name };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}
