// What a recording is, read from its own bytes: the content type from the file's magic (never the
// request's word for it), and its duration where the header says it cheaply. Pure: it sees the
// first and last bytes of the file (HEAD_BYTES each, kept while it streams by) and its size.
//   WAV  RIFF/WAVE: data chunk size / byte rate (fmt chunk)
//   MP3  ID3v2 tag skipped, then the first frame: Xing/Info or VBRI frame count, else CBR bytes/bitrate
//   OGG  OggS: last page's granule position / sample rate (Opus: always 48 kHz, less pre-skip)
//   FLAC fLaC: STREAMINFO total samples / sample rate
//   WebM, M4A: recognised; duration unknown (it needs the whole container walked)

export const AUDIO_TYPES = ['audio/wav', 'audio/mpeg', 'audio/ogg', 'audio/flac', 'audio/webm', 'audio/mp4'] as const;
export type AudioType = (typeof AUDIO_TYPES)[number];

/** How much of the start (and of the end) of a file the probe wants. */
export const HEAD_BYTES = 64 * 1024;
/** Bytes needed before the content type can be told (the longest magic read, with an ID3 tag's frame). */
export const SNIFF_BYTES = 16;

export const FILE_EXTENSIONS: Record<AudioType, string> = {
  'audio/wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'audio/flac': 'flac',
  'audio/webm': 'webm',
  'audio/mp4': 'm4a',
};

export interface AudioProbe {
  contentType: AudioType;
  /** Seconds (3 decimals), or null when the header does not say. */
  durationS: number | null;
}

/** The audio type the bytes start with, or null when they are not audio callhook knows. */
export function sniffAudio(head: Uint8Array): AudioType | null {
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WAVE') return 'audio/wav';
  if (ascii(head, 0, 4) === 'OggS') return 'audio/ogg';
  if (ascii(head, 0, 4) === 'fLaC') return 'audio/flac';
  if (ascii(head, 0, 3) === 'ID3' && head.length >= 10 && head[3]! >= 2 && head[3]! <= 4) return 'audio/mpeg';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3 && includesAscii(head, 'webm', 64)) return 'audio/webm';
  if (ascii(head, 4, 4) === 'ftyp' && ['M4A ', 'M4B '].includes(ascii(head, 8, 4))) return 'audio/mp4';
  // A bare MPEG audio stream: a frame header, and (when the head holds it) the next frame's too —
  // one sync word alone is two bytes any file may happen to start with.
  const frame = mpegFrame(head, 0);
  if (frame && (head.length < frame.length + 4 || mpegFrame(head, frame.length) !== null)) return 'audio/mpeg';
  return null;
}

/** The type and, where cheap, the duration; null when the bytes are not audio. */
export function probeAudio(head: Uint8Array, tail: Uint8Array, totalBytes: number): AudioProbe | null {
  const contentType = sniffAudio(head);
  if (contentType === null) return null;
  let durationS: number | null = null;
  switch (contentType) {
    case 'audio/wav':
      durationS = wavDuration(head, totalBytes);
      break;
    case 'audio/mpeg':
      durationS = mp3Duration(head, tail, totalBytes);
      break;
    case 'audio/ogg':
      durationS = oggDuration(head, tail);
      break;
    case 'audio/flac':
      durationS = flacDuration(head);
      break;
    default:
      durationS = null;
  }
  return { contentType, durationS: durationS === null || !Number.isFinite(durationS) || durationS < 0 ? null : Math.round(durationS * 1_000) / 1_000 };
}

function wavDuration(head: Uint8Array, totalBytes: number): number | null {
  let offset = 12;
  let byteRate = 0;
  while (offset + 8 <= head.length) {
    const id = ascii(head, offset, 4);
    const size = u32le(head, offset + 4);
    if (id === 'fmt ' && offset + 16 <= head.length) byteRate = u32le(head, offset + 16);
    if (id === 'data') {
      if (byteRate === 0) return null;
      const start = offset + 8;
      // A recorder that streamed the file may leave the size 0 or 0xFFFFFFFF: then the rest of the file is data.
      const dataBytes = size === 0 || size === 0xffff_ffff || start + size > totalBytes ? totalBytes - start : size;
      return dataBytes / byteRate;
    }
    offset += 8 + size + (size % 2);
  }
  return null;
}

interface MpegFrame {
  length: number;
  bitrateKbps: number;
  sampleRate: number;
  samplesPerFrame: number;
  /** Where the Xing/Info tag would be, from the frame's start. */
  xingOffset: number;
}

