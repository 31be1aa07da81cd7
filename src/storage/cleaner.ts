// Log compaction (Kafka's LogCleaner), shared by the memory and disk engines. A compacted log
// keeps, for every key, at least its latest record: the cleaner maps each key of the dirty part
// of the log (written since the last cleaning) to its latest offset, then copies the segments up
// to there, dropping every record a later one of the same key supersedes, records without a
// key, and tombstones whose delete horizon (KIP-534) has passed. Offsets never change: cleaned
// batches keep their base offset and last offset delta, so a cleaned log simply has gaps.
//
// The engines provide the segments and their batches and swap cleaned segments in
// (CompactableLog); this module decides what to clean and how.
import type { Logger } from 'pino';
import type { Clock, Timer } from '../broker/clock.js';
import { ATTRIBUTES, BASE_OFFSET, BASE_TIMESTAMP, CONTROL_BIT, DELETE_HORIZON_BIT, LAST_OFFSET_DELTA, batchRecords, readInt64, rebuildBatch, type RecordView } from '../protocol/records.js';
import type { LogSettings, PartitionLog } from './log.js';

/** A segment as the cleaner sees it. */
export interface CleanerSegment {
  baseOffset: number;
  /** Offset after its last batch (its base offset while empty). */
  nextOffset: number;
  size: number;
  /** Largest timestamp of its batches, -1 while empty. */
  maxTimestamp: number;
  /** Max timestamp of its first batch, -1 while empty (Kafka's firstBatchTimestamp). */
  firstBatchTimestamp: number;
  /** Bytes of its larger index file (0 for an engine without index files). */
  indexBytes: number;
}

/** Where a cleaned group of segments is written; committed in place of the group, or abandoned. */
export interface CleanedSegmentWriter {
  append(batch: Buffer): void;
  /** Swaps the cleaned segment in for the group; false when the group changed meanwhile (nothing swapped). */
  commit(): Promise<boolean>;
  abort(): void;
}

