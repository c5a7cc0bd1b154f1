// HEP over TCP: cuts a byte stream into whole HEP3 packets by their total-length field, and
// resynchronises on the next "HEP3" after bytes that are not a packet.
import { HEP_HEADER_BYTES, HEP_MAGIC } from './hep-packet.ts';

/**
 * Feed it whatever `socket.on('data')` delivers; `push` returns the packets completed so far
 * (each a fresh Buffer) and keeps the rest. The held remainder never exceeds one packet
 * (< 64 KiB, the total length being a uint16) plus three bytes of a possible magic, so the
 * buffer is bounded by the format itself. Framing only: decode each packet with `decodeHep`.
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
      if (data.length - offset < total) break;
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
