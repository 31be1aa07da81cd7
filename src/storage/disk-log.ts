// A partition's log on disk (Kafka's UnifiedLog/LocalLog): segments ordered by base offset, the
// last one active. Appends go to the active segment with a positioned write; reads find the
// batch through the offset index and read whole batches; segments roll on size, age and full
// indexes; a recovery point marks what is known to be on disk.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../broker/clock.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { BASE_OFFSET, assignBatch, readBatchHeader, readInt64, type BatchHeader } from '../protocol/records.js';
import { findRecordInBatch, matchRecordInBatch } from './batch-lookup.js';
import { fsyncDir, writeFileAtomic } from './checkpoint.js';
import type { FileHandles } from './file-handles.js';
import { readBuffers } from './read-buffers.js';
import type { AppendOptions, AppendResult, LogSettings, PartitionLog, ReadResult, TimestampOffset } from './log.js';
import type { CleanedSegmentWriter, CompactableLog } from './cleaner.js';
import { ProducerStateManager, recordAppend, type AbortedTxn } from './producer-state.js';
import { abortedOverlapping } from './txn-index.js';
import { LogSegment, SegmentGoneError, nextOffsetOfFile, segmentFileName, storedBatch, type SegmentOptions, type StoredBatch } from './segment.js';

export interface DiskLogContext {
  handles: FileHandles;
  log: Logger;
  clock: Clock;
  settings: () => LogSettings;
}

export interface DiskLogState {
  /** From the recovery-point checkpoint: every offset below is known to be on disk. */
  recoveryPoint: number;
  /** From the log-start-offset checkpoint. */
  logStartOffset: number;
  /** The previous run shut down cleanly: every index file may be trusted. */
  clean: boolean;
  /** From the cleaner-offset-checkpoint: where the dirty part of a compacted log begins. */
  firstDirtyOffset: number;
}

const EPOCH_FILE = 'leader-epoch-checkpoint';
/** Producer state snapshots: `<20-digit offset>.snapshot`, the state of every batch below that offset. */
const SNAPSHOT_SUFFIX = '.snapshot';
/** Node timers take at most 2^31-1 ms; longer flush.ms values never fire. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Relative offsets in the indexes are int32: a segment may not span more. */
const MAX_SEGMENT_OFFSETS = 2 ** 31 - 1;
/** How much of a segment the cleaner reads at once (Kafka's log.cleaner.io.buffer.size). */
const CLEANER_READ_BYTES = 512 * 1024;

function segmentOptions(s: LogSettings): SegmentOptions {
  return { indexIntervalBytes: s.indexIntervalBytes, indexMaxBytes: s.segmentIndexBytes };
}

export class DiskLog implements PartitionLog, CompactableLog {
  offline: string | undefined = undefined;
  /** Where the dirty part of a compacted log begins (the cleaner's checkpoint). */
  firstDirtyOffset = 0;
  private segments: LogSegment[] = [];
  private startOffset = 0;
  /** Offsets below are on disk (fsynced with their segment). */
  recoveryPoint = 0;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private flushing: Promise<void> | null = null;
  private nextFlush: Promise<void> | null = null;
  /** fsyncs of rolled segments still running; a flush waits for them before moving the recovery point. */
  private rollFlushes: Promise<void> = Promise.resolve();
  private flushTimer: Timer | null = null;
  /** Leader epochs and the offset each began at (Kafka's leader-epoch-checkpoint). */
  private epochs: [epoch: number, startOffset: number][] = [];
  private epochsDirty = false;
  private bytes = 0;
  /** segment.jitter.ms drawn once per segment, as Kafka's LogSegment.rollJitterMs. */
  private rollJitterMs = 0;
  private closed = false;
  readonly producers: ProducerStateManager;

  private constructor(
    readonly dir: string,
    readonly name: string,
    private readonly ctx: DiskLogContext,
  ) {
    this.lastFlushMs = ctx.clock.now();
    this.producers = new ProducerStateManager(name);
  }

