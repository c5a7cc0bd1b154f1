// A call's recording in the portal: played by the browser's own <audio> (it seeks with Range
// requests to the organization's recording route, the session cookie riding along), with its size
// and length, and a download.
import type { CallDetail } from '../../api/types';
import { formatSeconds } from '../../components/Time';

type Recording = NonNullable<CallDetail['call']['recording']>;

export function RecordingPlayer({ orgId, callId, recording }: { orgId: string; callId: string; recording: Recording }) {
  const src = `/v1/orgs/${encodeURIComponent(orgId)}/calls/${encodeURIComponent(callId)}/recording`;
  return (
    <div className="recording-player" data-testid="recording-player">
      <audio controls preload="metadata" src={src}>
        <a href={`${src}?download=true`}>Download the recording</a>
      </audio>
      <p className="muted small">
        <span data-testid="recording-facts">{recordingFacts(recording)}</span> ·{' '}
        <a href={`${src}?download=true`} download data-testid="recording-download">
          Download
        </a>
      </p>
    </div>
  );
}

/** "audio/wav · 1.2 MB · 1 min 05 s" */
export function recordingFacts(recording: Recording): string {
  const parts = [recording.contentType, formatBytes(recording.bytes)];
  if (recording.durationS !== null) parts.push(formatSeconds(Math.round(recording.durationS)));
  return parts.join(' · ');
}

function formatBytes(bytes: number): string {
  if (bytes < 1_000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1_000).toFixed(0)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** How fetching a recording the phone system pointed at goes, while there is none. */
export function FetchState({ fetch }: { fetch: NonNullable<CallDetail['recordingFetch']> }) {
  if (fetch.status === 'pending') {
    return <span data-testid="recording-fetch">Being fetched from the phone system{fetch.attempts > 0 ? ` (tried ${fetch.attempts}×: ${fetch.lastError ?? 'failed'})` : ''}</span>;
  }
  if (fetch.status === 'failed') return <span data-testid="recording-fetch">Could not be fetched: {fetch.lastError ?? 'gave up'}</span>;
  return null;
}
