// Recordings over HTTP: the phone system pushes a call's recording (streamed to storage, never
// held whole in memory); anyone with a signed link plays it; an organization gets its calls'
// recordings — the bytes, or a fresh link — with its own credentials.
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.ts';
import { AUDIO_TYPES } from '../../recordings/audio-probe.ts';
import type { Recording } from '../../recordings/recording.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, Time, iso, problems } from '../common.ts';
import { sendRecording } from '../recording-reply.ts';

const Binary = (description: string) => Type.Unsafe<unknown>({ type: 'string', format: 'binary', description, 'x-validated-by': 'handler' });
const audioContent = (description: string) => Object.fromEntries(AUDIO_TYPES.map((type) => [type, { schema: Binary(description) }]));

const RecordingSchema = Type.Object(
  {
    url: Type.String({ description: 'A fresh signed link to the file (no credentials needed).' }),
    expiresAt: Time,
    contentType: Type.String({ description: 'From the file’s own header.' }),
    bytes: Type.Integer(),
    durationS: Nullable(Type.Number({ description: 'Seconds, from the file’s header; null when it does not say.' })),
    sha256: Type.String(),
    createdAt: Time,
  },
  { title: 'Recording' },
);
const PushResult = Type.Object({
  status: Type.Union([Type.Literal('stored'), Type.Literal('duplicate')], { description: 'duplicate: the call already had exactly this file; nothing new is sent.' }),
  eventId: Type.String({ description: 'The call.recording event (sent to webhooks with callhook’s link).' }),
  recording: RecordingSchema,
});
const CallParams = Type.Object({ callId: Type.String({ minLength: 1, maxLength: 200, description: 'The call id of the ingest steps; for calls from SIP (HEP), the SIP Call-ID.' }) });
const OrgCallParams = Type.Object({ orgId: Type.String(), callId: Type.String({ description: "The phone system's call id." }) });
const LinkParams = Type.Object({ key: Type.String({ maxLength: 100, description: 'The recording’s link key.' }) });
const LinkQuery = Type.Object({
  expires: Type.String({ maxLength: 20, description: 'Expiry, epoch seconds (part of the signed link).' }),
  signature: Type.String({ maxLength: 100, description: 'The link’s signature.' }),
  download: Type.Optional(Type.Boolean({ description: 'Content-Disposition: attachment (a download) instead of inline.' })),
});
const DownloadQuery = Type.Object({ download: Type.Optional(Type.Boolean({ description: 'Content-Disposition: attachment (a download) instead of inline.' })) });
const RANGE_DOC = 'GET and HEAD; one byte `Range` (206 with Content-Range, 416 outside the file), `ETag` (If-None-Match → 304), `Accept-Ranges`, and the type from the file’s own header.';