  /**
   * Opens (or creates) the log in `dir`. Segments are loaded in offset order; those the
   * previous run may not have finished writing (all after an unclean shutdown from the one
   * holding the recovery point on, and any whose index files are missing or damaged) are
   * recovered. A corrupt or torn tail is truncated and the segments after it deleted.
   */
  static open(dir: string, name: string, ctx: DiskLogContext, state: DiskLogState): DiskLog {
    const log = new DiskLog(dir, name, ctx);
    fs.mkdirSync(dir, { recursive: true });
    const settings = ctx.settings();
    const opts = segmentOptions(settings);
    for (const f of fs.readdirSync(dir)) {
      // leftovers of an interrupted atomic write, segment deletion or cleaning
      if (f.endsWith('.tmp') || f.endsWith('.deleted') || f.endsWith('.cleaned')) fs.rmSync(path.join(dir, f), { force: true });
    }
    completeSwaps(dir, ctx.log, name);
    const files = fs.readdirSync(dir);
    const bases = files
      .filter(f => /^\d{20}\.log$/.test(f))
      .map(f => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    let truncatedAt = -1;
    // leader epochs of the batches recovery reads; the checkpoint file covers what comes before
    let recoveredFrom = -1;
    const recoveredEpochs: [number, number][] = [];
    const onRecoveredBatch = (b: StoredBatch) => {
      const last = recoveredEpochs[recoveredEpochs.length - 1];
      if (last === undefined || b.leaderEpoch > last[0]) recoveredEpochs.push([b.leaderEpoch, b.baseOffset]);
    };
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      if (truncatedAt >= 0) {
        // the log is cut short before this segment: what follows has a gap in front of it
        const gone = new LogSegment(ctx.handles, dir, base, opts, 0);
        gone.delete();
        ctx.log.warn({ partition: name, segment: base }, 'deleted a segment that followed a truncated one');
        continue;
      }
      const next = bases[i + 1];
      const belowRecoveryPoint = next !== undefined && next <= state.recoveryPoint;
      const { segment, recovery, indexProblem } = LogSegment.open(ctx.handles, dir, base, opts, state.clean || belowRecoveryPoint, onRecoveredBatch);
      if (recovery !== null && recoveredFrom < 0) recoveredFrom = base;
      if (indexProblem !== null) ctx.log.warn({ partition: name, segment: base, problem: indexProblem }, 'rebuilt the index files of a segment');
      if (recovery !== null && recovery.truncatedBytes > 0) {
        ctx.log.warn({ partition: name, segment: base, truncatedBytes: recovery.truncatedBytes, reason: recovery.reason }, `truncated ${recovery.truncatedBytes} bytes from the end of a segment`);
        truncatedAt = base;
      }
      const prev = log.segments[log.segments.length - 1];
      if (prev !== undefined && segment.baseOffset < prev.nextOffset) {
        throw new Error(`segment ${base} of ${name} overlaps the previous one (which ends at offset ${prev.nextOffset - 1})`);
      }
      if (recovery !== null) segment.writeIndexes(true);
      log.segments.push(segment);
      log.bytes += segment.size;
    }
    if (log.segments.length === 0) {
      log.segments.push(LogSegment.create(ctx.handles, dir, Math.max(0, state.logStartOffset), opts, ctx.clock.now()));
      fsyncDir(dir);
    }
    log.startOffset = Math.max(state.logStartOffset, log.segments[0]!.baseOffset);
    log.startOffset = Math.min(log.startOffset, log.logEndOffset);
    log.recoveryPoint = Math.min(state.clean ? log.logEndOffset : state.recoveryPoint, log.logEndOffset);
    log.loadEpochs(recoveredFrom, recoveredEpochs);
    log.rollJitterMs = log.drawJitter(settings);
    log.firstDirtyOffset = state.firstDirtyOffset;
    log.loadProducerState(recoveredFrom, files);
    return log;
  }

