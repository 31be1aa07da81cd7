// The in-memory partition log. A batch is kept as the view of the request it arrived in when that
// buffer is mostly record data; small batches in large network reads are copied into
// per-partition slabs instead, so a log never pins much memory it does not use. Batches are
// indexed by base offset and read back as views: a fetch copies nothing.
import { ATTRIBUTES, PARTITION_LEADER_EPOCH, TIMESTAMP_TYPE_BIT, assignBatch, recordTimestamps, type BatchHeader } from '../protocol/records.js';
import type { AppendOptions, AppendResult, LogFactory, PartitionLog, ReadResult, TimestampOffset } from './log.js';

const FIRST_SLAB = 16 * 1024;
const MAX_SLAB = 1024 * 1024;
/** A batch is kept in its request's buffer when it fills at least 1/KEEP_SHARE of it. */
const KEEP_SHARE = 8;

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  /** Highest max timestamp of this batch and all before it: monotone, so binary-searchable. */
  runningMaxTimestamp: number;
  bytes: Buffer;
  /** Bytes of all batches before this one. */
  position: number;
}

export class MemoryLog implements PartitionLog {
  private batches: StoredBatch[] = [];
  private slab: Buffer = Buffer.allocUnsafe(0);
  private slabUsed = 0;
  private nextSlabSize = FIRST_SLAB;
  private endOffset = 0;
  private startOffset = 0;
  private bytes = 0;
  /** Index in `batches` of the first batch holding the largest timestamp. */
  private maxTimestampBatch = -1;

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get highWatermark(): number {
    return this.endOffset;
  }

  get sizeInBytes(): number {
    return this.bytes;
  }

  /**
   * Where a batch is kept: the request buffer it arrived in when the batch is a good share of
   * it (a network read full of batches is kept whole at no cost), else a copy in the current
   * slab, started larger when full.
   */
  private store(batch: Buffer): Buffer {
    const n = batch.length;
    if (n * KEEP_SHARE >= batch.buffer.byteLength) return batch;
    if (n > MAX_SLAB / 4) return Buffer.from(batch);
    if (this.slabUsed + n > this.slab.length) {
      while (this.nextSlabSize < n) this.nextSlabSize *= 2;
      this.slab = Buffer.allocUnsafe(this.nextSlabSize);
      this.slabUsed = 0;
      this.nextSlabSize = Math.min(MAX_SLAB, this.nextSlabSize * 2);
    }
    const copy = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    batch.copy(copy);
    this.slabUsed += n;
    return copy;
  }

  append(batch: Buffer, header: BatchHeader, opts: AppendOptions): AppendResult {
    const bytes = this.store(batch);
    const baseOffset = this.endOffset;
    assignBatch(bytes, baseOffset, opts.leaderEpoch, opts.logAppendTime);
    const lastOffset = baseOffset + header.lastOffsetDelta;
    const maxTimestamp = opts.logAppendTime ?? header.maxTimestamp;
    const prev = this.batches.length ? this.batches[this.batches.length - 1]!.runningMaxTimestamp : -Infinity;
    if (maxTimestamp > prev) this.maxTimestampBatch = this.batches.length;
    this.batches.push({
      baseOffset,
      lastOffset,
      maxTimestamp,
      runningMaxTimestamp: Math.max(prev, maxTimestamp),
      bytes,
      position: this.bytes,
    });
    this.endOffset = lastOffset + 1;
    this.bytes += batch.length;
    return { baseOffset, lastOffset, logAppendTime: opts.logAppendTime ?? -1, logStartOffset: this.startOffset };
  }

  /** Index of the first batch whose last offset is >= offset (batches.length if none). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async read(offset: number, maxBytes: number, minOneBatch: boolean, upTo: number): Promise<ReadResult> {
    const records: Buffer[] = [];
    let total = 0;
    // batches adjacent in memory (one slab, or one network read) are returned as one view
    let run: Buffer | null = null;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!.bytes;
      if (this.batches[i]!.baseOffset >= upTo) break;
      if (total + b.length > maxBytes && !(minOneBatch && total === 0)) break;
      if (run !== null && run.buffer === b.buffer && run.byteOffset + run.length === b.byteOffset) {
        run = Buffer.from(b.buffer, run.byteOffset, run.length + b.length);
      } else {
        if (run !== null) records.push(run);
        run = b;
      }
      total += b.length;
    }
    if (run !== null) records.push(run);
    return { records, bytes: total };
  }

  bytesFrom(offset: number, upTo: number): number {
    const i = this.indexOf(offset);
    if (i >= this.batches.length) return 0;
    const j = upTo >= this.endOffset ? this.batches.length : this.indexOf(upTo);
    const end = j >= this.batches.length ? this.bytes : this.batches[j]!.position;
    return Math.max(0, end - this.batches[i]!.position);
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    let lo = this.indexOf(this.startOffset);
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.runningMaxTimestamp < timestamp) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= this.batches.length) return null;
    return this.findInBatch(this.batches[lo]!, ts => ts >= timestamp);
  }

  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    if (this.maxTimestampBatch < 0) return null;
    const b = this.batches[this.maxTimestampBatch]!;
    return this.findInBatch(b, ts => ts === b.maxTimestamp);
  }

  /** The first record of a batch whose timestamp satisfies `match` (the batch itself if its codec is unreadable here). */
  private findInBatch(b: StoredBatch, match: (ts: number) => boolean): TimestampOffset {
    const leaderEpoch = b.bytes.readInt32BE(PARTITION_LEADER_EPOCH);
    if ((b.bytes.readInt16BE(ATTRIBUTES) & TIMESTAMP_TYPE_BIT) === 0) {
      const records = recordTimestamps(b.bytes);
      if (records !== null) {
        for (const r of records) {
          if (r.offset >= this.startOffset && match(r.timestamp)) return { offset: r.offset, timestamp: r.timestamp, leaderEpoch };
        }
      }
    }
    return { offset: Math.max(b.baseOffset, this.startOffset), timestamp: b.maxTimestamp, leaderEpoch };
  }

  epochAt(offset: number): number {
    const i = this.indexOf(offset);
    const b = this.batches[i];
    if (b === undefined || b.baseOffset > offset) return -1;
    return b.bytes.readInt32BE(PARTITION_LEADER_EPOCH);
  }

  async close(): Promise<void> {
    this.batches = [];
    this.slab = Buffer.allocUnsafe(0);
  }
}

export class MemoryLogFactory implements LogFactory {
  create(): PartitionLog {
    return new MemoryLog();
  }

  async remove(): Promise<void> {}

  async close(): Promise<void> {}
}