/** What an engine offers the cleaner. */
export interface CompactableLog {
  readonly name: string;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** Offsets from here may belong to open transactions: not cleaned yet (Kafka's firstUnstableOffset bound). */
  readonly lastStableOffset: number;
  /** Where the dirty part of the log begins (Kafka's cleaner checkpoint). */
  firstDirtyOffset: number;
  /** The segments, oldest first; the last one is active and never cleaned. */
  cleanerSegments(): readonly CleanerSegment[];
  /** The stored batches of a segment, in order. */
  batchesOf(segment: CleanerSegment): AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Starts the cleaned replacement of consecutive segments. */
  replaceSegments(group: readonly CleanerSegment[]): CleanedSegmentWriter;
}

/** What a log needs cleaning (Kafka's LogToClean). */
export interface CleaningCandidate {
  firstDirtyOffset: number;
  /** The base offset of the first segment that may not be cleaned yet. */
  firstUncleanableOffset: number;
  cleanBytes: number;
  cleanableBytes: number;
  /** cleanableBytes / (cleanBytes + cleanableBytes) */
  ratio: number;
  /** max.compaction.lag.ms has passed for a dirty record. */
  needCompactionNow: boolean;
}

export interface CleaningResult {
  /** The new first dirty offset. */
  endOffset: number;
  segmentsCleaned: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsRemoved: number;
}

/** Index of the segment holding `offset`: the last whose base offset is <= it (0 when below the first). */
function floorSegment(segments: readonly CleanerSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

/** The segments Kafka's logSegments(from, to) gives: from the one holding `from` up to those starting before `to`. */
function segmentsBetween(segments: readonly CleanerSegment[], from: number, to: number): readonly CleanerSegment[] {
  const first = floorSegment(segments, from);
  let end = first;
  while (end < segments.length && segments[end]!.baseOffset < to) end++;
  return segments.slice(first, end);
}

const sumSizes = (segments: readonly CleanerSegment[]) => segments.reduce((n, s) => n + s.size, 0);

/**
 * Whether and how much of the log can be cleaned (Kafka's LogCleanerManager.cleanableOffsets
 * and LogToClean): the dirty part runs from the first dirty offset to the first segment that is
 * active, or holds records younger than min.compaction.lag.ms. Null for an empty log.
 */
export function cleaningCandidate(log: CompactableLog, s: LogSettings, nowMs: number): CleaningCandidate | null {
  const segments = log.cleanerSegments();
  const active = segments[segments.length - 1]!;
  let firstDirty = log.firstDirtyOffset;
  // a checkpoint below the log start offset (retention or DeleteRecords moved it) or past the
  // log end (the log was truncated) starts over from the log start offset, as Kafka does
  if (firstDirty < log.logStartOffset || firstDirty > active.nextOffset) firstDirty = log.logStartOffset;
  let uncleanable = Math.min(active.baseOffset, log.lastStableOffset);
  const dirtyNonActive = segmentsBetween(segments, firstDirty, active.baseOffset);
  if (s.minCompactionLagMs > 0) {
    const young = dirtyNonActive.find(seg => seg.maxTimestamp > nowMs - s.minCompactionLagMs);
    if (young !== undefined) uncleanable = Math.min(uncleanable, young.baseOffset);
  }
  // cleaning stops at a segment boundary: the base offset of the segment holding `uncleanable`
  const firstUncleanable = uncleanable >= active.baseOffset ? active.baseOffset : segments[floorSegment(segments, uncleanable)]!.baseOffset;
  const cleanBytes = sumSizes(segmentsBetween(segments, -1, firstDirty));
  const cleanableBytes = sumSizes(segmentsBetween(segments, Math.min(firstDirty, firstUncleanable), firstUncleanable));
  const total = cleanBytes + cleanableBytes;
  if (total === 0) return null;
  let needCompactionNow = false;
  if (s.maxCompactionLagMs > 0 && s.maxCompactionLagMs < Number.MAX_VALUE) {
    const earliest = Math.min(...dirtyNonActive.map(seg => seg.firstBatchTimestamp).filter(ts => ts > 0));
    needCompactionNow = earliest < nowMs - s.maxCompactionLagMs;
  }
  return { firstDirtyOffset: firstDirty, firstUncleanableOffset: firstUncleanable, cleanBytes, cleanableBytes, ratio: cleanableBytes / total, needCompactionNow };
}

/** Kafka's rule for picking a log: past max.compaction.lag.ms with something to clean, or dirtier than min.cleanable.dirty.ratio. */
export function shouldClean(c: CleaningCandidate, s: LogSettings): boolean {
  return (c.needCompactionNow && c.cleanableBytes > 0) || c.ratio > s.minCleanableRatio;
}

/** Keys as map keys: latin1 maps each byte to one char, so distinct keys stay distinct. */
const keyOf = (key: Buffer) => key.toString('latin1');

const isControl = (batch: Buffer) => (batch.readInt16BE(ATTRIBUTES) & CONTROL_BIT) !== 0;

/**
 * Kafka's groupSegmentsBySize: consecutive segments whose sizes together stay within
 * segment.bytes (and index sizes within segment.index.bytes, offsets within an int32) become
 * one cleaned segment.
 */
function groupSegments(segments: readonly CleanerSegment[], maxBytes: number, maxIndexBytes: number): CleanerSegment[][] {
  const groups: CleanerSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]!];
    let bytes = segments[i]!.size;
    let indexBytes = segments[i]!.indexBytes;
    i++;
    while (i < segments.length) {
      const next = segments[i]!;
      const lastOffset = i + 1 < segments.length ? segments[i + 1]!.baseOffset - 1 : next.nextOffset - 1;
      if (bytes + next.size > maxBytes || indexBytes + next.indexBytes > maxIndexBytes || lastOffset - group[0]!.baseOffset > 2 ** 31 - 1) break;
      group.push(next);
      bytes += next.size;
      indexBytes += next.indexBytes;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/**
 * The latest offset of every key in the dirty part [firstDirty, upTo), up to `maxKeys` keys
 * (log.cleaner.dedupe.buffer.size). Returns the map and the offset it covers up to: `upTo`, or
 * less when the map filled first (the rest is cleaned next time).
 */
async function buildOffsetMap(log: CompactableLog, c: CleaningCandidate, maxKeys: number): Promise<{ map: Map<string, number>; endOffset: number; recordsRead: number }> {
  const map = new Map<string, number>();
  let recordsRead = 0;
  for (const seg of segmentsBetween(log.cleanerSegments(), c.firstDirtyOffset, c.firstUncleanableOffset)) {
    for await (const batch of log.batchesOf(seg)) {
      const baseOffset = readInt64(batch, BASE_OFFSET);
      if (baseOffset >= c.firstUncleanableOffset) break;
      if (baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA) < c.firstDirtyOffset || isControl(batch)) continue;
      const records = batchRecords(batch);
      if (records === null) continue; // a codec this process cannot read: the batch is kept whole
      if (map.size > 0 && map.size + records.length > maxKeys) return { map, endOffset: baseOffset, recordsRead };
      for (const r of records) {
        recordsRead++;
        if (r.key !== null && r.offset >= c.firstDirtyOffset) map.set(keyOf(r.key), r.offset);
      }
    }
  }
  return { map, endOffset: c.firstUncleanableOffset, recordsRead };
}

/**
 * One batch as the cleaner leaves it (Kafka's MemoryRecords.filterTo with the cleaner's
 * filter): the same buffer when nothing changes, a rebuilt batch, or null when no record stays.
 * Records at or past `endOffset` (beyond the offset map) are kept as they are.
 */
export function cleanBatch(batch: Buffer, map: ReadonlyMap<string, number>, endOffset: number, nowMs: number, deleteRetentionMs: number): { batch: Buffer | null; removed: number } {
  // control batches (transaction markers) stay until transactions are cleaned with them
  if (isControl(batch)) return { batch, removed: 0 };
  const records = batchRecords(batch);
  if (records === null) return { batch, removed: 0 };
  const horizonSet = (batch.readInt16BE(ATTRIBUTES) & DELETE_HORIZON_BIT) !== 0;
  const horizon = horizonSet ? readInt64(batch, BASE_TIMESTAMP) : -1;
  const kept: RecordView[] = [];
  let tombstones = false;
  for (const r of records) {
    let keep: boolean;
    if (r.offset >= endOffset) keep = true;
    else if (r.key === null) keep = false; // a compacted log has no use for a record without a key
    else {
      const latest = map.get(keyOf(r.key));
      keep = (latest === undefined || r.offset >= latest) && (r.hasValue || !horizonSet || nowMs < horizon);
    }
    if (!keep) continue;
    kept.push(r);
    if (!r.hasValue) tombstones = true;
  }
  const removed = records.length - kept.length;
  if (kept.length === 0) return { batch: null, removed };
  // KIP-534: a batch holding tombstones gets its delete horizon the first time it is cleaned
  const setHorizon = tombstones && !horizonSet;
  if (removed === 0 && !setHorizon) return { batch, removed };
  return { batch: rebuildBatch(batch, kept, setHorizon ? nowMs + deleteRetentionMs : horizonSet ? horizon : null), removed };
}

/** Cleans a log once (Kafka's Cleaner.doClean): maps the dirty part, then rewrites the segments up to it. */
export async function cleanLog(log: CompactableLog, c: CleaningCandidate, s: LogSettings, nowMs: number, maxKeys: number): Promise<CleaningResult> {
  const { map, endOffset, recordsRead } = await buildOffsetMap(log, c, maxKeys);
  const result: CleaningResult = { endOffset, segmentsCleaned: 0, bytesRead: 0, bytesWritten: 0, recordsRead, recordsRemoved: 0 };
  const segments = log.cleanerSegments();
  const toClean = segmentsBetween(segments, 0, endOffset).filter(seg => seg !== segments[segments.length - 1]);
  for (const group of groupSegments(toClean, s.segmentBytes, s.segmentIndexBytes)) {
    const out = log.replaceSegments(group);
    try {
      for (const seg of group) {
        result.bytesRead += seg.size;
        for await (const batch of log.batchesOf(seg)) {
          const cleaned = cleanBatch(batch, map, endOffset, nowMs, s.deleteRetentionMs);
          result.recordsRemoved += cleaned.removed;
          if (cleaned.batch === null) continue;
          out.append(cleaned.batch);
          result.bytesWritten += cleaned.batch.length;
        }
      }
    } catch (err) {
      out.abort();
      throw err;
    }
    // a group that changed meanwhile (retention deleted a segment of it) is left for next time
    if (await out.commit()) result.segmentsCleaned += group.length;
  }
  log.firstDirtyOffset = endOffset;
  return result;
}

/** A log the cleaner may look at, with the topic settings it is cleaned by. */
export interface CleanerEntry {
  log: PartitionLog;
  settings: LogSettings;
}

export interface LogCleanerOptions {
  /** log.cleaner.backoff.ms: the pause after a pass that found nothing to clean. */
  backoffMs: number;
  /** Keys one cleaning may map (log.cleaner.dedupe.buffer.size / 24, as Kafka's map holds 24-byte entries). */
  maxKeys: number;
  clock: Clock;
  log: Logger;
  /** The logs of compacted topics. */
  logs: () => Iterable<CleanerEntry>;
}

/**
 * The background cleaner (Kafka's CleanerThread): cleans the dirtiest log that qualifies, again
 * at once while one does, else waits log.cleaner.backoff.ms. One cleaning at a time.
 */
export class LogCleaner {
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly opts: LogCleanerOptions) {}