  /** The producer state snapshots among `files` (the directory's, by default), by offset, oldest first. */
  private snapshotOffsets(files: readonly string[] = fs.readdirSync(this.dir)): number[] {
    return files
      .filter(f => /^\d{20}\.snapshot$/.test(f))
      .map(f => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
  }

  private snapshotPath(offset: number): string {
    return path.join(this.dir, segmentFileName(offset, SNAPSHOT_SUFFIX));
  }

  /**
   * Rebuilds the producer state (Kafka's rebuildProducerState): the latest sound snapshot at or
   * below the log end offset - and at or below the first recovered segment, whose aborted
   * transactions are indexed again - then every batch after it. Snapshots past the log end (a
   * recovery cut the log short) or below the first segment are deleted.
   */
  private loadProducerState(recoveredFrom: number, files: readonly string[]): void {
    const end = this.logEndOffset;
    const first = this.segments[0]!.baseOffset;
    const limit = recoveredFrom >= 0 ? Math.min(end, recoveredFrom) : end;
    let from = first;
    for (const offset of this.snapshotOffsets(files).reverse()) {
      if (offset > end || offset < first) {
        fs.rmSync(this.snapshotPath(offset), { force: true });
        continue;
      }
      if (offset > limit || from !== first) continue;
      try {
        this.producers.loadSnapshot(fs.readFileSync(this.snapshotPath(offset)));
        from = offset;
      } catch (err) {
        this.ctx.log.warn({ err, partition: this.name, snapshot: offset }, 'deleted an unreadable producer state snapshot');
        fs.rmSync(this.snapshotPath(offset), { force: true });
      }
    }
    let replayed = 0;
    for (const seg of this.segments.slice(this.segmentIndex(from))) {
      seg.replaySync(from, (head, whole) => {
        const header = readBatchHeader(head);
        if (!ProducerStateManager.tracks(header)) return;
        const baseOffset = readInt64(head, BASE_OFFSET);
        const aborted = recordAppend(this.producers, whole(), header, baseOffset, header.maxTimestamp);
        if (aborted !== null) seg.txnIndex.append(aborted);
        replayed++;
      });
    }
    if (replayed > 0 || this.producers.activeProducers().length > 0) {
      this.ctx.log.info({ partition: this.name, snapshot: from, replayedBatches: replayed, producers: this.producers.activeProducers().length }, 'loaded producer state');
    }
  }

  /** Writes the producer state as of the log end offset (at rolls and shutdown); a failure costs a longer replay at the next start. */
  private takeSnapshot(): void {
    try {
      writeFileAtomic(this.snapshotPath(this.logEndOffset), this.producers.encodeSnapshot());
    } catch (err) {
      this.ctx.log.warn({ err, partition: this.name }, 'writing a producer state snapshot failed');
    }
  }

  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset();
    return unstable < 0 ? this.highWatermark : Math.min(unstable, this.highWatermark);
  }

  abortedTransactions(fetchOffset: number, upTo: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (const seg of this.segments.slice(this.segmentIndex(fetchOffset))) abortedOverlapping(seg.txnIndex.all, fetchOffset, upTo, out);
    return out;
  }

  private drawJitter(s: LogSettings): number {
    return s.segmentJitterMs > 0 ? Math.floor(Math.random() * Math.min(s.segmentJitterMs, s.segmentMs)) : 0;
  }

  /**
   * The leader epochs: from the checkpoint file up to the first recovered segment (the file is
   * written at rolls, flushes and shutdown, so it may lack the newest), then from the batches
   * recovery read.
   */
  private loadEpochs(recoveredFrom: number, recovered: [number, number][]): void {
    const file = path.join(this.dir, EPOCH_FILE);
    let entries: [number, number][] = [];
    try {
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter(l => l !== '');
      entries = lines.slice(2).map(l => l.split(' ').map(Number) as [number, number]);
    } catch {
      entries = [];
    }
    const upTo = recoveredFrom >= 0 ? recoveredFrom : this.logEndOffset;
    entries = entries.filter(([e, o]) => Number.isInteger(e) && Number.isInteger(o) && o < upTo);
    for (const [epoch, offset] of recovered) {
      const last = entries[entries.length - 1];
      if (last === undefined || epoch > last[0]) entries.push([epoch, offset]);
    }
    this.epochs = entries;
    this.epochsDirty = recovered.length > 0;
  }

