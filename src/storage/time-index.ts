// A segment's time index (Kafka's TimeIndex): sparse entries mapping the largest timestamp seen
// so far to the offset of the batch holding it, added with the offset index entries. Both
// columns rise, so a lookup by time is a binary search. 12 bytes per entry on disk, big-endian:
// timestamp (int64), offset relative to the segment's base offset (int32).
import { readInt64, writeInt64 } from '../protocol/records.js';
import { grown } from './columns.js';

const ENTRY = 12;

export interface TimeIndexEntry {
  timestamp: number;
  offset: number;
}

export class TimeIndex {
  private ts = new Float64Array(16);
  private rel = new Int32Array(16);
  private count = 0;

  constructor(
    readonly baseOffset: number,
    /** segment.index.bytes / 12: a full index rolls the segment. */
    readonly maxEntries: number,
  ) {}

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** The last entry, or null. */
  get last(): TimeIndexEntry | null {
    if (this.count === 0) return null;
    return { timestamp: this.ts[this.count - 1]!, offset: this.baseOffset + this.rel[this.count - 1]! };
  }

  /** Adds an entry when `timestamp` is larger than the last one's (and the offset not smaller). */
  maybeAppend(timestamp: number, offset: number): void {
    const rel = offset - this.baseOffset;
    if (this.count > 0 && (timestamp <= this.ts[this.count - 1]! || rel < this.rel[this.count - 1]!)) return;
    this.ts = grown(this.ts, this.count);
    this.rel = grown(this.rel, this.count);
    this.ts[this.count] = timestamp;
    this.rel[this.count] = rel;
    this.count++;
  }

  /**
   * The last entry whose timestamp is below `timestamp`: every batch up to its offset has smaller
   * timestamps, so a search for the first batch reaching `timestamp` may start there. Null when
   * the search must start at the segment's beginning.
   */
  lookupBelow(timestamp: number): TimeIndexEntry | null {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < timestamp) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return null;
    return { timestamp: this.ts[lo - 1]!, offset: this.baseOffset + this.rel[lo - 1]! };
  }

  /** Drops the entries whose offset is `offset` or later. */
  truncateToOffset(offset: number): void {
    while (this.count > 0 && this.baseOffset + this.rel[this.count - 1]! >= offset) this.count--;
  }

  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.count * ENTRY);
    for (let i = 0; i < this.count; i++) {
      writeInt64(out, i * ENTRY, this.ts[i]!);
      out.writeInt32BE(this.rel[i]!, i * ENTRY + 8);
    }
    return out;
  }

  /** Reads a time index file's bytes; returns why they cannot be trusted, or the index. */
  static decode(bytes: Buffer, baseOffset: number, maxEntries: number, nextOffset: number): TimeIndex | string {
    if (bytes.length % ENTRY !== 0) return `time index file size ${bytes.length} is not a multiple of ${ENTRY}`;
    const index = new TimeIndex(baseOffset, maxEntries);
    for (let at = 0; at < bytes.length; at += ENTRY) {
      const ts = readInt64(bytes, at);
      const rel = bytes.readInt32BE(at + 8);
      const before = index.count;
      if (rel < 0 || baseOffset + rel >= nextOffset) return `time index entry ${at / ENTRY} has offset ${baseOffset + rel}, outside the segment`;
      index.maybeAppend(ts, baseOffset + rel);
      if (index.count === before) return `time index entry ${at / ENTRY} does not rise above the previous one`;
    }
    return index;
  }
}
