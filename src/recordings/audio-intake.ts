// A recording on its way in, measured as it streams by: its size (capped), SHA-256, and the first
// and last bytes the probe reads. What is not audio is refused as soon as its first bytes are in,
// and what outgrows the cap the moment it does — before much of it is stored.
import { createHash } from 'node:crypto';
import { AppError } from '../errors.ts';
import { type AudioProbe, HEAD_BYTES, SNIFF_BYTES, probeAudio, sniffAudio } from './audio-probe.ts';

export interface Measured {
  bytes: number;
  sha256: string;
  probe: AudioProbe;
}

export interface Intake {
  /** The bytes as they arrive, for the RecordingStore; throws NOT_AUDIO or RECORDING_TOO_LARGE midway. */
  stream: AsyncIterable<Uint8Array>;
  /** Once `stream` has ended: what came through. */
  result(): Measured;
}

export function measure(source: AsyncIterable<Uint8Array>, maxBytes: number): Intake {
  const hash = createHash('sha256');
  let bytes = 0;
  const head: Buffer[] = [];
  let headBytes = 0;
  let tail = Buffer.alloc(0);
  let sniffed = false;
  let done: Measured | null = null;

  const sniff = () => {
    sniffed = true;
    if (sniffAudio(Buffer.concat(head)) === null) throw notAudio();
  };

  async function* stream(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      if (chunk.byteLength === 0) continue;
      bytes += chunk.byteLength;
      if (bytes > maxBytes) throw tooLarge(maxBytes);
      const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash.update(piece);
      if (headBytes < HEAD_BYTES) {
        const take = piece.subarray(0, HEAD_BYTES - headBytes);
        head.push(Buffer.from(take));
        headBytes += take.length;
      }
      tail = piece.length >= HEAD_BYTES ? Buffer.from(piece.subarray(piece.length - HEAD_BYTES)) : Buffer.concat([tail, piece]).subarray(-HEAD_BYTES);
      if (!sniffed && headBytes >= SNIFF_BYTES) sniff();
      yield chunk;
    }
    if (bytes === 0) throw new AppError('VALIDATION_FAILED', '(body) is empty: send the recording as the body', { field: '(body)' });
    if (!sniffed) sniff();
    const probe = probeAudio(Buffer.concat(head), tail, bytes);
    if (!probe) throw notAudio();
    done = { bytes, sha256: hash.digest('hex'), probe };
  }

  return {
    stream: stream(),
    result() {
      if (!done) throw new Error('the recording has not been read to its end');
      return done;
    },
  };
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError('RECORDING_TOO_LARGE', `(body) is larger than ${Math.round(maxBytes / 1_000_000)} MB (CALLHOOK_RECORDING_MAX_MB)`, { field: '(body)' });
}

function notAudio(): AppError {
  return new AppError('NOT_AUDIO', '(body) is not audio: its first bytes are not those of a WAV, MP3, Ogg, FLAC, WebM or M4A file', { field: '(body)' });
}
