// The in-memory partition log. Batches are copied into per-partition slabs (so a log never pins
// the network buffers a request arrived in), indexed by base offset, and read back as views of
// those slabs: a fetch returns few large buffers and copies nothing.
import { ATTRIBUTES, PARTITION_LEADER_EPOCH, TIMESTAMP_TYPE_BIT, assignBatch, recordTimestamps, type BatchHeader } from '../protocol/records.js';
import type { AppendOptions, AppendResult, LogFactory, PartitionLog, ReadResult, TimestampOffset } from './log.js';

const FIRST_SLAB = 16 * 1024;
const MAX_SLAB = 1024 * 1024;

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  /** Highest max timestamp of this batch and all before it: monotone, so binary-searchable. */
  runningMaxTimestamp: number;
  bytes: Buffer;
  slab: Buffer;
  /** Position of `bytes` inside `slab`. */
  start: number;
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

  /** Copies a batch into the current slab, starting a larger one when it does not fit. */
  private store(batch: Buffer): { slab: Buffer; start: number } {
    const n = batch.length;
    if (n > MAX_SLAB / 4) {
      const own = Buffer.allocUnsafe(n);
      batch.copy(own);
      return { slab: own, start: 0 };
    }
    if (this.slabUsed + n > this.slab.length) {
      while (this.nextSlabSize < n) this.nextSlabSize *= 2;
      this.slab = Buffer.allocUnsafe(this.nextSlabSize);
      this.slabUsed = 0;
      this.nextSlabSize = Math.min(MAX_SLAB, this.nextSlabSize * 2);
    }
    const start = this.slabUsed;
    batch.copy(this.slab, start);
    this.slabUsed += n;
    return { slab: this.slab, start };
  }

  async append(batch: Buffer, header: BatchHeader, opts: AppendOptions): Promise<AppendResult> {
    const { slab, start } = this.store(batch);
    const bytes = slab.subarray(start, start + batch.length);
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
      slab,
      start,
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
    // a run of batches contiguous in one slab is returned as one view
    let runSlab: Buffer | null = null;
    let runStart = 0;
    let runEnd = 0;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (b.baseOffset >= upTo) break;
      const n = b.bytes.length;
      if (total + n > maxBytes && !(minOneBatch && total === 0)) break;
      if (runSlab === b.slab && runEnd === b.start) runEnd += n;
      else {
        if (runSlab !== null) records.push(runSlab.subarray(runStart, runEnd));
        runSlab = b.slab;
        runStart = b.start;
        runEnd = b.start + n;
      }
      total += n;
    }
    if (runSlab !== null) records.push(runSlab.subarray(runStart, runEnd));
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
