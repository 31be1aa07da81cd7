// Reads and writes of partition data on behalf of Produce, Fetch and ListOffsets, with Kafka's
// checks and error codes. Protocol-free: handlers translate to and from the wire types.
import type { Partition } from '../cluster/cluster.js';
import { ErrorCode, KafkaError, errorMessage } from '../protocol/errors.js';
import { COMPRESSION_MASK, Compression, TRANSACTIONAL_BIT, batchRecords, encodeEndTxnMarker, isBatchProblem, readBatchHeader, recordTimestamps, validateProducedBatch, type BatchHeader } from '../protocol/records.js';
import type { Clock } from './clock.js';
import type { AppendResult, ReadResult } from '../storage/log.js';
import type { AbortedTxn, ExpirySettings } from '../storage/producer-state.js';

export const IsolationLevel = { READ_UNCOMMITTED: 0, READ_COMMITTED: 1 } as const;

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;
export const LATEST_TIERED_TIMESTAMP = -5;

/** One refused record of a produced batch: its index in the batch and why (Produce v8+ recordErrors). */
export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface AppendOutcome {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: RecordError[];
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

export interface ReadOutcome {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer[];
  bytes: number;
  /** Gives the memory of `records` back once the response holding them is written (ReadResult.release). */
  release?: () => void;
  /** read_committed: the aborted transactions whose records the read may hold; null otherwise. */
  abortedTransactions: AbortedTxn[] | null;
}

export interface OffsetOutcome {
  errorCode: number;
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface ReadRequest {
  partition: Partition;
  fetchOffset: number;
  isolationLevel: number;
}

/** A log's KafkaError (KAFKA_STORAGE_ERROR) becomes the partition's answer; anything else is a bug and rethrown. */
function storageFailure<T>(err: unknown, answer: (code: number, message?: string) => T): T {
  if (err instanceof KafkaError) return answer(err.code, err.message);
  throw err;
}

const failedAppend = (errorCode: number, message?: string, recordErrors: RecordError[] = []): AppendOutcome => ({
  errorCode,
  errorMessage: message ?? errorMessage(errorCode),
  recordErrors,
  baseOffset: -1,
  logAppendTime: -1,
  logStartOffset: -1,
});

/** Wakes the partition's waiting fetches and reports a successful append. */
function appended(p: Partition, result: AppendResult): AppendOutcome {
  p.notifyChange();
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    recordErrors: [],
    baseOffset: result.baseOffset,
    logAppendTime: result.logAppendTime,
    logStartOffset: result.logStartOffset,
  };
}

/**
 * Whether a transactional batch's partition is part of its producer's transaction (the
 * coordinator's verification, KIP-890): NONE, or the error to answer the batch with.
 */
export type TxnVerifier = (
  transactionalId: string | null,
  producerId: number,
  producerEpoch: number,
  p: Partition,
  produceVersion: number,
) => TxnVerification | Promise<TxnVerification>;

export interface TxnVerification {
  code: number;
  message: string | null;
}

export class ReplicaManager {
  /** The finish functions of the fetches waiting for data, so close() can end them. */
  private readonly waiting = new Set<() => void>();
  /** Set by the broker once its transaction coordinator exists. */
  txnVerifier: TxnVerifier | null = null;
  /**
   * By topic name: called once a transaction marker is in a partition of the topic (the group
   * coordinator settles TxnOffsetCommit's offsets in __consumer_offsets this way).
   */
  readonly markerListeners = new Map<string, (p: Partition, producerId: number, commit: boolean) => void>();
  /**
   * By partition and producer id: settles once the transactional batch waiting for its
   * partition to join the transaction (Produce v12+) is appended. The producer's later batches
   * for the partition wait for it too, so they are appended in the order they came.
   */
  private readonly addsInFlight = new Map<Partition, Map<number, Promise<void>>>();

  constructor(
    private readonly nodeId: number,
    private readonly clock: Clock,
    /** producer.id.expiration.ms and producer.id.expiration.check.interval.ms */
    private readonly producerExpiry: () => ExpirySettings = () => ({ expirationMs: 86_400_000, checkIntervalMs: 600_000 }),
  ) {}

  /** Ends every waiting fetch now: a long poll must not keep a closed broker's timers (and process) alive. */
  close(): void {
    for (const finish of [...this.waiting]) finish();
  }

  /** The leader-epoch and leadership checks every partition request starts with; NONE when they pass. */
  checkLeader(p: Partition, currentLeaderEpoch: number): number {
    // a topic deleted while a request waited on it (a long poll) is gone for that request too
    if (p.topic.deleted) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    // a partition whose log could not be opened (Kafka: its log directory is offline)
    if (p.log.offline !== undefined) return ErrorCode.KAFKA_STORAGE_ERROR;
    if (currentLeaderEpoch >= 0) {
      if (currentLeaderEpoch < p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
      if (currentLeaderEpoch > p.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    }
    return p.leader === this.nodeId ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  /**
   * Validates one produced batch and appends it, as Kafka's ReplicaManager.appendRecords does for
   * one partition. Answers synchronously when the log does.
   */
  append(p: Partition, records: Buffer | null, arrived: readonly Buffer[] | null, acks: number, produceVersion: number, transactionalId: string | null = null): AppendOutcome | Promise<AppendOutcome> {
    const leader = this.checkLeader(p, -1);
    if (leader !== ErrorCode.NONE) return failedAppend(leader);
    const settings = p.topic.settings;
    if (acks === -1 && p.isr.length < settings.minInsyncReplicas) {
      return failedAppend(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${p.isr.length} is insufficient to satisfy the min.isr requirement of ${settings.minInsyncReplicas} for partition ${p.topic.name}-${p.index}`,
      );
    }
    const header = validateProducedBatch(records, settings.maxMessageBytes);
    if (isBatchProblem(header)) return failedAppend(header.code, header.message);
    if ((header.attributes & COMPRESSION_MASK) === Compression.zstd && produceVersion < 7) {
      return failedAppend(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with version < 7 cannot use ZStandard compression');
    }
    if (header.producerId >= 0 && header.baseSequence < 0) {
      // Kafka's LogValidator: an idempotent batch must carry a sequence
      return failedAppend(ErrorCode.INVALID_RECORD, `Invalid sequence number ${header.baseSequence} in record batch with producerId ${header.producerId}`);
    }
    if (header.producerId >= 0 && (header.attributes & TRANSACTIONAL_BIT) !== 0) {
      const waiting = this.addsInFlight.get(p)?.get(header.producerId);
      if (waiting !== undefined) return waiting.then(() => this.append(p, records, arrived, acks, produceVersion, transactionalId));
      // Kafka's transaction verification: a producer's first batch of a transaction in this
      // partition must belong to a partition its coordinator added to the transaction (or, from
      // Produce v12, the coordinator adds it now)
      if (!this.inTransaction(p, header.producerId, header.producerEpoch) && this.txnVerifier !== null) {
        const v = this.txnVerifier(transactionalId, header.producerId, header.producerEpoch, p, produceVersion);
        if (v instanceof Promise) return this.appendOnceAdded(p, header.producerId, v, () => this.appendChecked(p, records!, header, arrived));
        if (v.code !== ErrorCode.NONE) return failedAppend(v.code, v.message ?? undefined);
      }
    }
    return this.appendChecked(p, records!, header, arrived);
  }

  /** Appends a transactional batch once its partition is in the transaction, holding the producer's later batches for the partition until then. */
  private appendOnceAdded(p: Partition, producerId: number, added: Promise<TxnVerification>, append: () => AppendOutcome | Promise<AppendOutcome>): Promise<AppendOutcome> {
    const outcome = added.then(v => (v.code !== ErrorCode.NONE ? failedAppend(v.code, v.message ?? undefined) : append()));
    let byProducer = this.addsInFlight.get(p);
    if (byProducer === undefined) this.addsInFlight.set(p, (byProducer = new Map()));
    const release = (): void => {
      if (byProducer.get(producerId) !== settled) return;
      byProducer.delete(producerId);
      if (byProducer.size === 0) this.addsInFlight.delete(p);
    };
    const settled: Promise<void> = outcome.then(release, release);
    byProducer.set(producerId, settled);
    return outcome;
  }

  /** append() once the batch's header and its transaction are checked: record-level checks, the producer's sequence, the write. */
  private appendChecked(p: Partition, records: Buffer, header: BatchHeader, arrived: readonly Buffer[] | null): AppendOutcome | Promise<AppendOutcome> {
    const settings = p.topic.settings;
    if (settings.log.compact) {
      const keyless = this.keylessRecords(records, `${p.topic.name}-${p.index}`);
      if (keyless === null) return failedAppend(ErrorCode.CORRUPT_MESSAGE, 'Record batch is corrupt: its records cannot be read');
      if (keyless.length > 0) {
        const shown = keyless.slice(0, 3).map(e => `RecordError(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`);
        return failedAppend(ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${keyless.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`, keyless);
      }
    }
    const now = this.clock.now();
    if (!settings.logAppendTime) {
      const invalid = this.invalidTimestamps(records, header, now, settings.timestampBeforeMaxMs, settings.timestampAfterMaxMs);
      if (invalid.length > 0) return failedAppend(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', invalid);
    }
    // idempotent producers: a retried batch gets its first offsets again, a gap or an old epoch an error
    if (header.producerId >= 0) {
      const seq = p.log.producers.check(header, now, this.producerExpiry());
      if (seq.kind === 'error') return failedAppend(seq.code, seq.message);
      if (seq.kind === 'duplicate') {
        return { errorCode: ErrorCode.NONE, errorMessage: null, recordErrors: [], baseOffset: seq.firstOffset, logAppendTime: -1, logStartOffset: p.log.logStartOffset };
      }
    }
    return this.appendValid(p, records, header, arrived, now);
  }

  /** Appends a batch that passed validation. */
  private appendValid(p: Partition, records: Buffer, header: BatchHeader, arrived: readonly Buffer[] | null, now: number): AppendOutcome | Promise<AppendOutcome> {
    let result: AppendResult | Promise<AppendResult>;
    try {
      result = p.log.append(records, header, { leaderEpoch: p.leaderEpoch, logAppendTime: p.topic.settings.logAppendTime ? now : null, arrived });
    } catch (err) {
      return storageFailure(err, failedAppend);
    }
    // the log recorded the batch in its producer state synchronously (a promise only waits for an
    // fsync): later batches of the producer see this one
    return result instanceof Promise ? result.then(r => appended(p, r), err => storageFailure(err, failedAppend)) : appended(p, result);
  }

  /**
   * A coordinator's transactional write to its own internal topic (TxnOffsetCommit's records;
   * Kafka's AppendOrigin.COORDINATOR): a batch the broker built, without a sequence, so only the
   * producer epoch is checked: one older than the partition has seen is INVALID_PRODUCER_EPOCH.
   */
  appendTransactional(p: Partition, batch: Buffer): AppendOutcome | Promise<AppendOutcome> {
    const leader = this.checkLeader(p, -1);
    if (leader !== ErrorCode.NONE) return failedAppend(leader);
    const header = readBatchHeader(batch);
    const e = p.log.producers.entry(header.producerId);
    if (e !== undefined && header.producerEpoch < e.epoch) {
      return failedAppend(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${header.producerId} in ${p.topic.name}-${p.index} is ${header.producerEpoch}, which is smaller than the last seen epoch ${e.epoch}`,
      );
    }
    return this.appendValid(p, batch, header, null, this.clock.now());
  }

  /** Whether the producer has a transaction open in the partition at this epoch (its coordinator has verified it here before). */
  inTransaction(p: Partition, producerId: number, producerEpoch: number): boolean {
    const entry = p.log.producers.entry(producerId);
    return entry !== undefined && entry.currentTxnFirstOffset >= 0 && entry.epoch === producerEpoch;
  }

  /**
   * Writes a transaction's commit or abort marker for one producer (Kafka's WriteTxnMarkers on the
   * partition leader): refused with INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED when
   * a newer producer epoch or coordinator has written here. Resolves with the error code.
   */
  appendMarker(p: Partition, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number): number | Promise<number> {
    const leader = this.checkLeader(p, -1);
    if (leader !== ErrorCode.NONE) return leader;
    const refused = p.log.producers.checkMarker(producerId, producerEpoch, coordinatorEpoch);
    if (refused !== null) return refused.code;
    const now = this.clock.now();
    const batch = encodeEndTxnMarker(producerId, producerEpoch, { commit, coordinatorEpoch }, now);
    const code = (err: unknown) => storageFailure(err, c => c);
    let result: AppendResult | Promise<AppendResult>;
    try {
      result = p.log.append(batch, readBatchHeader(batch), { leaderEpoch: p.leaderEpoch, logAppendTime: p.topic.settings.logAppendTime ? now : null, arrived: null });
    } catch (err) {
      return code(err);
    }
    // the last stable offset moved: read_committed fetches waiting on it may answer
    p.notifyChange();
    const done = (): number => {
      this.markerListeners.get(p.topic.name)?.(p, producerId, commit);
      return ErrorCode.NONE;
    };
    return result instanceof Promise ? result.then(done, code) : done();
  }

  /**
   * The records of a CreateTime batch whose timestamps fall outside [now - before, now + after],
   * as Kafka's LogValidator names them. The header's max timestamp bounds every record from
   * above, so records are read only when it is out of range or a lower bound is configured.
   */
  /**
   * Kafka's LogValidator refuses records without a key on a compacted topic (the cleaner could
   * only drop them). The one produce path that decodes records; a batch whose codec cannot be
   * read here is let through. Null when the records are malformed.
   */
  private keylessRecords(batch: Buffer, partition: string): RecordError[] | null {
    let records;
    try {
      records = batchRecords(batch);
    } catch {
      return null;
    }
    const out: RecordError[] = [];
    records?.forEach((r, i) => {
      if (r.key === null) out.push({ batchIndex: i, batchIndexErrorMessage: `Compacted topic cannot accept message without key in topic partition ${partition}.` });
    });
    return out;
  }

  private invalidTimestamps(batch: Buffer, header: BatchHeader, now: number, beforeMaxMs: number, afterMaxMs: number): RecordError[] {
    const low = now - beforeMaxMs;
    const high = now + afterMaxMs;
    const lowerBound = beforeMaxMs < Number.MAX_VALUE;
    if (header.maxTimestamp <= high && !lowerBound) return [];
    const outOfRange = (ts: number) => ts !== -1 && (ts < low || ts > high);
    const message = (ts: number, offset: number) => `Timestamp ${ts} of message with offset ${offset} is out of range. The timestamp should be within [${low}, ${high}]`;
    const records = recordTimestamps(batch);
    if (records === null) {
      // a codec this process cannot read: judge the batch by its header
      if (!outOfRange(header.maxTimestamp) && !outOfRange(header.baseTimestamp)) return [];
      const ts = outOfRange(header.maxTimestamp) ? header.maxTimestamp : header.baseTimestamp;
      return [{ batchIndex: 0, batchIndexErrorMessage: message(ts, 0) }];
    }
    const out: RecordError[] = [];
    records.forEach((r, i) => {
      if (outOfRange(r.timestamp)) out.push({ batchIndex: i, batchIndexErrorMessage: message(r.timestamp, r.offset) });
    });
    return out;
  }

  /** Offsets a consumer may read up to: the high watermark, or the last stable offset for read_committed. */
  lastFetchableOffset(p: Partition, isolationLevel: number): number {
    return isolationLevel === IsolationLevel.READ_COMMITTED ? p.log.lastStableOffset : p.log.highWatermark;
  }

  /** Reads one partition for a consumer fetch. */
  async read(p: Partition, fetchOffset: number, maxBytes: number, minOneBatch: boolean, isolationLevel: number, currentLeaderEpoch: number): Promise<ReadOutcome> {
    const log = p.log;
    const leader = this.checkLeader(p, currentLeaderEpoch);
    const base = { highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset, records: [], bytes: 0, abortedTransactions: null };
    if (leader !== ErrorCode.NONE) return { errorCode: leader, ...base, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 };
    // as for every failed read, Kafka answers OFFSET_OUT_OF_RANGE with unknown offsets (createLogReadResult)
    if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...base, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 };
    }
    let read: ReadResult;
    const upTo = this.lastFetchableOffset(p, isolationLevel);
    let aborted: AbortedTxn[] | null = null;
    try {
      read = await log.read(fetchOffset, maxBytes, minOneBatch, upTo);
      // Kafka's collectAbortedTransactions; the whole readable range (past what this read returns) errs on the safe side
      if (isolationLevel === IsolationLevel.READ_COMMITTED) aborted = read.bytes > 0 ? log.abortedTransactions(fetchOffset, upTo) : [];
    } catch (err) {
      return storageFailure(err, code => ({ errorCode: code, ...base, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 }));
    }
    return { errorCode: ErrorCode.NONE, ...base, records: read.records, bytes: read.bytes, release: read.release, abortedTransactions: aborted };
  }

  /**
   * Waits until the partitions hold at least `minBytes` readable bytes past their fetch offsets,
   * a partition is deleted, or `maxWaitMs` passes (Kafka's DelayedFetch).
   */
  waitForData(reads: ReadRequest[], minBytes: number, maxWaitMs: number): Promise<void> {
    return new Promise(resolve => {
      let done = false;
      const cancels = new Map<Partition, () => void>();
      const finish = () => {
        if (done) return;
        done = true;
        this.waiting.delete(finish);
        timer.cancel();
        for (const cancel of cancels.values()) cancel();
        resolve();
      };
      const enough = () => {
        let total = 0;
        for (const r of reads) {
          if (r.partition.topic.deleted) return true;
          total += r.partition.log.bytesFrom(r.fetchOffset, this.lastFetchableOffset(r.partition, r.isolationLevel));
          if (total >= minBytes) return true;
        }
        return false;
      };
      const watch = (p: Partition) => {
        cancels.set(
          p,
          p.onChange(() => {
            if (done) return;
            if (enough()) finish();
            else watch(p);
          }),
        );
      };
      const timer = this.clock.setTimeout(finish, maxWaitMs);
      this.waiting.add(finish);
      for (const r of reads) if (!cancels.has(r.partition)) watch(r.partition);
    });
  }

  /**
   * One partition of DeleteRecords (Kafka's Partition.deleteRecordsOnLeader): -1 means the high
   * watermark; the log start offset only moves forward and never past the high watermark.
   */
  async deleteRecords(p: Partition, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    const leader = this.checkLeader(p, -1);
    if (leader !== ErrorCode.NONE) return { errorCode: leader, lowWatermark: -1 };
    const log = p.log;
    const target = offset === -1 ? log.highWatermark : offset;
    if (target < 0 || target > log.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
    try {
      await log.deleteRecordsBefore(target);
    } catch (err) {
      return storageFailure(err, code => ({ errorCode: code, lowWatermark: -1 }));
    }
    return { errorCode: ErrorCode.NONE, lowWatermark: log.logStartOffset };
  }

  /** One partition of ListOffsets. */
  async listOffset(p: Partition, timestamp: number, isolationLevel: number, currentLeaderEpoch: number): Promise<OffsetOutcome> {
    try {
      return await this.lookupOffset(p, timestamp, isolationLevel, currentLeaderEpoch);
    } catch (err) {
      return storageFailure(err, code => ({ errorCode: code, timestamp: -1, offset: -1, leaderEpoch: -1 }));
    }
  }

  private async lookupOffset(p: Partition, timestamp: number, isolationLevel: number, currentLeaderEpoch: number): Promise<OffsetOutcome> {
    const leader = this.checkLeader(p, currentLeaderEpoch);
    if (leader !== ErrorCode.NONE) return { errorCode: leader, timestamp: -1, offset: -1, leaderEpoch: -1 };
    const log = p.log;
    const epochOf = (offset: number) => {
      const e = log.epochAt(offset);
      return e >= 0 ? e : p.leaderEpoch;
    };
    const none = { errorCode: ErrorCode.NONE, timestamp: -1, offset: -1, leaderEpoch: -1 };
    switch (timestamp) {
      case EARLIEST_TIMESTAMP:
      case EARLIEST_LOCAL_TIMESTAMP:
        return { errorCode: ErrorCode.NONE, timestamp: -1, offset: log.logStartOffset, leaderEpoch: epochOf(log.logStartOffset) };
      case LATEST_TIMESTAMP:
        return { errorCode: ErrorCode.NONE, timestamp: -1, offset: this.lastFetchableOffset(p, isolationLevel), leaderEpoch: p.leaderEpoch };
      case LATEST_TIERED_TIMESTAMP:
        return none; // no tiered storage: nothing was ever tiered
      case MAX_TIMESTAMP: {
        const found = await log.maxTimestampOffset();
        return found === null ? none : { errorCode: ErrorCode.NONE, ...found };
      }
      default: {
        const found = await log.offsetForTimestamp(timestamp);
        if (found === null || found.offset >= this.lastFetchableOffset(p, isolationLevel)) return none;
        return { errorCode: ErrorCode.NONE, ...found };
      }
    }
  }
}