  start(): void {
    this.schedule(this.opts.backoffMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      this.running = this.cleanFilthiest().then(
        cleaned => {
          this.running = null;
          this.schedule(cleaned ? 0 : this.opts.backoffMs);
        },
        err => {
          this.running = null;
          this.opts.log.error({ err }, 'log cleaning failed');
          this.schedule(this.opts.backoffMs);
        },
      );
    }, ms);
  }

  /** Cleans the dirtiest log that qualifies; false when none does. */
  async cleanFilthiest(): Promise<boolean> {
    const now = this.opts.clock.now();
    let best: { entry: CleanerEntry; log: CompactableLog; candidate: CleaningCandidate } | null = null;
    for (const entry of this.opts.logs()) {
      const log = entry.log.compactable();
      if (log === null) continue;
      const candidate = cleaningCandidate(log, entry.settings, now);
      if (candidate === null || !shouldClean(candidate, entry.settings)) continue;
      if (best === null || candidate.ratio > best.candidate.ratio) best = { entry, log, candidate };
    }
    if (best === null) return false;
    const { log, candidate, entry } = best;
    const r = await cleanLog(log, candidate, entry.settings, now, this.opts.maxKeys);
    this.opts.log.info(
      { partition: log.name, firstDirtyOffset: candidate.firstDirtyOffset, endOffset: r.endOffset, segments: r.segmentsCleaned, bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, recordsRemoved: r.recordsRemoved, dirtyRatio: Number(candidate.ratio.toFixed(3)) },
      `cleaned ${log.name}: ${r.bytesRead} bytes to ${r.bytesWritten}`,
    );
    return true;
  }

  /** Stops scheduling and waits for a cleaning in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
