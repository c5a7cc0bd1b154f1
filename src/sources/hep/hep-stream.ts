// HEP over TCP: cuts a byte stream into whole HEP3 packets by their total-length field, and
// resynchronises on the next "HEP3" after bytes that are not a packet. A frame whose length is a
// lie (corrupt, or a packet cut short by a sender) would swallow the packets behind it, or wait
// forever for bytes that never come: a "HEP3" inside its claimed span that starts a whole,
// decodable packet shows it bogus, and the stream goes on from there. (A real SIP payload never
// holds a binary HEP header, so a real frame is never cut by this.)
import { HEP_HEADER_BYTES, HEP_MAGIC, decodeHep } from './hep-packet.ts';

/** "HEP3", its total length and the first chunk's vendor, type and length. */
const SNIFF_BYTES = HEP_HEADER_BYTES + 6;
const MAX_GENERIC_CHUNK_TYPE = 17;

/**
 * Feed it whatever `socket.on('data')` delivers; `push` returns the packets completed so far
 * (each a fresh Buffer) and keeps the rest. The held remainder never exceeds two packets
 * (< 64 KiB each, the total length being a uint16: a frame, and one that may start inside it)
 * plus three bytes of a possible magic, so the buffer is bounded by the format itself. Framing
 * only: decode each packet with `decodeHep`.
 */
export class HepStreamSplitter {
  #pending: Buffer = Buffer.alloc(0);
  #droppedBytes = 0;
  #resyncs = 0;
  #packets = 0;

  /** Bytes discarded while looking for the next "HEP3". */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  /** How many times the stream was not at a packet boundary and had to be rescanned. */
  get resyncs(): number {
    return this.#resyncs;
  }

  get packets(): number {
    return this.#packets;
  }

  /** Bytes held for a packet not yet complete. */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Buffer): Buffer[] {
    const data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      const start = this.#findMagic(data, offset);
      if (start !== offset) this.#drop(start - offset);
      offset = start;
      if (data.length - offset < HEP_HEADER_BYTES) break;
      const total = data.readUInt16BE(offset + 4);
      if (total < HEP_HEADER_BYTES) {
        // "HEP3" followed by an impossible length is garbage that happens to spell the magic.
        this.#drop(HEP_MAGIC.length);
        offset += HEP_MAGIC.length;
        continue;
      }
      const complete = data.length - offset >= total;
      const inner = this.#packetInside(data, offset, total, complete);
      if (inner === 'wait') break;
      if (inner !== null) {
        this.#drop(inner - offset); // the bogus frame's bytes
        offset = inner;
        continue;
      }
      if (!complete) break;
      out.push(Buffer.from(data.subarray(offset, offset + total)));
      this.#packets++;
      offset += total;
    }
    // Copy so a large chunk is not kept alive by the few bytes of it still pending.
    this.#pending = offset >= data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(offset));
    return out;
  }

  /** Forgets a partial packet (e.g. when the connection closes); returns how many bytes that was. */
  reset(): number {
    const held = this.#pending.length;
    this.#pending = Buffer.alloc(0);
    return held;
  }

  #drop(bytes: number): void {
    if (bytes <= 0) return;
    this.#droppedBytes += bytes;
    this.#resyncs++;
  }

  /**
   * A packet starting inside the frame at `start` (claimed `total` bytes): the offset of the first
   * "HEP3" there that begins a whole, decodable packet; 'wait' when the frame is complete but a
   * "HEP3" in it looks like the start of a packet not all here yet; null when there is none.
   */
  #packetInside(data: Buffer, start: number, total: number, complete: boolean): number | 'wait' | null {
    const end = Math.min(start + total, data.length);
    let wait = false;
    for (let at = data.indexOf(HEP_MAGIC, start + 1); at !== -1 && at < end; at = data.indexOf(HEP_MAGIC, at + 1)) {
      const available = data.length - at;
      if (available < HEP_HEADER_BYTES) continue;
      const length = data.readUInt16BE(at + 4);
      if (length < SNIFF_BYTES) continue;
      if (available >= length) {
        if (decodeHep(data.subarray(at, at + length)).ok) return at;
      } else if (available >= SNIFF_BYTES && looksLikeFirstChunk(data, at + HEP_HEADER_BYTES)) {
        wait = true;
      }
    }
    return wait && complete ? 'wait' : null;
  }

  /**
   * Where the next packet may start at or after `from`: the next full "HEP3", else the start of
   * a trailing prefix of it ("H", "HE", "HEP") that the next chunk may complete, else the end.
   */
  #findMagic(data: Buffer, from: number): number {
    const found = data.indexOf(HEP_MAGIC, from);
    if (found !== -1) return found;
    for (let keep = Math.min(HEP_MAGIC.length - 1, data.length - from); keep > 0; keep--) {
      const tail = data.subarray(data.length - keep);
      if (tail.equals(HEP_MAGIC.subarray(0, keep))) return data.length - keep;
    }
    return data.length;
  }
}

/** A generic chunk header as every sender writes first (vendor 0, a known type, a sane length). */
function looksLikeFirstChunk(data: Buffer, at: number): boolean {
  const type = data.readUInt16BE(at + 2);
  return data.readUInt16BE(at) === 0 && type >= 1 && type <= MAX_GENERIC_CHUNK_TYPE && data.readUInt16BE(at + 4) >= 6;
}