  /** Writes the leader epochs when they changed (at rolls, flushes and shutdown, not per append). */
  private saveEpochs(): void {
    if (!this.epochsDirty || this.closed) return;
    const lines = ['0', String(this.epochs.length), ...this.epochs.map(([e, o]) => `${e} ${o}`)];
    writeFileAtomic(path.join(this.dir, EPOCH_FILE), `${lines.join('\n')}\n`);
    this.epochsDirty = false;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get highWatermark(): number {
    return this.active.nextOffset;
  }

  get sizeInBytes(): number {
    return this.bytes;
  }

  /** How many segments the log has (for tests and diagnostics). */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (for tests and diagnostics). */
  get segmentBaseOffsets(): number[] {
    return this.segments.map(s => s.baseOffset);
  }

  /** Takes the partition offline (every request then gets KAFKA_STORAGE_ERROR), logging why. */
  private goOffline(reason: string): void {
    if (this.offline !== undefined) return;
    this.offline = reason;
    this.ctx.log.error({ partition: this.name, reason }, `partition ${this.name} is offline until the broker restarts: ${reason}`);
  }

  private checkOnline(): void {
    if (this.offline !== undefined) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `partition ${this.name} is offline: ${this.offline}`);
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `the log of ${this.name} is closed`);
  }

  /** Kafka's LogSegment.shouldRoll. */
  private shouldRoll(s: LogSettings, batchSize: number, maxTimestamp: number, lastOffset: number): boolean {
    const seg = this.active;
    if (seg.isEmpty) return false;
    if (seg.size > s.segmentBytes - batchSize) return true;
    if (seg.indexFull) return true;
    if (lastOffset - seg.baseOffset > MAX_SEGMENT_OFFSETS) return true;
    const waited = seg.firstBatchTimestamp >= 0 ? maxTimestamp - seg.firstBatchTimestamp : this.ctx.clock.now() - seg.createdMs;
    return waited > s.segmentMs - this.rollJitterMs;
  }

  /**
   * Starts a new active segment at the log end offset; the old one is fsynced in the background.
   * Throws, changing nothing, when the new segment's file cannot be created.
   */
  roll(): void {
    const s = this.ctx.settings();
    const old = this.active;
    const seg = LogSegment.create(this.ctx.handles, this.dir, old.nextOffset, segmentOptions(s), this.ctx.clock.now());
    fsyncDir(this.dir);
    this.segments.push(seg);
    this.rollJitterMs = this.drawJitter(s);
    this.takeSnapshot();
    try {
      old.writeIndexes(true);
      this.saveEpochs();
    } catch (err) {
      // index files and epochs are rebuilt from the log when lost or short: not worth failing for
      this.ctx.log.warn({ err, partition: this.name, segment: old.baseOffset }, 'writing the index files of a rolled segment failed');
    }
    const upTo = seg.baseOffset;
    const done = old.flush().then(
      () => {
        this.recoveryPoint = Math.max(this.recoveryPoint, upTo);
      },
      err => this.goOffline(`fsync of rolled segment ${old.baseOffset} failed: ${(err as Error).message}`),
    );
    this.rollFlushes = this.rollFlushes.then(() => done);
    this.ctx.log.debug({ partition: this.name, segment: seg.baseOffset }, 'rolled a new log segment');
  }

  append(batch: Buffer, header: BatchHeader, opts: AppendOptions): AppendResult | Promise<AppendResult> {
    this.checkOnline();
    const s = this.ctx.settings();
    const maxTimestamp = opts.logAppendTime ?? header.maxTimestamp;
    const baseOffset = this.logEndOffset;
    const lastOffset = baseOffset + header.lastOffsetDelta;
    try {
      if (this.shouldRoll(s, batch.length, maxTimestamp, lastOffset)) this.roll();
      assignBatch(batch, baseOffset, opts.leaderEpoch, opts.logAppendTime);
      this.active.append(batch, baseOffset, lastOffset, maxTimestamp, opts.leaderEpoch);
    } catch (err) {
      this.ctx.log.error({ err, partition: this.name }, 'append to the log failed');
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `append to ${this.name} failed: ${(err as Error).message}`);
    }
    this.bytes += batch.length;
    if (ProducerStateManager.tracks(header)) {
      const aborted = recordAppend(this.producers, batch, header, baseOffset, maxTimestamp);
      if (aborted !== null) {
        try {
          this.active.txnIndex.append(aborted);
        } catch (err) {
          // the batch is in the log but read_committed would not know its transaction aborted
          this.goOffline(`writing the transaction index failed: ${(err as Error).message}`);
        }
      }
    }
    const lastEpoch = this.epochs[this.epochs.length - 1];
    if (lastEpoch === undefined || lastEpoch[0] < opts.leaderEpoch) {
      this.epochs.push([opts.leaderEpoch, baseOffset]);
      this.epochsDirty = true;
    }
    const result: AppendResult = { baseOffset, lastOffset, logAppendTime: opts.logAppendTime ?? -1, logStartOffset: this.startOffset };
    this.unflushedMessages += header.recordCount;
    if (this.unflushedMessages >= s.flushMessages) {
      // flush.messages: the append is acknowledged once it is on disk
      return this.flush().then(
        () => result,
        () => {
          throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `fsync of ${this.name} failed: ${this.offline ?? 'unknown error'}`);
        },
      );
    }
    if (s.flushMs < MAX_TIMER_MS && this.flushTimer === null) {
      // flush.ms: fsync once that long has passed since the last flush (acks do not wait for it)
      const due = Math.max(0, this.lastFlushMs + s.flushMs - this.ctx.clock.now());
      this.flushTimer = this.ctx.clock.setTimeout(() => {
        this.flushTimer = null;
        // a failure takes the partition offline (see flushNow)
        this.flush().catch(() => {});
      }, due);
    }
    return result;
  }

  /** fsyncs everything appended so far; concurrent callers share fsyncs (group commit). */
  flush(): Promise<void> {
    if (this.flushing === null) return this.flushNow();
    this.nextFlush ??= this.flushing.then(
      () => {
        this.nextFlush = null;
        return this.flushNow();
      },
      () => {
        this.nextFlush = null;
        return this.flushNow();
      },
    );
    return this.nextFlush;
  }

  private flushNow(): Promise<void> {
    const upTo = this.logEndOffset;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.ctx.clock.now();
    const segment = this.active;
    const p = Promise.all([this.rollFlushes, segment.flush()]).then(
      () => {
        // a rolled segment's fsync that failed took the partition offline: nothing is proven
        if (this.offline !== undefined) throw new Error(this.offline);
        this.recoveryPoint = Math.max(this.recoveryPoint, upTo);
        this.saveEpochs();
      },
      err => {
        // after a failed fsync the kernel may have dropped the unwritten pages and marked them
        // clean, so a later fsync proves nothing: as Kafka takes a failed log directory offline,
        // the partition goes offline until a restart recovers it from what is really on disk
        this.goOffline(`fsync failed: ${(err as Error).message}`);
        throw err;
      },
    );
    this.flushing = p;
    const clear = () => {
      if (this.flushing === p) this.flushing = null;
    };
    p.then(clear, clear);
    return p;
  }

  /** Index of the segment holding `offset` (the last whose base offset is <= offset). */
  private segmentIndex(offset: number): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  async read(offset: number, maxBytes: number, minOneBatch: boolean, upTo: number): Promise<ReadResult> {
    this.checkOnline();
    const records: Buffer[] = [];
    // the pooled buffers the records were read into, given back by release()
    const buffers: Buffer[] = [];
    let total = 0;
    let o = Math.max(offset, this.startOffset);
    let seg: LogSegment | undefined = this.segments[this.segmentIndex(o)];
    while (seg !== undefined && o < upTo) {
      let r: { data: Buffer | null; buffer: Buffer | null; endsAtSegmentEnd: boolean } | null = null;
      try {
        const position = await seg.locate(o);
        if (position >= 0) r = await seg.readBatches(position, maxBytes - total, minOneBatch && total === 0, upTo);
      } catch (err) {
        if (!(err instanceof SegmentGoneError)) throw err;
        // deleted by retention or replaced by a cleaned one meanwhile: look the offset up again
        const now: LogSegment | undefined = this.segments[this.segmentIndex(o)];
        if (now === seg || now === undefined) break;
        seg = now;
        continue;
      }
      if (r !== null) {
        if (r.data === null) break;
        records.push(r.data);
        if (r.buffer !== null) buffers.push(r.buffer);
        total += r.data.length;
        if (!r.endsAtSegmentEnd || total >= maxBytes) break;
      }
      // on to the next segment (found again: segments may have rolled, gone or been cleaned
      // during the reads; a cleaned one may end before the next begins, or be empty)
      // (by base offset: retention may have deleted this segment, and those before it, meanwhile)
      let after = this.segmentIndex(seg.baseOffset);
      if (this.segments[after]!.baseOffset <= seg.baseOffset) after++;
      const next: LogSegment | undefined = this.segments[after];
      if (next === undefined) break;
      o = Math.max(o, next.baseOffset);
      seg = next;
    }
    return { records, bytes: total, release: buffers.length === 0 ? undefined : () => buffers.forEach(b => readBuffers.give(b)) };
  }

  bytesFrom(offset: number, upTo: number): number {
    if (offset >= upTo || offset >= this.logEndOffset) return 0;
    const i = this.segmentIndex(offset);
    const seg = this.segments[i]!;
    // from the index entry at or before the offset: an estimate high by at most one index interval
    let total = seg.size - seg.offsetIndex.lookup(offset).position;
    for (let j = i + 1; j < this.segments.length; j++) total += this.segments[j]!.size;
    return total;
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    this.checkOnline();
    for (const seg of this.segments.slice(this.segmentIndex(this.startOffset))) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= this.startOffset) continue;
      for (let from = this.startOffset; ; ) {
        const b = await seg.findBatchByTimestamp(timestamp, from);
        if (b === null) break;
        const bytes = await seg.readBatchAt(b.position);
        const found = matchRecordInBatch(bytes, this.startOffset, b.leaderEpoch, ts => ts >= timestamp);
        if (found !== null) return found;
        // the batch's records that reach the time lie below the log start offset: on to the next
        from = b.lastOffset + 1;
      }
    }
    return null;
  }

  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    this.checkOnline();
    let best: LogSegment | null = null;
    for (const seg of this.segments) {
      if (seg.isEmpty || seg.nextOffset <= this.startOffset) continue;
      if (best === null || seg.maxTimestamp > best.maxTimestamp) best = seg;
    }
    if (best === null) return null;
    const max = best.maxTimestamp;
    // as Kafka: the record holding the largest timestamp of the segments kept, even when DeleteRecords
    // moved the log start offset past it (looking only from there would answer with another record's offset)
    const position = await best.locate(best.offsetOfMaxTimestamp);
    if (position < 0) return null;
    const bytes = await best.readBatchAt(position);
    return findRecordInBatch(bytes, 0, storedBatch(bytes, 0, position).leaderEpoch, ts => ts === max);
  }

  epochAt(offset: number): number {
    if (offset < this.startOffset || offset >= this.logEndOffset) return -1;
    let epoch = -1;
    for (const [e, start] of this.epochs) {
      if (start > offset) break;
      epoch = e;
    }
    return epoch;
  }

  async deleteRecordsBefore(offset: number): Promise<void> {
    this.checkOnline();
    if (offset <= this.startOffset) return;
    this.startOffset = Math.min(offset, this.logEndOffset);
    this.deleteSegmentsWhile(seg => seg.nextOffset <= this.startOffset, 'log start offset');
  }

  /**
   * Deletes segments from the oldest while `breached` says so (Kafka's deleteOldSegments). When
   * every segment goes, an empty active segment is rolled first, so the log keeps its end offset.
   */
  private deleteSegmentsWhile(breached: (seg: LogSegment) => boolean, reason: string): number {
    let n = 0;
    while (n < this.segments.length && breached(this.segments[n]!)) n++;
    if (n === 0) return 0;
    if (n === this.segments.length) {
      if (this.active.isEmpty) n--;
      else this.roll();
    }
    const gone = this.segments.splice(0, n);
    for (const seg of gone) {
      this.bytes -= seg.size;
      seg.delete();
    }
    this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
    // snapshots below the first segment could only ever be replayed from a log that is gone
    for (const offset of this.snapshotOffsets()) if (offset < this.segments[0]!.baseOffset) fs.rmSync(this.snapshotPath(offset), { force: true });
    if (gone.length > 0) {
      this.ctx.log.info({ partition: this.name, segments: gone.map(s => s.baseOffset), reason }, `deleted ${gone.length} log segment(s)`);
    }
    return gone.length;
  }

  async applyRetention(nowMs: number): Promise<number> {
    if (this.offline !== undefined || this.closed) return 0;
    const s = this.ctx.settings();
    let deleted = this.deleteSegmentsWhile(seg => seg.nextOffset <= this.startOffset, 'log start offset');
    if (!s.deleteRetention) return deleted;
    if (s.retentionMs >= 0 && s.retentionMs < Number.MAX_VALUE) {
      // a segment's age is that of its newest record (Kafka's largestTimestamp)
      deleted += this.deleteSegmentsWhile(seg => !seg.isEmpty && nowMs - seg.maxTimestamp > s.retentionMs, `retention.ms ${s.retentionMs}`);
    }
    if (s.retentionBytes >= 0 && s.retentionBytes < Number.MAX_VALUE) {
      let excess = this.bytes - s.retentionBytes;
      deleted += this.deleteSegmentsWhile(seg => {
        if (seg === this.active || excess < seg.size) return false;
        excess -= seg.size;
        return true;
      }, `retention.bytes ${s.retentionBytes}`);
    }
    return deleted;
  }

  compactable(): CompactableLog | null {
    return this.offline === undefined && !this.closed ? this : null;
  }

  cleanerSegments(): readonly LogSegment[] {
    // a copy: the cleaner holds on to it while segments roll, go and are swapped
    return [...this.segments];
  }

  batchesOf(segment: LogSegment): AsyncIterable<Buffer> {
    return segment.batches(CLEANER_READ_BYTES);
  }

  /**
   * Writes the cleaned replacement of `group` as `<base>.log.cleaned` (and its indexes). On
   * commit, when the group is still in the log: fsync, rename to `.swap` (from here a crash
   * completes the swap at the next start), delete the old segments, rename to the final names.
   */
  replaceSegments(group: readonly LogSegment[]): CleanedSegmentWriter {
    const s = this.ctx.settings();
    const cleaned = LogSegment.create(this.ctx.handles, this.dir, group[0]!.baseOffset, segmentOptions(s), this.ctx.clock.now(), '.cleaned');
    const stillThere = () => !this.closed && this.offline === undefined && group.every(seg => this.segments.includes(seg));
    return {
      append: batch => {
        const b = storedBatch(batch, 0, cleaned.size);
        cleaned.append(batch, b.baseOffset, b.lastOffset, b.maxTimestamp, b.leaderEpoch);
      },
      abort: () => cleaned.delete(),
      commit: async () => {
        if (stillThere()) await cleaned.flush();
        if (!stillThere()) {
          cleaned.delete();
          return false;
        }
        cleaned.writeIndexes(true);
        // the aborted transactions of the replaced segments still concern the records kept
        cleaned.txnIndex.replace(group.flatMap(seg => seg.txnIndex.all));
        cleaned.txnIndex.flushSync();
        cleaned.renameSuffix('.swap');
        fsyncDir(this.dir);
        for (const seg of group) seg.delete();
        cleaned.renameSuffix('');
        fsyncDir(this.dir);
        this.segments.splice(this.segments.indexOf(group[0]!), group.length, cleaned);
        this.bytes += cleaned.size - group.reduce((n, seg) => n + seg.size, 0);
        return true;
      },
    };
  }

  /** fsyncs and closes the files, leaving the index files written: a clean shutdown of this log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    if (this.offline === undefined) {
      await this.rollFlushes;
      await this.flushing?.catch(() => {});
      const seg = this.active;
      seg.flushSync();
      seg.writeIndexes(true);
      this.saveEpochs();
      this.takeSnapshot();
      this.recoveryPoint = this.logEndOffset;
    }
    this.closed = true;
    for (const seg of this.segments) seg.close();
  }

  /** Removes the log's directory (its topic was deleted). */
  /**
   * Stops the log without writing anything more to its directory (its topic was deleted; the
   * directory is about to be renamed away and removed). Reads and fsyncs in flight finish on
   * their pinned descriptors.
   */
  discard(): void {
    this.closed = true;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    for (const seg of this.segments) seg.close();
  }
}