export function recordingRoutes(app: Api, deps: ApiDeps): void {
  const { store, auth, recordings } = deps;

  const recordingJson = async (recording: Recording) => {
    const link = await recordings.signer.sign(recording.linkKey);
    return {
      url: link.url, expiresAt: iso(link.expiresAt), contentType: recording.contentType, bytes: recording.bytes,
      durationS: recording.durationS, sha256: recording.sha256, createdAt: iso(recording.createdAt),
    };
  };

  // The push: the body is the file, read as a stream (no parser buffers it, so no body limit but ours).
  void app.register(async (instance) => {
    const scope = instance as Api;
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    // Refused before the whole file was read (too large, not audio, no such call): the rest of it is
    // not read either, so the connection cannot carry another request — it closes after the answer.
    scope.addHook('onSend', async (request, reply) => {
      if (!request.raw.complete) void reply.header('connection', 'close');
    });
    scope.put(
      '/v1/ingest/calls/:callId/recording',
      {
        preHandler: auth.connection,
        schema: {
          tags: ['ingest'],
          summary: 'Push a call’s recording (the file as the body)',
          description:
            'The audio file as the body, streamed to storage. Its type is read from the file itself (WAV, MP3, Ogg, FLAC, WebM, M4A; anything else is 415), up to CALLHOOK_RECORDING_MAX_MB (413). Once it is stored, `call.recording` goes out with callhook’s own signed link. The same file again is a repeat (200); another file for a call that has one is 409. For calls from SIP (HEP), `callId` is the SIP Call-ID; the call must have started (409 otherwise). A recording may come before the call ends.',
          params: CallParams,
          consumes: [...AUDIO_TYPES, 'application/octet-stream'],
          body: Binary('The recording file.'),
          response: { 201: PushResult, 200: PushResult, ...problems(401, 409, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const declared = Number(request.headers['content-length']);
        const result = await recordings.intake.push({
          org: request.org!, connection: request.connection!, callId: request.params.callId, source: request.raw,
          declaredBytes: Number.isFinite(declared) && request.headers['content-length'] !== undefined ? declared : null,
        });
        return reply.code(result.status === 'stored' ? 201 : 200).send({ status: result.status, eventId: result.eventId, recording: await recordingJson(result.recording) });
      },
    );
  });

  app.get(
    '/v1/recordings/:key',
    {
      schema: {
        tags: ['recordings'],
        summary: 'A recording, by its signed link (what webhooks carry)',
        description: `No credentials: the link is them. An expired or altered link is 403, a purged recording 410. ${RANGE_DOC}`,
        params: LinkParams,
        querystring: LinkQuery,
        response: { 200: { description: 'The file', content: audioContent('The recording.') }, 206: { description: 'Part of the file (Range)', content: audioContent('Part of the recording.') }, 304: Type.Null({ description: 'Not modified (If-None-Match)' }), ...problems(403, 410, 416) },
      },
    },
    async (request, reply) => {
      const { key } = request.params;
      const verdict = await recordings.signer.check({ key, expires: request.query.expires, signature: request.query.signature });
      if (verdict === 'invalid') throw new AppError('LINK_NOT_VALID', 'The link is not valid: its signature does not match (it was changed, or is not one of ours)', { field: 'signature' });
      if (verdict === 'expired') throw new AppError('LINK_NOT_VALID', 'The link has expired: ask for a fresh one (GET /v1/orgs/{orgId}/calls/{callId}/recording, or the portal)', { field: 'expires' });
      const recording = await store.recordings.byLinkKey(key);
      if (!recording) throw notFound('Recording', key);
      return sendRecording(request, reply, recording, recordings.blobs, { download: request.query.download === true });
    },
  );

  app.get(
    '/v1/orgs/:orgId/calls/:callId/recording',
    {
      preHandler: auth.org,
      schema: {
        tags: ['calls'],
        summary: 'The call’s recording: the file, or (Accept: application/json) a fresh signed link',
        description: `With \`Accept: application/json\`: a fresh signed link and what the file is. Otherwise the file itself (${RANGE_DOC}) — what the portal plays. 404 when the call has none; 410 once purged.`,
        params: OrgCallParams,
        querystring: DownloadQuery,
        response: {
          200: { description: 'The file, or its link', content: { ...audioContent('The recording.'), 'application/json': { schema: RecordingSchema } } },
          206: { description: 'Part of the file (Range)', content: audioContent('Part of the recording.') },
          304: Type.Null({ description: 'Not modified (If-None-Match)' }),
          ...problems(404, 410, 416),
        },
      },
    },
    async (request, reply) => {
      const recording = await store.recordings.forCall(request.org!.id, request.params.callId);
      if (!recording) throw notFound('Recording of call', request.params.callId);
      if (wantsJson(request.headers.accept)) {
        if (recording.purgedAt !== null) return sendRecording(request, reply, recording, recordings.blobs, { download: false });
        return reply.type('application/json').send(await recordingJson(recording));
      }
      return sendRecording(request, reply, recording, recordings.blobs, { download: request.query.download === true });
    },
  );
}

/** JSON asked for, and audio not: a media player sends `*\/*` or audio types. */
function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  return types.includes('application/json') && !types.some((type) => type.startsWith('audio/'));
}
