// A segment's offset index (Kafka's OffsetIndex): sparse entries mapping an offset to the file
// position of the batch it ends, one entry per index.interval.bytes of log. Entries are 8 bytes
// on disk, big-endian: offset relative to the segment's base offset (int32), position (int32).
// The index lives in memory and is written whole when its segment is rolled, flushed or closed;
// after an unclean shutdown the indexes past the recovery point are rebuilt from the log.

import { grown } from './columns.js';

const ENTRY = 8;

export interface IndexPosition {
  offset: number;
  position: number;
}

export class OffsetIndex {
  private rel = new Int32Array(16);
  private pos = new Int32Array(16);
  private count = 0;

  constructor(
    readonly baseOffset: number,
    /** segment.index.bytes / 8: a full index rolls the segment. */
    readonly maxEntries: number,
  ) {}

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get sizeInBytes(): number {
    return this.count * ENTRY;
  }

  /** Adds an entry; offsets must increase (a smaller or equal one is ignored, as it adds nothing). */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (this.count > 0 && rel <= this.rel[this.count - 1]!) return;
    this.rel = grown(this.rel, this.count);
    this.pos = grown(this.pos, this.count);
    this.rel[this.count] = rel;
    this.pos[this.count] = position;
    this.count++;
  }

  /** The entry with the largest offset <= `offset`; the segment start when there is none. */
  lookup(offset: number): IndexPosition {
    const rel = offset - this.baseOffset;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= rel) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.rel[lo - 1]!, position: this.pos[lo - 1]! };
  }

  /** Drops the entries at or past file position `position` (the log was truncated there). */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.pos[this.count - 1]! >= position) this.count--;
  }

  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.count * ENTRY);
    for (let i = 0; i < this.count; i++) {
      out.writeInt32BE(this.rel[i]!, i * ENTRY);
      out.writeInt32BE(this.pos[i]!, i * ENTRY + 4);
    }
    return out;
  }

  /**
   * Reads an index file's bytes; returns why they cannot be trusted (Kafka's sanityCheck: whole
   * entries, offsets rising, positions rising and inside the log) or the index.
   */
  static decode(bytes: Buffer, baseOffset: number, maxEntries: number, logSize: number): OffsetIndex | string {
    if (bytes.length % ENTRY !== 0) return `index file size ${bytes.length} is not a multiple of ${ENTRY}`;
    const index = new OffsetIndex(baseOffset, maxEntries);
    let lastRel = -1;
    let lastPos = -1;
    for (let at = 0; at < bytes.length; at += ENTRY) {
      const rel = bytes.readInt32BE(at);
      const position = bytes.readInt32BE(at + 4);
      if (rel <= lastRel) return `index entry ${at / ENTRY} has offset ${baseOffset + rel}, not above the previous ${baseOffset + lastRel}`;
      if (position < lastPos || position >= logSize) return `index entry ${at / ENTRY} has position ${position}, outside the log's ${logSize} bytes or before the previous entry`;
      index.append(baseOffset + rel, position);
      lastRel = rel;
      lastPos = position;
    }
    return index;
  }
}