const BITRATES: Record<string, number[]> = {
  // [version][layer] → kbps by index (MPEG-1, MPEG-2/2.5)
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES: Record<number, number[]> = { 3: [44_100, 48_000, 32_000], 2: [22_050, 24_000, 16_000], 0: [11_025, 12_000, 8_000] };

/** The MPEG audio frame header at `at`, or null when there is none. */
function mpegFrame(bytes: Uint8Array, at: number): MpegFrame | null {
  if (at + 4 > bytes.length) return null;
  const [b0, b1, b2, b3] = [bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const versionBits = (b1 >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
  const layerBits = (b1 >> 1) & 3; // 3: layer I, 2: II, 1: III, 0: reserved
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const layer = 4 - layerBits;
  const v1 = versionBits === 3;
  const bitrateKbps = BITRATES[`${v1 ? 1 : 2}-${layer}`]![bitrateIndex]!;
  const sampleRate = SAMPLE_RATES[versionBits]![rateIndex]!;
  const padding = (b2 >> 1) & 1;
  const mono = b3 >> 6 === 3;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && !v1 ? 576 : 1_152;
  const length = layer === 1 ? (Math.floor((12 * bitrateKbps * 1_000) / sampleRate) + padding) * 4 : Math.floor(((samplesPerFrame / 8) * bitrateKbps * 1_000) / sampleRate) + padding;
  const xingOffset = 4 + (v1 ? (mono ? 17 : 32) : mono ? 9 : 17);
  return length >= 4 ? { length, bitrateKbps, sampleRate, samplesPerFrame, xingOffset } : null;
}

/** Where the audio starts: after an ID3v2 tag (and its footer), if any. */
function id3End(head: Uint8Array): number {
  if (ascii(head, 0, 3) !== 'ID3' || head.length < 10) return 0;
  const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
  const footer = head[5]! & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

function mp3Duration(head: Uint8Array, tail: Uint8Array, totalBytes: number): number | null {
  let start = id3End(head);
  // Some encoders pad between the tag and the first frame: look a little way for a frame sync.
  let frame: MpegFrame | null = null;
  for (let at = start; at < Math.min(head.length - 4, start + 4_096); at++) {
    frame = mpegFrame(head, at);
    if (frame) {
      start = at;
      break;
    }
  }
  if (!frame) return null;
  const xing = start + frame.xingOffset;
  const tag = ascii(head, xing, 4);
  if ((tag === 'Xing' || tag === 'Info') && xing + 12 <= head.length && u32be(head, xing + 4) & 1) {
    return (u32be(head, xing + 8) * frame.samplesPerFrame) / frame.sampleRate;
  }
  if (ascii(head, start + 36, 4) === 'VBRI' && start + 54 <= head.length) {
    return (u32be(head, start + 36 + 14) * frame.samplesPerFrame) / frame.sampleRate;
  }
  // No frame count: read it as constant bit rate, without an ID3v1 tag at the end.
  const id3v1 = tail.length >= 128 && ascii(tail, tail.length - 128, 3) === 'TAG' ? 128 : 0;
  return ((totalBytes - start - id3v1) * 8) / (frame.bitrateKbps * 1_000);
}

function oggDuration(head: Uint8Array, tail: Uint8Array): number | null {
  // The first page's first packet says the codec: OpusHead (48 kHz granules, less pre-skip) or a Vorbis identification header.
  if (head.length < 28) return null;
  const segments = head[26]!;
  const packet = 27 + segments;
  let rate: number;
  let preSkip = 0;
  if (ascii(head, packet, 8) === 'OpusHead' && packet + 12 <= head.length) {
    rate = 48_000;
    preSkip = head[packet + 10]! | (head[packet + 11]! << 8);
  } else if (head[packet] === 1 && ascii(head, packet + 1, 6) === 'vorbis' && packet + 16 <= head.length) {
    rate = u32le(head, packet + 12);
  } else if (ascii(head, packet, 5) === '\x7fFLAC' && packet + 9 + 4 + 18 <= head.length) {
    const info = packet + 9 + 4 + 4; // FLAC-in-Ogg mapping header, then fLaC and a block header
    rate = (head[info + 10]! << 12) | (head[info + 11]! << 4) | (head[info + 12]! >> 4);
  } else {
    return null;
  }
  if (rate <= 0) return null;
  // The last page with a granule position (-1 means "no packet ends here").
  for (let at = tail.length - 27; at >= 0; at--) {
    if (tail[at] !== 0x4f || ascii(tail, at, 4) !== 'OggS') continue;
    const granule = new DataView(tail.buffer, tail.byteOffset + at + 6, 8).getBigInt64(0, true);
    if (granule < 0n) continue;
    return Math.max(0, Number(granule) - preSkip) / rate;
  }
  return null;
}

function flacDuration(head: Uint8Array): number | null {
  // fLaC, then the STREAMINFO block (always first): 4-byte block header, then 34 bytes.
  const info = 8;
  if (head.length < info + 18 || (head[4]! & 0x7f) !== 0) return null;
  const rate = (head[info + 10]! << 12) | (head[info + 11]! << 4) | (head[info + 12]! >> 4);
  const samples = (head[info + 13]! & 0x0f) * 2 ** 32 + u32be(head, info + 14);
  return rate > 0 && samples > 0 ? samples / rate : null;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  if (at < 0 || at + length > bytes.length) return '';
  let out = '';
  for (let i = at; i < at + length; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

function includesAscii(bytes: Uint8Array, text: string, within: number): boolean {
  const end = Math.min(bytes.length, within) - text.length;
  for (let i = 0; i <= end; i++) if (ascii(bytes, i, text.length) === text) return true;
  return false;
}

function u32le(bytes: Uint8Array, at: number): number {
  if (at + 4 > bytes.length) return 0;
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

function u32be(bytes: Uint8Array, at: number): number {
  if (at + 4 > bytes.length) return 0;
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
