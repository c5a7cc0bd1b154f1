// Answers a recording's bytes as players and browsers expect: GET and HEAD, one byte Range (206,
// Content-Range; 416 outside the file), Accept-Ranges, Content-Length, an ETag from its hash
// (If-None-Match → 304), the type read from its own header, and a Content-Disposition that names
// the call — `inline` to play, `attachment` to download.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { FILE_EXTENSIONS } from '../recordings/audio-probe.ts';
import { readRange } from '../recordings/byte-range.ts';
import type { Recording } from '../recordings/recording.ts';
import type { RecordingStore } from '../recordings/recording-store.ts';

export async function sendRecording(request: FastifyRequest, reply: FastifyReply, recording: Recording, blobs: RecordingStore, options: { download: boolean }): Promise<FastifyReply> {
  if (recording.purgedAt !== null || recording.blobKey === null) {
    throw new AppError('RECORDING_GONE', `The recording of call ${recording.callId} was purged on ${new Date(recording.purgedAt ?? Date.now()).toISOString()} (CALLHOOK_RECORDING_RETENTION_DAYS)`);
  }
  const etag = `"${recording.sha256}"`;
  const filename = `call-${recording.callId.replace(/[^\w.-]+/g, '_').slice(0, 100)}.${FILE_EXTENSIONS[recording.contentType]}`;
  void reply
    .header('content-type', recording.contentType)
    .header('accept-ranges', 'bytes')
    .header('etag', etag)
    .header('cache-control', 'private, max-age=3600')
    .header('content-disposition', `${options.download ? 'attachment' : 'inline'}; filename="${filename}"`);
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  // If-Range with another validator: the file changed since the client's part, so send it whole.
  const ifRange = request.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== etag ? ({ kind: 'whole' } as const) : readRange(request.headers.range, recording.bytes);
  if (range.kind === 'unsatisfiable') {
    void reply.header('content-range', `bytes */${recording.bytes}`);
    throw new AppError('RANGE_NOT_SATISFIABLE', `range: ${request.headers.range} is outside the recording (${recording.bytes} bytes)`, { field: 'range' });
  }
  const span = range.kind === 'part' ? { start: range.start, end: range.end } : undefined;
  const length = span ? span.end - span.start + 1 : recording.bytes;
  if (span) void reply.code(206).header('content-range', `bytes ${span.start}-${span.end}/${recording.bytes}`);
  void reply.header('content-length', String(length));
  // Fastify's HEAD route would answer an empty payload with Content-Length: 0; an empty stream keeps ours.
  if (request.method === 'HEAD') return reply.send(Readable.from([]));
  const stream = await blobs.read({ orgId: recording.orgId, key: recording.blobKey }, span);
  if (!stream) throw new AppError('RECORDING_GONE', `The recording of call ${recording.callId} is no longer stored`);
  return reply.send(stream);
}
