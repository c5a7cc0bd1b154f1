import { describe, expect, it } from 'vitest';
import { flacFile, mp3File, mp3WithId3, oggOpusFile, wavFile } from '../../test/fixtures/audio.ts';
import { HEAD_BYTES, probeAudio, sniffAudio } from './audio-probe.ts';

/** The probe as the intake runs it: the first and last HEAD_BYTES of the file, and its size. */
function probe(file: Buffer) {
  return probeAudio(file.subarray(0, HEAD_BYTES), file.subarray(Math.max(0, file.length - HEAD_BYTES)), file.length);
}

describe('probeAudio: the type from the bytes, the duration from the header', () => {
  it('reads a WAV: data size / byte rate, also when the recorder left the size open (streamed)', () => {
    expect(probe(wavFile(2.5))).toEqual({ contentType: 'audio/wav', durationS: 2.5 });
    expect(probe(wavFile(1.25, 16_000, { streamedSize: true }))).toEqual({ contentType: 'audio/wav', durationS: 1.25 });
  });

  it('reads an MP3 made by a real encoder (constant bit rate), with and without an ID3v2 tag', () => {
    const plain = probe(mp3File(3));
    expect(plain?.contentType).toBe('audio/mpeg');
    // LAME pads the start and end with encoder delay: within a frame or two of the tone's length.
    expect(plain!.durationS!).toBeGreaterThan(2.95);
    expect(plain!.durationS!).toBeLessThan(3.1);
    const tagged = probe(mp3WithId3(3));
    expect(tagged?.contentType).toBe('audio/mpeg');
    expect(tagged!.durationS!).toBeCloseTo(plain!.durationS!, 2);
  });

  it('reads a Xing frame count where an MP3 has one (a variable bit rate file)', () => {
    const file = mp3File(1);
    // Replace the first frame's body with a Xing tag saying 1,000 frames (MPEG-1 mono: tag at +21).
    const tagged = Buffer.from(file);
    tagged.write('Xing', 21, 'ascii');
    tagged.writeUInt32BE(1, 25);
    tagged.writeUInt32BE(1_000, 29);
    const mono = (file[3]! >> 6) === 3;
    expect(mono).toBe(true);
    expect(probe(tagged)).toEqual({ contentType: 'audio/mpeg', durationS: Math.round((1_000 * 1_152 * 1_000) / 44_100) / 1_000 });
  });

  it('reads an Ogg Opus file: last granule position at 48 kHz, less the pre-skip', () => {
    expect(probe(oggOpusFile(4.2))).toEqual({ contentType: 'audio/ogg', durationS: 4.2 });
  });

  it('reads FLAC from its STREAMINFO', () => {
    expect(probe(flacFile(7.5))).toEqual({ contentType: 'audio/flac', durationS: 7.5 });
  });

  it('reads a long file from its first and last bytes only', () => {
    const long = wavFile(30, 8_000); // 480 KB: far more than the head and tail
    expect(long.length).toBeGreaterThan(4 * HEAD_BYTES);
    expect(probe(long)).toEqual({ contentType: 'audio/wav', durationS: 30 });
    const longOgg = oggOpusFile(120);
    expect(probe(longOgg)).toEqual({ contentType: 'audio/ogg', durationS: 120 });
  });

  it('refuses what is not audio, whatever it claims to be', () => {
    const notAudio = [
      Buffer.from('<html><body>not found</body></html>'),
      Buffer.from('{"error":"unauthorized"}'),
      Buffer.from('%PDF-1.7\n'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), // PNG
      Buffer.from('RIFF\x10\x00\x00\x00AVI LIST', 'latin1'), // RIFF, but a video
      Buffer.from([0xff, 0xfb, 0x90, 0x44, 0x00, 0x00, 0x00, 0x00, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48].concat(Array<number>(2_000).fill(0x20))), // one sync word, then no second frame
      Buffer.alloc(0),
    ];
    for (const bytes of notAudio) {
      expect(sniffAudio(bytes), bytes.subarray(0, 12).toString('latin1')).toBeNull();
      expect(probe(bytes)).toBeNull();
    }
  });

  it('knows WebM and M4A audio by their containers, without a duration', () => {
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84]), Buffer.from('webm'), Buffer.alloc(40)]);
    expect(probe(webm)).toEqual({ contentType: 'audio/webm', durationS: null });
    const m4a = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A '), Buffer.alloc(40)]);
    expect(probe(m4a)).toEqual({ contentType: 'audio/mp4', durationS: null });
  });
});
