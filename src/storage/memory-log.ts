// The in-memory partition log. A batch is kept in the memory it arrived in (a region of the
// network read, or the pieces of the reads a request straddled) when it is a good share of that
// memory; small batches in large reads are copied into per-partition slabs instead, so a log
// never pins much memory it does not use. Batches are indexed by base offset and read back as
// views: a fetch copies nothing.
//
// Batch metadata lives in typed columns and batches are referenced by their ArrayBuffer and
// offset, so a stored batch costs no JS object of its own: the garbage collector, which walks
// every live object on each major collection, has as little to do as the data allows.
import { BASE_OFFSET, HEADER_SIZE, LAST_OFFSET_DELTA, MAX_TIMESTAMP, PARTITION_LEADER_EPOCH, assignBatch, readInt64, type BatchHeader } from '../protocol/records.js';
import type { CleanedSegmentWriter, CleanerSegment, CompactableLog } from './cleaner.js';
import { grown } from './columns.js';
import { findRecordInBatch, matchRecordInBatch } from './batch-lookup.js';
import type { Clock } from '../broker/clock.js';
import type { AppendOptions, AppendResult, LogCreateOptions, LogFactory, LogSettings, PartitionLog, ReadResult, TimestampOffset } from './log.js';
import { ProducerStateManager, recordAppend, type AbortedTxn } from './producer-state.js';
import { abortedOverlapping } from './txn-index.js';

const FIRST_SLAB = 16 * 1024;
const MAX_SLAB = 1024 * 1024;
/** A batch is kept in the buffers it arrived in when it fills at least 1/KEEP_SHARE of each. */
const KEEP_SHARE = 8;
/** `at` of a batch kept in pieces (its memory entry is then the list of pieces). */
const IN_PIECES = -1;

/** Copies `src` over consecutive pieces, from the start of the first. */
function writeAcross(pieces: readonly Buffer[], src: Buffer): void {
  let done = 0;
  for (const piece of pieces) {
    if (done >= src.length) break;
    done += src.copy(piece, 0, done);
  }
}

export class MemoryLog implements PartitionLog, CompactableLog {
  // one entry per batch, in offset order
  private count = 0;
  private baseOffsets = new Float64Array(16);
  private lastOffsets = new Float64Array(16);
  private maxTimestamps = new Float64Array(16);
  /** Highest max timestamp of a batch and all before it: monotone, so binary-searchable. */
  private runningMax = new Float64Array(16);
  /** Bytes of all batches before each one. */
  private positions = new Float64Array(16);
  private sizes = new Int32Array(16);
  private epochs = new Int32Array(16);
  /** Byte offset of each batch in its ArrayBuffer, or IN_PIECES. */
  private at = new Float64Array(16);
  /** Each batch's ArrayBuffer, or the pieces it is kept in. */
  private memory: (ArrayBufferLike | readonly Buffer[])[] = [];

  private slab: Buffer = Buffer.allocUnsafe(0);
  private slabUsed = 0;
  private nextSlabSize = FIRST_SLAB;
  private endOffset = 0;
  private startOffset = 0;
  /** Bytes of the batches held. */
  private bytes = 0;
  /** Bytes of every batch ever appended: `positions` count from here, so deletions leave them valid. */
  private appendedBytes = 0;
  // Segments as the disk log would have rolled them (segment.bytes, segment.ms), so retention
  // deletes the same whole segments Kafka would: each one's first batch index, creation time,
  // first batch timestamp and bytes.
  private segStarts: number[] = [0];
  /** Each segment's base offset (the log end offset when it was rolled). */
  private segBase: number[] = [0];
  private segCreated: number[];
  private segFirstTs: number[] = [-1];
  private segBytes: number[] = [0];

  /** Where the dirty part begins (the cleaner's checkpoint). */
  firstDirtyOffset = 0;
  readonly producers: ProducerStateManager;
  /** The transaction index's in-memory twin: aborted transactions in marker order. */
  private aborted: AbortedTxn[] = [];
  /** Counts deletions and cleanings of segments, so a cleaning can tell its group changed under it. */
  private segmentsVersion = 0;

