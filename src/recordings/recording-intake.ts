// Where a recording's bytes become part of its call: stream them into the RecordingStore (measured
// and checked on the way: audio-intake.ts), then — only once the file is whole and durable — join
// it to the call with a recording-stored step through the normal ingest path, which writes its row
// and plans call.recording with callhook's own signed link. A file that does not join (the same
// recording again, a conflict, a failure) is deleted.
import type { CallRecording } from '../calls/call.ts';
import type { RecordingStoredStep } from '../calls/steps.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../observability/logger.ts';
import type { Ingest } from '../sources/ingest/ingest.ts';
import type { Store } from '../store/store.ts';
import type { Connection, Org } from '../tenancy/org.ts';
import { measure, tooLarge } from './audio-intake.ts';
import type { LinkSigner } from './link-signer.ts';
import type { Recording, RecordingFetch } from './recording.ts';
import { newLinkKey } from './recording-link.ts';
import type { RecordingStore } from './recording-store.ts';

export interface IntakeResult {
  /** stored: a new recording, its event planned; duplicate: the call already had exactly this one. */
  status: 'stored' | 'duplicate';
  eventId: string;
  recording: Recording;
}

export interface RecordingIntake {
  /** A recording the phone system pushes for one of its calls. */
  push(input: { org: Org; connection: Connection; callId: string; source: AsyncIterable<Uint8Array>; declaredBytes: number | null }): Promise<IntakeResult>;
  /** A fetched recording, completing its fetch job. */
  completeFetch(input: { org: Org; connection: Connection; fetch: RecordingFetch; source: AsyncIterable<Uint8Array>; declaredBytes: number | null }): Promise<IntakeResult>;
}

export function createRecordingIntake(deps: {
  store: Store;
  blobs: RecordingStore;
  ingest: Ingest;
  signer: LinkSigner;
  clock: Clock;
  log: Logger;
  maxBytes: number;
}): RecordingIntake {
  const { store, blobs } = deps;

  async function take(input: {
    org: Org;
    connection: Connection;
    callId: string;
    source: AsyncIterable<Uint8Array>;
    declaredBytes: number | null;
    step: (recording: CallRecording, at: number) => RecordingStoredStep;
    completesFetch?: string;
  }): Promise<IntakeResult> {
    const { org, connection, callId } = input;
    if (input.declaredBytes !== null && input.declaredBytes > deps.maxBytes) throw tooLarge(deps.maxBytes);
    const id = newId('rec', deps.clock.now());
    const intake = measure(input.source, deps.maxBytes);
    await blobs.put({ orgId: org.id, key: id, source: intake.stream });
    const measured = intake.result();
    const now = deps.clock.now();
    const recording: Recording = {
      id, orgId: org.id, callId, connectionId: connection.id, linkKey: newLinkKey(), contentType: measured.probe.contentType,
      bytes: measured.bytes, durationS: measured.probe.durationS, sha256: measured.sha256, blobKey: id, createdAt: now, purgedAt: null,
    };
    const link = await deps.signer.sign(recording.linkKey);
    const carried: CallRecording = { url: link.url, contentType: recording.contentType, bytes: recording.bytes, durationS: recording.durationS, sha256: recording.sha256 };
    let joined = false;
    try {
      const result = await deps.ingest.acceptSteps(org, connection, [input.step(carried, now)], false, { recording, completesFetch: input.completesFetch });
      const step = result.results[0]!;
      if (step.status === 'applied') {
        joined = true;
        return { status: 'stored', eventId: step.eventId, recording };
      }
      const existing = await store.recordings.forCall(org.id, callId);
      if (!existing) throw new AppError('INTERNAL', `call ${callId} has a recording step but no recording`);
      return { status: 'duplicate', eventId: step.eventId, recording: existing };
    } finally {
      if (!joined) await blobs.delete({ orgId: org.id, key: id }).catch((error: unknown) => deps.log.warn({ err: error, recording: id }, 'could not delete a recording that did not join its call'));
    }
  }

  return {
    async push({ org, connection, callId, source, declaredBytes }) {
      // Before a byte is read: a recording joins a call callhook knows.
      if (!(await store.calls.get(org.id, callId))) {
        throw new AppError('CALL_STATE_CONFLICT', `callId: call ${callId} has not started; send its started step first (for calls from SIP: the SIP Call-ID)`, { field: 'callId' });
      }
      return take({ org, connection, callId, source, declaredBytes, step: (recording, at) => ({ type: 'recording-stored', callId, recording, at, source: { kind: 'push' } }) });
    },
    completeFetch({ org, connection, fetch, source, declaredBytes }) {
      return take({
        org, connection, callId: fetch.callId, source, declaredBytes, completesFetch: fetch.id,
        step: (recording) => ({
          type: 'recording-stored', callId: fetch.callId, recording, at: fetch.at, source: { kind: 'fetch', eventId: fetch.eventId },
          ...(fetch.subject !== null ? { subject: fetch.subject } : {}),
          ...(fetch.description !== null ? { description: fetch.description } : {}),
        }),
      });
    },
  };
}
