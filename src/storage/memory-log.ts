// The in-memory partition log. A batch is kept in the memory it arrived in (a view of the
// network read, or the pieces of the reads a request straddled) when it is a good share of that
// memory; small batches in large reads are copied into per-partition slabs instead, so a log
// never pins much memory it does not use. Batches are indexed by base offset and read back as
// views: a fetch copies nothing.
import { ATTRIBUTES, HEADER_SIZE, TIMESTAMP_TYPE_BIT, assignBatch, recordTimestamps, type BatchHeader } from '../protocol/records.js';
import type { AppendOptions, AppendResult, LogFactory, PartitionLog, ReadResult, TimestampOffset } from './log.js';

const FIRST_SLAB = 16 * 1024;
const MAX_SLAB = 1024 * 1024;
/** A batch is kept in the buffers it arrived in when it fills at least 1/KEEP_SHARE of each. */
const KEEP_SHARE = 8;

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  /** Highest max timestamp of this batch and all before it: monotone, so binary-searchable. */
  runningMaxTimestamp: number;
  leaderEpoch: number;
  /** The batch's bytes: one buffer, or the pieces of the reads it straddled, in order. */
  bytes: Buffer | readonly Buffer[];
  size: number;
  /** Bytes of all batches before this one. */
  position: number;
}

/** Copies `src` over consecutive pieces, from the start of the first. */
function writeAcross(pieces: readonly Buffer[], src: Buffer): void {
  let done = 0;
  for (const piece of pieces) {
    if (done >= src.length) break;
    done += src.copy(piece, 0, done);
  }
}

/** Grows `run` by `piece` when it follows in memory; otherwise sets `run` aside and starts a new one. */
function extendRun(records: Buffer[], run: Buffer | null, piece: Buffer): Buffer {
  if (run !== null && run.buffer === piece.buffer && run.byteOffset + run.length === piece.byteOffset) {
    return Buffer.from(piece.buffer, run.byteOffset, run.length + piece.length);
  }
  if (run !== null) records.push(run);
  return piece;
}

/** A batch's bytes in one buffer (joined only for a batch kept in pieces, on the rare lookup paths). */
const contiguous = (b: StoredBatch): Buffer => (Buffer.isBuffer(b.bytes) ? b.bytes : Buffer.concat(b.bytes as Buffer[], b.size));

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
   * Where a batch is kept: the memory it arrived in when the batch is a good share of each
   * buffer involved (a network read full of batches is kept whole at no cost), else a copy in
   * the current slab, started larger when full. `batch` already carries its assigned header.
   */
  private store(batch: Buffer, arrived: readonly Buffer[] | null): Buffer | readonly Buffer[] {
    const n = batch.length;
    if (arrived !== null) {
      if (arrived.every(piece => n * KEEP_SHARE >= piece.buffer.byteLength)) {
        writeAcross(arrived, batch.subarray(0, HEADER_SIZE));
        return arrived;
      }
    } else if (n * KEEP_SHARE >= batch.buffer.byteLength) return batch;
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
    const baseOffset = this.endOffset;
    assignBatch(batch, baseOffset, opts.leaderEpoch, opts.logAppendTime);
    const bytes = this.store(batch, opts.arrived);
    const lastOffset = baseOffset + header.lastOffsetDelta;
    const maxTimestamp = opts.logAppendTime ?? header.maxTimestamp;
    const prev = this.batches.length ? this.batches[this.batches.length - 1]!.runningMaxTimestamp : -Infinity;
    if (maxTimestamp > prev) this.maxTimestampBatch = this.batches.length;
    this.batches.push({
      baseOffset,
      lastOffset,
      maxTimestamp,
      runningMaxTimestamp: Math.max(prev, maxTimestamp),
      leaderEpoch: opts.leaderEpoch,
      bytes,
      size: batch.length,
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
    // pieces adjacent in memory (one slab, or one network read) are returned as one view
    let run: Buffer | null = null;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (b.baseOffset >= upTo) break;
      if (total + b.size > maxBytes && !(minOneBatch && total === 0)) break;
      if (Buffer.isBuffer(b.bytes)) run = extendRun(records, run, b.bytes);
      else for (const piece of b.bytes as readonly Buffer[]) run = extendRun(records, run, piece);
      total += b.size;
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
    const leaderEpoch = b.leaderEpoch;
    const bytes = contiguous(b);
    if ((bytes.readInt16BE(ATTRIBUTES) & TIMESTAMP_TYPE_BIT) === 0) {
      const records = recordTimestamps(bytes);
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
    return b.leaderEpoch;
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