  constructor(
    private readonly settings: () => LogSettings,
    private readonly clock: Clock,
    readonly name = 'memory log',
  ) {
    this.segCreated = [clock.now()];
    this.producers = new ProducerStateManager(name);
  }
  /** Index of the first batch holding the largest timestamp. */
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

  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset();
    return unstable < 0 ? this.endOffset : Math.min(unstable, this.endOffset);
  }

  abortedTransactions(fetchOffset: number, upTo: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    abortedOverlapping(this.aborted, fetchOffset, upTo, out);
    return out;
  }

  /** How many buffers hold batch `index` (1, or the pieces of the reads it straddled); for diagnostics and tests. */
  buffersOf(index: number): number {
    const m = this.memory[index];
    return m === undefined ? 0 : this.at[index] === IN_PIECES ? (m as readonly Buffer[]).length : 1;
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

  /** Kafka's LogSegment.shouldRoll, for the virtual active segment. */
  private maybeRoll(size: number, maxTimestamp: number): void {
    const last = this.segStarts.length - 1;
    const segSize = this.segBytes[last]!;
    if (segSize === 0) return;
    const s = this.settings();
    const firstTs = this.segFirstTs[last]!;
    const waited = firstTs >= 0 ? maxTimestamp - firstTs : this.clock.now() - this.segCreated[last]!;
    if (segSize > s.segmentBytes - size || waited > s.segmentMs) this.rollSegment();
  }

  /** Starts a new (empty) virtual segment at the log end offset. */
  private rollSegment(): void {
    this.segStarts.push(this.count);
    this.segBase.push(this.endOffset);
    this.segCreated.push(this.clock.now());
    this.segFirstTs.push(-1);
    this.segBytes.push(0);
  }

  append(batch: Buffer, header: BatchHeader, opts: AppendOptions): AppendResult {
    const baseOffset = this.endOffset;
    assignBatch(batch, baseOffset, opts.leaderEpoch, opts.logAppendTime);
    const kept = this.store(batch, opts.arrived);
    const lastOffset = baseOffset + header.lastOffsetDelta;
    const maxTimestamp = opts.logAppendTime ?? header.maxTimestamp;
    this.maybeRoll(batch.length, maxTimestamp);
    const seg = this.segStarts.length - 1;
    if (this.segBytes[seg] === 0) this.segFirstTs[seg] = maxTimestamp;
    this.segBytes[seg] += batch.length;
    const i = this.count;
    const prev = i > 0 ? this.runningMax[i - 1]! : -Infinity;
    if (maxTimestamp > prev) this.maxTimestampBatch = i;
    if (i === this.baseOffsets.length) {
      this.baseOffsets = grown(this.baseOffsets, i);
      this.lastOffsets = grown(this.lastOffsets, i);
      this.maxTimestamps = grown(this.maxTimestamps, i);
      this.runningMax = grown(this.runningMax, i);
      this.positions = grown(this.positions, i);
      this.sizes = grown(this.sizes, i);
      this.epochs = grown(this.epochs, i);
      this.at = grown(this.at, i);
    }
    this.baseOffsets[i] = baseOffset;
    this.lastOffsets[i] = lastOffset;
    this.maxTimestamps[i] = maxTimestamp;
    this.runningMax[i] = Math.max(prev, maxTimestamp);
    this.positions[i] = this.appendedBytes;
    this.sizes[i] = batch.length;
    this.epochs[i] = opts.leaderEpoch;
    if (Buffer.isBuffer(kept)) {
      this.memory.push(kept.buffer);
      this.at[i] = kept.byteOffset;
    } else {
      this.memory.push(kept);
      this.at[i] = IN_PIECES;
    }
    this.count = i + 1;
    this.endOffset = lastOffset + 1;
    this.bytes += batch.length;
    this.appendedBytes += batch.length;
    if (ProducerStateManager.tracks(header)) {
      const aborted = recordAppend(this.producers, batch, header, baseOffset, maxTimestamp);
      if (aborted !== null) this.aborted.push(aborted);
    }
    return { baseOffset, lastOffset, logAppendTime: opts.logAppendTime ?? -1, logStartOffset: this.startOffset };
  }

  /** Index of the first batch whose last offset is >= offset (count if none). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastOffsets[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async read(offset: number, maxBytes: number, minOneBatch: boolean, upTo: number): Promise<ReadResult> {
    const records: Buffer[] = [];
    let total = 0;
    // a run of batches adjacent in memory (one slab, or one network read) is returned as one view
    let runBuffer: ArrayBufferLike | null = null;
    let runStart = 0;
    let runEnd = 0;
    for (let i = this.indexOf(offset); i < this.count; i++) {
      if (this.baseOffsets[i]! >= upTo) break;
      const size = this.sizes[i]!;
      if (total + size > maxBytes && !(minOneBatch && total === 0)) break;
      const at = this.at[i]!;
      if (at !== IN_PIECES) {
        const memory = this.memory[i] as ArrayBufferLike;
        if (memory === runBuffer && at === runEnd) runEnd += size;
        else {
          if (runBuffer !== null) records.push(Buffer.from(runBuffer, runStart, runEnd - runStart));
          runBuffer = memory;
          runStart = at;
          runEnd = at + size;
        }
      } else {
        for (const piece of this.memory[i] as readonly Buffer[]) {
          if (piece.buffer === runBuffer && piece.byteOffset === runEnd) runEnd += piece.length;
          else {
            if (runBuffer !== null) records.push(Buffer.from(runBuffer, runStart, runEnd - runStart));
            runBuffer = piece.buffer;
            runStart = piece.byteOffset;
            runEnd = piece.byteOffset + piece.length;
          }
        }
      }
      total += size;
    }
    if (runBuffer !== null) records.push(Buffer.from(runBuffer, runStart, runEnd - runStart));
    return { records, bytes: total };
  }

  bytesFrom(offset: number, upTo: number): number {
    const i = this.indexOf(offset);
    if (i >= this.count) return 0;
    const j = upTo >= this.endOffset ? this.count : this.indexOf(upTo);
    const end = j >= this.count ? this.appendedBytes : this.positions[j]!;
    return Math.max(0, end - this.positions[i]!);
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    const from = this.indexOf(this.startOffset);
    let lo = from;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.runningMax[mid]! < timestamp) lo = mid + 1;
      else hi = mid;
    }
    // the running maximum counts batches below the log start offset (kept until their segment
    // goes): when one of those reaches the time, the search goes batch by batch from the start
    if (from > 0 && this.runningMax[from - 1]! >= timestamp) lo = from;
    for (let i = lo; i < this.count; i++) {
      if (this.maxTimestamps[i]! < timestamp) continue;
      // null when the matching records of the batch holding the start offset lie below it
      const found = matchRecordInBatch(this.contiguous(i), this.startOffset, this.epochs[i]!, ts => ts >= timestamp);
      if (found !== null) return found;
    }
    return null;
  }

  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    if (this.maxTimestampBatch < 0) return null;
    const max = this.maxTimestamps[this.maxTimestampBatch]!;
    // as Kafka: the record holding the largest timestamp of the segments kept, even when DeleteRecords
    // moved the log start offset past it (looking only from there would answer with another record's offset)
    return this.findInBatch(this.maxTimestampBatch, 0, ts => ts === max);
  }

  /** Batch `i`'s bytes in one buffer (joined only for a batch kept in pieces, on these rare lookup paths). */
  private contiguous(i: number): Buffer {
    const at = this.at[i]!;
    if (at !== IN_PIECES) return Buffer.from(this.memory[i] as ArrayBufferLike, at, this.sizes[i]!);
    return Buffer.concat(this.memory[i] as Buffer[], this.sizes[i]!);
  }

  /** The first record of batch `i` at or past `from` whose timestamp satisfies `match`. */
  private findInBatch(i: number, from: number, match: (ts: number) => boolean): TimestampOffset {
    return findRecordInBatch(this.contiguous(i), from, this.epochs[i]!, match);
  }

  epochAt(offset: number): number {
    const i = this.indexOf(offset);
    if (i >= this.count || this.baseOffsets[i]! > offset) return -1;
    return this.epochs[i]!;
  }

  async deleteRecordsBefore(offset: number): Promise<void> {
    if (offset <= this.startOffset) return;
    this.startOffset = Math.min(offset, this.endOffset);
    this.deleteSegmentsWhile(seg => this.segmentEnd(seg) <= this.startOffset);
  }

  async applyRetention(nowMs: number): Promise<number> {
    const s = this.settings();
    let deleted = this.deleteSegmentsWhile(seg => this.segmentEnd(seg) <= this.startOffset);
    if (!s.deleteRetention) return deleted;
    if (s.retentionMs >= 0 && s.retentionMs < Number.MAX_VALUE) {
      deleted += this.deleteSegmentsWhile(seg => this.segBytes[seg]! > 0 && nowMs - this.segmentMaxTimestamp(seg) > s.retentionMs);
    }
    if (s.retentionBytes >= 0 && s.retentionBytes < Number.MAX_VALUE) {
      let excess = this.bytes - s.retentionBytes;
      deleted += this.deleteSegmentsWhile(seg => {
        if (seg === this.segStarts.length - 1 || excess < this.segBytes[seg]!) return false;
        excess -= this.segBytes[seg]!;
        return true;
      });
    }
    return deleted;
  }

  /** Index of the batch after virtual segment `seg`'s last. */
  private segmentStop(seg: number): number {
    return seg + 1 < this.segStarts.length ? this.segStarts[seg + 1]! : this.count;
  }

  /** The offset after virtual segment `seg`'s last batch (an empty one: its base offset; the empty active one: the log end). */
  private segmentEnd(seg: number): number {
    const next = this.segmentStop(seg);
    if (next > this.segStarts[seg]!) return this.lastOffsets[next - 1]! + 1;
    return seg === this.segStarts.length - 1 ? this.endOffset : this.segBase[seg]!;
  }

  private segmentMaxTimestamp(seg: number): number {
    const next = this.segmentStop(seg);
    let max = -1;
    for (let i = this.segStarts[seg]!; i < next; i++) max = Math.max(max, this.maxTimestamps[i]!);
    return max;
  }

  /**
   * Drops whole virtual segments from the oldest while `breached`; when all would go, the
   * active one is rolled first (as the disk log does), so the log keeps its end offset.
   */
  private deleteSegmentsWhile(breached: (seg: number) => boolean): number {
    let n = 0;
    while (n < this.segStarts.length && breached(n)) n++;
    if (n === 0) return 0;
    if (n === this.segStarts.length) {
      if (this.segBytes[n - 1] === 0) n--;
      else this.rollSegment();
    }
    if (n === 0) return 0;
    const k = this.segStarts[n]!;
    for (let seg = 0; seg < n; seg++) this.bytes -= this.segBytes[seg]!;
    for (const col of [this.baseOffsets, this.lastOffsets, this.maxTimestamps, this.positions, this.sizes, this.epochs, this.at]) col.copyWithin(0, k, this.count);
    this.memory.splice(0, k);
    this.count -= k;
    this.segStarts = this.segStarts.slice(n).map(i => i - k);
    this.segBase = this.segBase.slice(n);
    this.segCreated = this.segCreated.slice(n);
    this.segFirstTs = this.segFirstTs.slice(n);
    this.segBytes = this.segBytes.slice(n);
    this.startOffset = Math.max(this.startOffset, this.segBase[0]!);
    // aborted transactions whose markers went with the segments concern no readable record
    if (this.aborted.length > 0) this.aborted = this.aborted.filter(t => t.lastOffset >= this.startOffset);
    this.segmentsVersion++;
    this.recomputeMaxima();
    return n;
  }

  /** The running maximum and the max-timestamp batch, recomputed after batches went. */
  private recomputeMaxima(): void {
    this.maxTimestampBatch = -1;
    let max = -Infinity;
    for (let i = 0; i < this.count; i++) {
      if (this.maxTimestamps[i]! > max) {
        max = this.maxTimestamps[i]!;
        this.maxTimestampBatch = i;
      }
      this.runningMax[i] = max;
    }
  }

  compactable(): CompactableLog {
    return this;
  }

  cleanerSegments(): CleanerSegment[] {
    return this.segStarts.map((_, seg) => ({
      baseOffset: this.segBase[seg]!,
      nextOffset: this.segmentEnd(seg),
      size: this.segBytes[seg]!,
      maxTimestamp: this.segmentMaxTimestamp(seg),
      firstBatchTimestamp: this.segFirstTs[seg]!,
      indexBytes: 0,
    }));
  }

  /** The virtual segment whose base offset is `baseOffset`, or -1. */
  private segmentAt(baseOffset: number): number {
    return this.segBase.indexOf(baseOffset);
  }

  *batchesOf(segment: CleanerSegment): Iterable<Buffer> {
    const seg = this.segmentAt(segment.baseOffset);
    if (seg < 0) return;
    // taken at once: the columns may change while the cleaner works through them
    const batches: Buffer[] = [];
    for (let i = this.segStarts[seg]!; i < this.segmentStop(seg); i++) batches.push(this.contiguous(i));
    yield* batches;
  }

  replaceSegments(group: readonly CleanerSegment[]): CleanedSegmentWriter {
    const version = this.segmentsVersion;
    const cleaned: Buffer[] = [];
    return {
      append: batch => void cleaned.push(batch),
      abort: () => {},
      commit: async () => {
        const first = this.segmentAt(group[0]!.baseOffset);
        if (version !== this.segmentsVersion || first < 0) return false;
        this.spliceSegments(first, group.length, cleaned);
        return true;
      },
    };
  }

  /**
   * Replaces `n` virtual segments from `first` (never the active one) by one holding `batches`,
   * copied into one buffer so the memory the old batches pinned can go.
   */
  private spliceSegments(first: number, n: number, batches: readonly Buffer[]): void {
    const from = this.segStarts[first]!;
    const to = this.segmentStop(first + n - 1);
    const added = batches.length;
    let oldBytes = 0;
    for (let i = from; i < to; i++) oldBytes += this.sizes[i]!;
    const newBytes = batches.reduce((sum, b) => sum + b.length, 0);
    const store = Buffer.allocUnsafe(newBytes);
    // cleaning only removes batches (added <= to - from), so the columns never need to grow
    const count = this.count - (to - from) + added;
    for (const col of [this.baseOffsets, this.lastOffsets, this.maxTimestamps, this.positions, this.sizes, this.epochs, this.at]) col.copyWithin(from + added, to, this.count);
    const memory: (ArrayBufferLike | readonly Buffer[])[] = [];
    let pos = 0;
    let position = this.positions[from]!;
    for (let k = 0; k < added; k++) {
      const b = batches[k]!;
      b.copy(store, pos);
      const i = from + k;
      this.baseOffsets[i] = readInt64(b, BASE_OFFSET);
      this.lastOffsets[i] = this.baseOffsets[i]! + b.readInt32BE(LAST_OFFSET_DELTA);
      this.maxTimestamps[i] = readInt64(b, MAX_TIMESTAMP);
      this.positions[i] = position;
      this.sizes[i] = b.length;
      this.epochs[i] = b.readInt32BE(PARTITION_LEADER_EPOCH);
      this.at[i] = store.byteOffset + pos;
      memory.push(store.buffer);
      pos += b.length;
      position += b.length;
    }
    for (let i = from + added; i < count; i++) this.positions[i] = this.positions[i]! + newBytes - oldBytes;
    this.memory.splice(from, to - from, ...memory);
    this.count = count;
    this.bytes += newBytes - oldBytes;
    this.appendedBytes += newBytes - oldBytes;
    const removedBatches = to - from - added;
    this.segStarts.splice(first + 1, n - 1);
    for (let seg = first + 1; seg < this.segStarts.length; seg++) this.segStarts[seg]! -= removedBatches;
    this.segBase.splice(first + 1, n - 1);
    this.segCreated.splice(first + 1, n - 1);
    this.segFirstTs.splice(first, n, added > 0 ? this.maxTimestamps[from]! : -1);
    this.segBytes.splice(first, n, newBytes);
    this.segmentsVersion++;
    this.recomputeMaxima();
  }

  async close(): Promise<void> {
    this.count = 0;
    this.memory = [];
    this.slab = Buffer.allocUnsafe(0);
  }
}

export class MemoryLogFactory implements LogFactory {
  constructor(private readonly clock: Clock) {}

  create(topic: string, partition: number, opts: LogCreateOptions): PartitionLog {
    return new MemoryLog(opts.settings, this.clock, `${topic}-${partition}`);
  }

  async remove(): Promise<void> {
    // nothing outside the log object: the cluster drops it, and its memory with it
  }

  async close(): Promise<void> {}
}
