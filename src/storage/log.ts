// The partition log as the broker sees it. Handlers and the cluster talk to this interface
// only; the in-memory log (memory-log.ts) and the disk log implement it. The log stores record
// batches exactly as produced (with the broker-assigned base offset) and never decodes records
// on the append or read paths.
import type { BatchHeader } from '../protocol/records.js';
import type { CompactableLog } from './cleaner.js';
import type { AbortedTxn, ProducerStateManager } from './producer-state.js';

export interface AppendResult {
  /** Offset given to the first record of the batch. */
  baseOffset: number;
  lastOffset: number;
  /** The time written into the batch for LogAppendTime topics, else -1. */
  logAppendTime: number;
  logStartOffset: number;
}

export interface ReadResult {
  /** Stored batches, whole, starting with the one that holds the fetch offset. */
  records: Buffer[];
  bytes: number;
  /**
   * Gives the memory the records were read into back for other reads: to be called once nothing
   * refers to them any more (a fetch: once its response is written). Absent for memory that is
   * the log's own.
   */
  release?: () => void;
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export interface AppendOptions {
  /** Leader epoch written into the batch header. */
  leaderEpoch: number;
  /** Set for LogAppendTime topics: the broker's clock replaces the batch's max timestamp. */
  logAppendTime: number | null;
  /**
   * The same bytes as the batch, in the pieces of the network reads they arrived in, when the
   * request was joined from several reads (see arrivedAs); a memory log keeps these rather than
   * the joined copy. Null otherwise.
   */
  arrived: readonly Buffer[] | null;
}

/** The topic configs a log works by, resolved (Long.MAX_VALUE as Number.MAX_VALUE). */
export interface LogSettings {
  segmentBytes: number;
  segmentMs: number;
  segmentJitterMs: number;
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  flushMessages: number;
  flushMs: number;
  retentionMs: number;
  retentionBytes: number;
  /** cleanup.policy includes "delete". */
  deleteRetention: boolean;
  /** cleanup.policy includes "compact". */
  compact: boolean;
  /** delete.retention.ms: how long a tombstone outlives its first cleaning. */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio */
  minCleanableRatio: number;
  /** min.compaction.lag.ms */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms */
  maxCompactionLagMs: number;
}

export interface LogCreateOptions {
  topicId: string;
  /** Read on every use: a topic's configs may change while the log is open. */
  settings: () => LogSettings;
  /** The topic or partition is being created now: anything left in its place is discarded. */
  isNew: boolean;
}

export interface PartitionLog {
  /** Set when the log's files could not be read: every operation then fails with KAFKA_STORAGE_ERROR. */
  readonly offline?: string;
  /** First offset still readable. */
  readonly logStartOffset: number;
  /** Offset the next appended record gets. */
  readonly logEndOffset: number;
  /** Offsets below this are visible to consumers (one replica: every appended offset). */
  readonly highWatermark: number;
  /** Bytes of batches held. */
  readonly sizeInBytes: number;
  /**
   * Idempotent and transactional producers' state, kept by every append (and rebuilt by the disk
   * log after a restart). The broker checks client batches against it before appending.
   */
  readonly producers: ProducerStateManager;
  /** Offsets below this are decided: no open transaction holds them (read_committed reads up to here). */
  readonly lastStableOffset: number;

  /**
   * Appends one validated batch and assigns its base offset in place, and records it in the
   * producer state (a marker completes its transaction, an abort is added to the transaction index). `batch` is a view of the
   * request it arrived in; the log may keep that view or copy it. A log that can answer at once
   * (the memory log) returns the result itself, so the produce path costs no promise; one that
   * must wait (for a disk write) returns a promise. Appends complete in call order.
   */
  append(batch: Buffer, header: BatchHeader, opts: AppendOptions): AppendResult | Promise<AppendResult>;

  /**
   * Reads whole batches from the one holding `offset`, stopping before `maxBytes` would be
   * exceeded; with `minOneBatch` the first batch is returned even when it alone is larger (KIP-74).
   * Only offsets below `upTo` (the high watermark or last stable offset) are returned.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, upTo: number): Promise<ReadResult>;

  /**
   * The aborted transactions a read_committed fetch of [fetchOffset, upTo) must be told of: those
   * whose data may lie in the range (marker at or after fetchOffset, first offset before upTo).
   */
  abortedTransactions(fetchOffset: number, upTo: number): AbortedTxn[];

  /** Bytes stored from the batch holding `offset` up to `upTo`, for fetch long-poll accounting. */
  bytesFrom(offset: number, upTo: number): number;

  /** The first record with timestamp >= `timestamp`, or null when there is none. */
  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null>;

  /** The record with the largest timestamp (the first such record), or null for an empty log. */
  maxTimestampOffset(): Promise<TimestampOffset | null>;

  /** Leader epoch of the batch holding `offset`, or -1 when no batch holds it. */
  epochAt(offset: number): number;

  /**
   * Moves the log start offset forward to `offset` (DeleteRecords, retention); segments wholly
   * below it are deleted. Offsets above the high watermark are the caller's to refuse.
   */
  deleteRecordsBefore(offset: number): Promise<void>;

  /**
   * Applies retention.ms and retention.bytes (when cleanup.policy includes delete) by deleting
   * whole segments, oldest first; returns how many were deleted.
   */
  applyRetention(nowMs: number): Promise<number>;

  /** The log as the cleaner works on it (cleanup.policy=compact), or null while it cannot be cleaned (offline, closed). */
  compactable(): CompactableLog | null;

  close(): Promise<void>;
}

/** Creates the log of one partition; the memory and disk engines each provide one. */
export interface LogFactory {
  create(topic: string, partition: number, opts: LogCreateOptions): PartitionLog;
  /**
   * Drops a deleted topic's partition data. The log is stopped, and its files moved out of the
   * way, before the promise is returned; the promise settles when they are gone.
   */
  remove(topic: string, partition: number): Promise<void>;
  close(): Promise<void>;
}