/**
 * Finishes cleanings a crash interrupted after their cleaned segment became `<base>.log.swap`:
 * the segments it replaces (those from its base offset up to its last offset) are deleted and
 * it takes its final name. Its index files are dropped, so the log is recovered from its batches.
 */
function completeSwaps(dir: string, log: Logger, name: string): void {
  const files = fs.readdirSync(dir);
  for (const f of files) {
    if (!/^\d{20}\.log\.swap$/.test(f)) continue;
    const base = Number(f.slice(0, 20));
    const next = Math.max(base + 1, nextOffsetOfFile(path.join(dir, f), base));
    for (const g of files) {
      const m = /^(\d{20})\.(log|index|timeindex|txnindex)(\.swap)?$/.exec(g);
      if (m === null || g === f) continue;
      // the replaced segments, their index files, and the swap's own index files
      const b = Number(m[1]);
      if (b >= base && b < next) fs.rmSync(path.join(dir, g), { force: true });
    }
    fs.renameSync(path.join(dir, f), path.join(dir, segmentFileName(base, '.log')));
    fsyncDir(dir);
    log.warn({ partition: name, segment: base }, 'completed a segment swap that a crash interrupted');
  }
}

/** A partition whose files could not be opened: it answers every request with KAFKA_STORAGE_ERROR. */
export class OfflineLog implements PartitionLog {
  readonly logStartOffset = -1;
  readonly logEndOffset = -1;
  readonly highWatermark = -1;
  readonly lastStableOffset = -1;
  readonly sizeInBytes = 0;
  readonly producers: ProducerStateManager;

  constructor(
    readonly name: string,
    readonly offline: string,
  ) {
    this.producers = new ProducerStateManager(name);
  }

  abortedTransactions(): AbortedTxn[] {
    this.fail();
  }

  private fail(): never {
    throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `partition ${this.name} is offline: ${this.offline}`);
  }

  append(): never {
    this.fail();
  }

  async read(): Promise<ReadResult> {
    this.fail();
  }

  bytesFrom(): number {
    return 0;
  }

  async offsetForTimestamp(): Promise<TimestampOffset | null> {
    this.fail();
  }

  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    this.fail();
  }

  epochAt(): number {
    return -1;
  }

  async deleteRecordsBefore(): Promise<void> {
    this.fail();
  }

  async applyRetention(): Promise<number> {
    return 0;
  }

  compactable(): null {
    return null;
  }

  async close(): Promise<void> {}
}
