// Recordings as callhook keeps them: the metadata row of a stored file (its bytes live in a
// RecordingStore), and the durable job that fetches a recording the phone system only pointed at.
import type { AudioType } from './audio-probe.ts';

export interface Recording {
  /** `rec_…` */
  id: string;
  orgId: string;
  callId: string;
  /** The connection that pushed it, or whose recording step pointed at it. */
  connectionId: string;
  /** The random part of its public links (recording-link.ts). */
  linkKey: string;
  contentType: AudioType;
  bytes: number;
  durationS: number | null;
  /** Hex SHA-256. */
  sha256: string;
  /** Where the bytes are in the RecordingStore; null once purged. */
  blobKey: string | null;
  createdAt: number;
  /** When retention purged it (its links answer 410 from then on). */
  purgedAt: number | null;
}

/** What a recording step asks for: fetch `url` for the call, then emit `eventId`. */
export interface NewRecordingFetch {
  /** `rfx_…` */
  id: string;
  orgId: string;
  connectionId: string;
  callId: string;
  url: string;
  /** The call.recording event promised to the step. */
  eventId: string;
  /** When the recording step happened (the event's time). */
  at: number;
  subject: string | null;
  description: string | null;
  /** Past this, no more attempts: the fetch has failed. */
  deadlineAt: number;
  createdAt: number;
}

export type FetchStatus = 'pending' | 'done' | 'failed';

export interface RecordingFetch extends NewRecordingFetch {
  status: FetchStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
}
