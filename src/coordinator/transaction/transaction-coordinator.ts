// The transaction coordinator (Kafka's TransactionCoordinator, TransactionStateManager and
// TransactionMetadata): one state machine per transactional id, made durable in the compacted
// internal topic __transaction_state before any answer depends on it, and the commit/abort
// markers written to every partition of a transaction once its outcome is decided. One instance
// per broker node; it coordinates the transactional ids whose __transaction_state partition this
// node leads. Protocol-free: handlers turn requests into calls here.
//
// Both transaction versions, chosen per request as Kafka does. Transaction version 1 (EndTxn
// before v5, AddPartitionsToTxn from the client): the epoch is bumped by InitProducerId, and by
// the coordinator when it fences a producer (a timed-out transaction, or InitProducerId during an
// open one). Transaction version 2 (KIP-890 part 2; EndTxn v5+, and Produce v12+ / TxnOffsetCommit
// v5+ adding their partitions themselves): every commit or abort also bumps the epoch, the markers
// carry the bumped epoch, EndTxn answers the producer id and epoch of the next transaction, and a
// producer whose epochs run out gets a new producer id there.
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../broker/clock.js';
import type { ProducerIdManager } from '../../broker/producer-ids.js';
import type { ReplicaManager } from '../../broker/replica-manager.js';
import type { Cluster, Partition } from '../../cluster/cluster.js';
import type { BrokerConfig } from '../../cluster/configs.js';
import { TRANSACTION_VERSION } from '../../cluster/features.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { encodeRecordBatch } from '../../protocol/records.js';
import { CoordinatorTopic, scanRecords } from '../internal-topic.js';
import {
  TRANSACTION_STATE_TOPIC,
  TXN_STATE_NAMES,
  TxnState,
  decodeTxnKey,
  decodeTxnValue,
  encodeTxnKey,
  encodeTxnValue,
  type TxnLogValue,
  type TxnStateId,
} from './txn-records.js';

const NO_PRODUCER_ID = -1;
const NO_EPOCH = -1;
const INT16_MAX = 32767;
/** How long a marker that could not be written waits before it is tried again. */
const MARKER_RETRY_MS = 100;

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** The states a transition may start from (Kafka's TransactionState.validPreviousStates). */
const VALID_PREVIOUS: Record<TxnStateId, readonly TxnStateId[]> = {
  [TxnState.Empty]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.Ongoing]: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareCommit]: [TxnState.Ongoing],
  // transaction version 2 aborts with no transaction open too (the client's epoch bump)
  [TxnState.PrepareAbort]: [TxnState.Ongoing, TxnState.PrepareEpochFence, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.CompleteCommit]: [TxnState.PrepareCommit],
  [TxnState.CompleteAbort]: [TxnState.PrepareAbort],
  [TxnState.Dead]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareEpochFence]: [TxnState.Ongoing],
};

/** What a transition writes: the durable fields of a transaction after it. */
type Transit = Omit<TxnLogValue, 'partitions'> & {
  partitions: Set<string>;
  /** Kept in memory only (Kafka does not write it): a reload starts without it. */
  lastProducerEpoch: number;
};

/** One transactional id's state (Kafka's TransactionMetadata). Partitions as `topic\u0000index`. */
class TxnMetadata {
  producerId: number;
  previousProducerId = NO_PRODUCER_ID;
  nextProducerId = NO_PRODUCER_ID;
  producerEpoch = NO_EPOCH;
  lastProducerEpoch = NO_EPOCH;
  txnTimeoutMs: number;
  state: TxnStateId = TxnState.Empty;
  partitions = new Set<string>();
  txnStartTimestamp = -1;
  txnLastUpdateTimestamp: number;
  clientTransactionVersion = 0;
  /** The state a write in flight moves to (Kafka's pendingState). */
  pending: TxnStateId | null = null;
  hasFailedEpochFence = false;

  constructor(
    readonly transactionalId: string,
    producerId: number,
    txnTimeoutMs: number,
    now: number,
  ) {
    this.producerId = producerId;
    this.txnTimeoutMs = txnTimeoutMs;
    this.txnLastUpdateTimestamp = now;
  }

  get epochExhausted(): boolean {
    return this.producerEpoch >= INT16_MAX - 1;
  }

  /** Kafka's prepareTransitionTo: validates the move and marks it pending. */
  transit(to: TxnStateId, fields: Partial<Transit>): Transit {
    if (this.pending !== null) throw new Error(`transaction ${this.transactionalId}: a transition to ${TXN_STATE_NAMES[to]} while one to ${TXN_STATE_NAMES[this.pending]} is pending`);
    if (!VALID_PREVIOUS[to].includes(this.state)) throw new Error(`transaction ${this.transactionalId}: no transition from ${TXN_STATE_NAMES[this.state]} to ${TXN_STATE_NAMES[to]}`);
    this.pending = to;
    return {
      producerId: this.producerId,
      previousProducerId: this.producerId,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      transactionTimeoutMs: this.txnTimeoutMs,
      state: to,
      partitions: new Set(this.partitions),
      transactionStartTimestampMs: this.txnStartTimestamp,
      transactionLastUpdateTimestampMs: this.txnLastUpdateTimestamp,
      clientTransactionVersion: this.clientTransactionVersion,
      ...fields,
    };
  }

  /** Applies a written transition (Kafka's completeTransitionTo). */
  complete(t: Transit): void {
    this.producerId = t.producerId;
    this.previousProducerId = t.previousProducerId;
    this.nextProducerId = t.nextProducerId;
    this.producerEpoch = t.producerEpoch;
    this.lastProducerEpoch = t.lastProducerEpoch;
    this.txnTimeoutMs = t.transactionTimeoutMs;
    this.state = t.state;
    this.partitions = new Set(t.partitions);
    this.txnStartTimestamp = t.transactionStartTimestampMs;
    this.txnLastUpdateTimestamp = t.transactionLastUpdateTimestampMs;
    this.clientTransactionVersion = t.clientTransactionVersion;
    this.pending = null;
  }

  /** Kafka's prepareFenceProducerEpoch: the epoch the abort of a fenced transaction is written with. */
  fenceEpoch(): number {
    return this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
  }
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const tpOf = (key: string): TopicPartition => {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
};

function logValue(t: Transit): TxnLogValue {
  const byTopic = new Map<string, number[]>();
  for (const key of t.partitions) {
    const { topic, partition } = tpOf(key);
    let list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  // Kafka 4.1 writes no previous producer id (KAFKA-20310): as it does. The next producer id (set
  // only while a transaction-version-2 transaction whose epochs ran out completes) is written, as
  // the fix does, so a restart in between still completes it under the id the client was given
  const { lastProducerEpoch: _, ...fields } = t;
  return {
    ...fields,
    previousProducerId: NO_PRODUCER_ID,
    partitions: [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
  };
}

/** Kafka's TransactionStateManager.appendTransactionToLog error mapping. */
function appendErrorToResponse(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

export interface InitResult extends ProducerIdAndEpoch {
  errorCode: number;
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: number;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: number;
  transactionState: string;
}

export interface TransactionCoordinatorDeps {
  nodeId: number;
  cluster: Cluster;
  replicas: ReplicaManager;
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  producerIds: ProducerIdManager;
  /** The replica manager of a node, to write markers through the partition's leader; default: this node's. */
  replicasOf?: (nodeId: number) => ReplicaManager | undefined;
}

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  private loading: Promise<void> | null = null;
  private loaded = false;
  /** Partitions of __transaction_state this node has just come to lead, being read (COORDINATOR_LOAD_IN_PROGRESS). */
  private readonly loadingPartitions = new Set<number>();
  private closed = false;
  private abortTimer: Timer | null = null;
  private expiryTimer: Timer | null = null;
  /** Marker writes under way, by transactional id (each finishes with the Complete* write). */
  private readonly completing = new Map<string, Promise<void>>();

  /** __transaction_state */
  private readonly topic: CoordinatorTopic;

  constructor(private readonly deps: TransactionCoordinatorDeps) {
    const c = deps.config;
    this.topic = new CoordinatorTopic(deps.cluster, deps.nodeId, TRANSACTION_STATE_TOPIC, () => {
      const rf = Math.min(c.int('transaction.state.log.replication.factor'), deps.cluster.nodes.length);
      return {
        partitions: c.int('transaction.state.log.num.partitions'),
        replicationFactor: rf,
        configs: new Map([
          ['cleanup.policy', 'compact'],
          ['compression.type', 'uncompressed'],
          ['min.insync.replicas', String(Math.min(c.int('transaction.state.log.min.isr'), rf))],
          ['segment.bytes', String(c.int('transaction.state.log.segment.bytes'))],
          ['unclean.leader.election.enable', 'false'],
        ]),
      };
    }, deps.log);
  }

  private get log(): Logger {
    return this.deps.log;
  }

  // ---- the internal topic -------------------------------------------------------------------

  /** The node coordinating `transactionalId`, creating __transaction_state first when needed; -1 when none can. */
  coordinatorFor(transactionalId: string): number {
    return this.topic.coordinatorFor(transactionalId);
  }

  /** NONE when this node coordinates the id now, else Kafka's answer. */
  private coordinatorCheck(transactionalId: string): number {
    const index = this.topic.partitionOf(transactionalId)?.index;
    return this.topic.check(transactionalId, this.loaded && (index === undefined || !this.loadingPartitions.has(index)));
  }

  /** The node coordinating `transactionalId` now, without creating __transaction_state; -1 when none does. */
  coordinatorNode(transactionalId: string): number {
    const p = this.topic.partitionOf(transactionalId);
    return p === undefined || p.log.offline !== undefined ? -1 : p.leader;
  }

  /** The coordinator epoch: the leader epoch of the id's __transaction_state partition. */
  private coordinatorEpoch(transactionalId: string): number {
    return this.topic.partitionOf(transactionalId)?.leaderEpoch ?? 0;
  }

  /** Writes the id's record (a tombstone when `value` is null) to its partition of __transaction_state; Kafka's error. */
  private async writeRecord(transactionalId: string, value: Buffer | null): Promise<number> {
    const p = this.topic.partitionOf(transactionalId);
    if (p === undefined) return ErrorCode.NOT_COORDINATOR;
    const now = this.deps.clock.now();
    const batch = encodeRecordBatch([{ key: encodeTxnKey(transactionalId), value, timestamp: now }], { baseTimestamp: now });
    const outcome = await this.deps.replicas.append(p, batch, null, -1, 9);
    const code = appendErrorToResponse(outcome.errorCode);
    if (code !== ErrorCode.NONE) this.log.warn({ transactionalId, error: outcome.errorCode, message: outcome.errorMessage }, 'writing transaction state failed');
    return code;
  }

  /**
   * Writes a transition to the log and applies it (Kafka's appendTransactionToLog); on failure
   * the pending transition is dropped and Kafka's error returned.
   */
  private async persist(meta: TxnMetadata, t: Transit): Promise<number> {
    // the value version follows the cluster's finalized transaction.version (UpdateFeatures may
    // change it); a transaction begun at client transaction version 1+ before a downgrade to 0
    // keeps v1 values, which alone can carry that version (Kafka's writer would refuse v0)
    const value = logValue(t);
    const level = this.deps.cluster.features.level(TRANSACTION_VERSION);
    const code = await this.writeRecord(meta.transactionalId, encodeTxnValue(value, value.clientTransactionVersion > 0 ? Math.max(level, 1) : level));
    if (code === ErrorCode.NONE && this.txns.get(meta.transactionalId) === meta) meta.complete(t);
    else meta.pending = null;
    return code;
  }

  // ---- loading ------------------------------------------------------------------------------

  /** Reads __transaction_state (when it exists), then finishes every transaction a restart left prepared. */
  load(): Promise<void> {
    this.loading ??= this.loadAll().then(() => {
      this.loaded = true;
      this.scheduleAbortCheck();
      this.scheduleExpiry();
      for (const meta of this.txns.values()) {
        if (meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort) this.startMarkers(meta, meta.state === TxnState.PrepareCommit, true);
      }
    });
    return this.loading;
  }

  private async loadAll(): Promise<void> {
    const topic = this.topic.get();
    if (topic === undefined) return;
    const started = Date.now();
    let records = 0;
    for (const p of topic.partitions) {
      if (p.leader !== this.deps.nodeId || p.log.offline !== undefined) continue;
      records += await this.loadPartition(p);
    }
    this.log.info({ transactions: this.txns.size, records, ms: Date.now() - started }, 'loaded transaction state');
  }

  /** Replays one partition of __transaction_state; returns the records read. */
  private async loadPartition(p: Partition): Promise<number> {
    let records = 0;
    await scanRecords(p, (key, value, at) => {
      try {
        this.replay(decodeTxnKey(key), decodeTxnValue(value));
        records++;
      } catch (err) {
        this.log.warn({ err, partition: p.index, offset: at.offset }, 'skipping an unreadable record of __transaction_state');
      }
    });
    return records;
  }

  /** The transactional ids this node holds whose partition of __transaction_state is `index`. */
  private idsOfPartition(index: number): string[] {
    return [...this.txns.keys()].filter(id => this.topic.partitionOf(id)?.index === index);
  }

  /**
   * This node now leads a partition of __transaction_state (Kafka's onElection): its
   * transactional ids are read from the log, and transactions it finds prepared get their
   * markers, at the new coordinator epoch.
   */
  async elect(p: Partition): Promise<void> {
    if (p.topic.name !== TRANSACTION_STATE_TOPIC || this.closed || p.log.offline !== undefined) return;
    this.loadingPartitions.add(p.index);
    try {
      for (const id of this.idsOfPartition(p.index)) this.txns.delete(id);
      const records = await this.loadPartition(p);
      if (this.closed || p.leader !== this.deps.nodeId) return;
      const ids = this.idsOfPartition(p.index);
      this.log.info({ partition: p.index, transactions: ids.length, records }, 'now coordinating a partition of __transaction_state');
      for (const id of ids) {
        const meta = this.txns.get(id)!;
        if (meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort) this.startMarkers(meta, meta.state === TxnState.PrepareCommit, true);
      }
    } catch (err) {
      this.log.error({ err, partition: p.index }, 'loading a partition of __transaction_state failed');
    } finally {
      this.loadingPartitions.delete(p.index);
    }
  }

  /**
   * This node no longer leads a partition of __transaction_state (Kafka's onResignation): it
   * forgets the partition's transactional ids; markers under way stop before their Complete
   * write, which the new coordinator makes.
   */
  resign(p: Partition): void {
    if (p.topic.name !== TRANSACTION_STATE_TOPIC) return;
    const ids = this.idsOfPartition(p.index);
    for (const id of ids) this.txns.delete(id);
    if (ids.length > 0) this.log.info({ partition: p.index, transactions: ids.length }, 'no longer coordinating a partition of __transaction_state');
  }

  private replay(transactionalId: string, v: TxnLogValue | null): void {
    if (v === null) {
      this.txns.delete(transactionalId);
      return;
    }
    const meta = new TxnMetadata(transactionalId, v.producerId, v.transactionTimeoutMs, v.transactionLastUpdateTimestampMs);
    meta.complete({ ...v, lastProducerEpoch: NO_EPOCH, partitions: new Set(v.partitions.flatMap(t => t.partitionIds.map(i => tpKey(t.topic, i)))) });
    this.txns.set(transactionalId, meta);
  }

  /**
   * Forgets every transactional id, writing nothing: the control endpoint's reset, which deletes
   * __transaction_state and the topics the transactions wrote to. Markers under way stop (they
   * find their transaction gone). Producer ids are not handed out again. Returns how many ids
   * were forgotten.
   */
  reset(): number {
    const n = this.txns.size;
    this.txns.clear();
    return n;
  }

  close(): void {
    this.closed = true;
    this.abortTimer?.cancel();
    this.abortTimer = null;
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
  }

  // ---- InitProducerId -----------------------------------------------------------------------

  /** Kafka's handleInitProducerId for a transactional id. */
  async initProducerId(transactionalId: string, transactionTimeoutMs: number, expected: ProducerIdAndEpoch | null): Promise<InitResult> {
    const fail = (errorCode: number): InitResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_EPOCH });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.deps.config.int('transaction.max.timeout.ms')) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const check = this.coordinatorCheck(transactionalId);
    if (check !== ErrorCode.NONE) return fail(check);
    const now = this.deps.clock.now();
    let meta = this.txns.get(transactionalId);
    if (meta === undefined) {
      meta = new TxnMetadata(transactionalId, this.deps.producerIds.generate(), transactionTimeoutMs, now);
      this.txns.set(transactionalId, meta);
    }
    if (meta.pending !== null) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected !== null) {
      // Kafka's isValidProducerId
      const valid =
        meta.producerEpoch === NO_EPOCH ||
        expected.producerId === meta.producerId ||
        (expected.producerId === meta.previousProducerId && expected.producerEpoch >= INT16_MAX - 1);
      if (!valid) return fail(ErrorCode.PRODUCER_FENCED);
    }
    switch (meta.state) {
      case TxnState.PrepareAbort:
      case TxnState.PrepareCommit:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Ongoing: {
        // fence the producer: abort its transaction at a bumped epoch; the client retries and gets the next one
        const code = await this.endTransaction(meta, meta.producerId, meta.fenceEpoch(), false, false);
        return fail(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
      }
      default: {
        let t: Transit;
        if (meta.epochExhausted && (expected === null || expected.producerEpoch === meta.producerEpoch)) {
          // Kafka's prepareProducerIdRotation
          t = meta.transit(TxnState.Empty, {
            producerId: this.deps.producerIds.generate(),
            producerEpoch: 0,
            lastProducerEpoch: expected !== null ? meta.producerEpoch : NO_EPOCH,
            transactionTimeoutMs: transactionTimeoutMs,
            partitions: new Set(),
            transactionStartTimestampMs: -1,
            transactionLastUpdateTimestampMs: now,
          });
        } else {
          // Kafka's prepareIncrementProducerEpoch
          let epochs: [number, number];
          if (expected === null) epochs = [meta.producerEpoch + 1, NO_EPOCH];
          else if (meta.producerEpoch === NO_EPOCH || expected.producerEpoch === meta.producerEpoch) epochs = [meta.producerEpoch + 1, meta.producerEpoch];
          else if (expected.producerEpoch === meta.lastProducerEpoch) epochs = [meta.producerEpoch, meta.lastProducerEpoch]; // a retry of a bump whose answer was lost
          else return fail(ErrorCode.PRODUCER_FENCED);
          t = meta.transit(TxnState.Empty, {
            producerEpoch: epochs[0],
            lastProducerEpoch: epochs[1],
            transactionTimeoutMs: transactionTimeoutMs,
            partitions: new Set(),
            transactionStartTimestampMs: -1,
            transactionLastUpdateTimestampMs: now,
          });
        }
        const code = await this.persist(meta, t);
        if (code !== ErrorCode.NONE) return fail(code);
        this.log.info({ transactionalId, producerId: meta.producerId, producerEpoch: meta.producerEpoch }, 'initialized a transactional id');
        return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
      }
    }
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ---------------------------------------------------

  /** The checks AddPartitionsToTxn and verification share; NONE when the producer may go on. */
  private producerCheck(transactionalId: string, producerId: number, producerEpoch: number): { code: number; meta?: TxnMetadata } {
    if (transactionalId === '') return { code: ErrorCode.INVALID_REQUEST };
    const check = this.coordinatorCheck(transactionalId);
    if (check !== ErrorCode.NONE) return { code: check };
    const meta = this.txns.get(transactionalId);
    if (meta === undefined || meta.producerId !== producerId) return { code: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
    if (meta.producerEpoch !== producerEpoch) return { code: ErrorCode.PRODUCER_FENCED };
    return { code: ErrorCode.NONE, meta };
  }

  /**
   * Kafka's handleAddPartitionsToTransaction: one error for every partition.
   * `clientTransactionVersion` 2 is the produce path's implicit add (Kafka's addPartition
   * operation); 0 a client's AddPartitionsToTxn.
   */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[], clientTransactionVersion = 0): Promise<number> {
    const { code, meta } = this.producerCheck(transactionalId, producerId, producerEpoch);
    if (meta === undefined) return code;
    if (meta.pending !== null || meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const keys = partitions.map(tp => tpKey(tp.topic, tp.partition));
    if (meta.state === TxnState.Ongoing && keys.every(k => meta.partitions.has(k))) return ErrorCode.NONE;
    const now = this.deps.clock.now();
    const starts = meta.state === TxnState.Empty || meta.state === TxnState.CompleteAbort || meta.state === TxnState.CompleteCommit;
    const t = meta.transit(TxnState.Ongoing, {
      partitions: new Set([...meta.partitions, ...keys]),
      transactionStartTimestampMs: starts ? now : meta.txnStartTimestamp,
      transactionLastUpdateTimestampMs: now,
      clientTransactionVersion,
    });
    return this.persist(meta, t);
  }

  /** The implicit adds being written, by transactional id (see addPartitionImplicitly). */
  private readonly implicitAdds = new Map<string, Promise<number>>();

  /**
   * Kafka's addPartition operation for Produce v12+ and TxnOffsetCommit v5+ (transaction version
   * 2): the partition joins the producer's transaction, which starts when none is open. Kafka
   * adds all the partitions of one produce request in one write; here each partition asks on
   * its own, so one waits for another of the same producer being written instead of failing
   * with CONCURRENT_TRANSACTIONS.
   */
  async addPartitionImplicitly(transactionalId: string, producerId: number, producerEpoch: number, tp: TopicPartition): Promise<number> {
    for (let inFlight = this.implicitAdds.get(transactionalId); inFlight !== undefined; inFlight = this.implicitAdds.get(transactionalId)) await inFlight.catch(() => undefined);
    const added = this.addPartitions(transactionalId, producerId, producerEpoch, [tp], 2);
    this.implicitAdds.set(transactionalId, added);
    try {
      return await added;
    } finally {
      if (this.implicitAdds.get(transactionalId) === added) this.implicitAdds.delete(transactionalId);
    }
  }

  /**
   * Kafka's handleVerifyPartitionsInTransaction (AddPartitionsToTxn v4+ verifyOnly, and the
   * produce path's check of a transactional batch): per partition NONE or TRANSACTION_ABORTABLE,
   * or one error for all.
   */
  verify(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): number | Map<string, number> {
    const { code, meta } = this.producerCheck(transactionalId, producerId, producerEpoch);
    if (meta === undefined) return code;
    if (meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const out = new Map<string, number>();
    for (const tp of partitions) {
      const key = tpKey(tp.topic, tp.partition);
      out.set(key, meta.partitions.has(key) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE);
    }
    return out;
  }

  /**
   * One partition's verification as the broker's AddPartitionsToTxnManager reports it: a fenced
   * producer is INVALID_PRODUCER_EPOCH (what producers expect there), a partition outside the
   * transaction TRANSACTION_ABORTABLE, or INVALID_TXN_STATE for requests too old to know it.
   */
  private verifyOne(transactionalId: string, producerId: number, producerEpoch: number, tp: TopicPartition, abortableKnown: boolean): number {
    const result = this.verify(transactionalId, producerId, producerEpoch, [tp]);
    const code = typeof result === 'number' ? result : result.get(tpKey(tp.topic, tp.partition))!;
    if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (code === ErrorCode.TRANSACTION_ABORTABLE && !abortableKnown) return ErrorCode.INVALID_TXN_STATE;
    return code;
  }

  /**
   * TxnOffsetCommit's verification of the group's partition of __consumer_offsets (Kafka's
   * CoordinatorPartitionWriter): v4+ know TRANSACTION_ABORTABLE; the coordinator's other errors
   * are answered as they are.
   */
  verifyTxnOffsetCommit(transactionalId: string, producerId: number, producerEpoch: number, tp: TopicPartition, apiVersion: number, verifyOnly: boolean): number | Promise<number> {
    // v5+ (transaction version 2) add the partition to the transaction themselves
    if (apiVersion >= 5) return this.addPartitionImplicitly(transactionalId, producerId, producerEpoch, tp).then(fencedAsInvalidEpoch);
    return verifyOnly ? this.verifyOne(transactionalId, producerId, producerEpoch, tp, apiVersion >= 4) : ErrorCode.NONE;
  }

  /**
   * The produce path's verification of a transactional batch (Kafka's
   * AddPartitionsToTxnManager and ReplicaManager translation of the coordinator's errors).
   */
  verifyProduce(
    transactionalId: string | null,
    producerId: number,
    producerEpoch: number,
    tp: TopicPartition,
    produceVersion: number,
    verifyOnly: boolean,
  ): ProduceVerification | Promise<ProduceVerification> {
    // Kafka refuses transactional records without a transactional id before looking further
    if (transactionalId === null) return { code: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: null };
    // Produce v12+ (transaction version 2) add the partition to the transaction themselves
    if (produceVersion >= 12) {
      return this.addPartitionImplicitly(transactionalId, producerId, producerEpoch, tp).then(code => produceVerification(fencedAsInvalidEpoch(code), true));
    }
    if (!verifyOnly) return { code: ErrorCode.NONE, message: null };
    // Produce v11+ know TRANSACTION_ABORTABLE
    return produceVerification(this.verifyOne(transactionalId, producerId, producerEpoch, tp, produceVersion > 10), false);
  }

  // ---- EndTxn -------------------------------------------------------------------------------

  /** Kafka's handleEndTransaction: the client's commit or abort; EndTxn v5+ is transaction version 2. */
  async endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, clientTransactionVersion = 0): Promise<InitResult> {
    if (transactionalId === '') return endTxnFailure(ErrorCode.INVALID_REQUEST);
    const check = this.coordinatorCheck(transactionalId);
    if (check !== ErrorCode.NONE) return endTxnFailure(check);
    const meta = this.txns.get(transactionalId);
    if (meta === undefined) return endTxnFailure(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (clientTransactionVersion >= 2) return this.endTransactionV2(meta, producerId, producerEpoch, commit);
    const code = await this.endTransaction(meta, producerId, producerEpoch, commit, true);
    return code === ErrorCode.NONE ? { errorCode: code, producerId: meta.producerId, producerEpoch: meta.producerEpoch } : endTxnFailure(code);
  }

  /**
   * Kafka's endTransaction for transaction version 2. Which requests are retries and which start
   * something new follows Kafka's table, for the states without a transaction open (R: the
   * epoch one below the current, a retry of a commit or abort that bumped it; C: the current):
   *   Empty:          abort R PRODUCER_FENCED, C bump; commit R PRODUCER_FENCED, C INVALID_TXN_STATE
   *   CompleteAbort:  abort R NONE, C bump;             commit R and C INVALID_TXN_STATE
   *   CompleteCommit: abort R INVALID_TXN_STATE, C bump; commit R NONE, C INVALID_TXN_STATE
   * An abort with no transaction open ("bump") is how a producer gets a new epoch after an
   * abortable error. A transaction completing (its markers in flight) is CONCURRENT_TRANSACTIONS.
   */
  private async endTransactionV2(meta: TxnMetadata, producerId: number, producerEpoch: number, commit: boolean): Promise<InitResult> {
    const retryOnOverflow = meta.previousProducerId === producerId && producerEpoch === INT16_MAX - 1 && meta.producerEpoch === 0;
    const retryOnEpochBump = meta.producerEpoch === producerEpoch + 1;
    const retry = retryOnEpochBump || retryOnOverflow;
    let validEpoch: boolean;
    switch (meta.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        validEpoch = retryOnEpochBump;
        break;
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort:
        validEpoch = retry || producerEpoch === meta.producerEpoch;
        break;
      default:
        validEpoch = producerEpoch === meta.producerEpoch;
    }
    if (meta.producerId !== producerId && !retryOnOverflow) return endTxnFailure(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (meta.pending !== null || this.markersInFlight(meta)) return endTxnFailure(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (!validEpoch) return endTxnFailure(ErrorCode.PRODUCER_FENCED);
    const current: InitResult = { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
    switch (meta.state) {
      case TxnState.Ongoing:
        return this.prepareV2(meta, commit, false);
      case TxnState.CompleteCommit:
        if (commit) return retry ? current : endTxnFailure(ErrorCode.INVALID_TXN_STATE);
        return retry ? endTxnFailure(ErrorCode.INVALID_TXN_STATE) : this.prepareV2(meta, false, true);
      case TxnState.CompleteAbort:
        if (commit) return endTxnFailure(ErrorCode.INVALID_TXN_STATE);
        return retry ? current : this.prepareV2(meta, false, true);
      case TxnState.PrepareCommit:
        return endTxnFailure(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case TxnState.PrepareAbort:
        return endTxnFailure(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Empty:
        return commit ? endTxnFailure(ErrorCode.INVALID_TXN_STATE) : this.prepareV2(meta, false, true);
      default:
        return endTxnFailure(ErrorCode.INVALID_TXN_STATE);
    }
  }

  /**
   * Kafka's prepareAbortOrCommit for transaction version 2: PrepareCommit/PrepareAbort at the
   * bumped epoch (a new producer id follows when the epochs run out), then the markers at that
   * epoch. Answers with the producer id and epoch the producer's next transaction uses.
   */
  private async prepareV2(meta: TxnMetadata, commit: boolean, noPartitionAdded: boolean): Promise<InitResult> {
    const now = this.deps.clock.now();
    const nextProducerId = meta.epochExhausted ? this.deps.producerIds.generate() : NO_PRODUCER_ID;
    // an abort at the last epoch (only after a bug, says Kafka) goes through without a bump
    const epoch = meta.producerEpoch === INT16_MAX && !commit ? meta.producerEpoch : meta.producerEpoch + 1;
    const t = meta.transit(commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, {
      producerEpoch: epoch,
      lastProducerEpoch: meta.producerEpoch,
      nextProducerId,
      transactionStartTimestampMs: noPartitionAdded ? now : meta.txnStartTimestamp,
      transactionLastUpdateTimestampMs: now,
      clientTransactionVersion: 2,
    });
    const code = await this.persist(meta, t);
    if (code !== ErrorCode.NONE) return endTxnFailure(code);
    this.startMarkers(meta, commit);
    return nextProducerId !== NO_PRODUCER_ID
      ? { errorCode: ErrorCode.NONE, producerId: nextProducerId, producerEpoch: 0 }
      : { errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: epoch };
  }

  /** Whether the transaction's markers are being written (Kafka: its Complete* transition is pending). */
  private markersInFlight(meta: TxnMetadata): boolean {
    return (meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort) && this.completing.has(meta.transactionalId);
  }

  /**
   * Kafka's endTransaction (transaction version 1): validates, writes PrepareCommit/PrepareAbort,
   * answers, and writes the markers in the background (then Complete*). From the coordinator
   * itself (`fromClient` false) it aborts at the fenced epoch given.
   */
  private async endTransaction(meta: TxnMetadata, producerId: number, producerEpoch: number, commit: boolean, fromClient: boolean): Promise<number> {
    if (meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const validEpoch = (!fromClient || producerEpoch === meta.producerEpoch) && producerEpoch >= meta.producerEpoch;
    if (!validEpoch) return ErrorCode.PRODUCER_FENCED;
    if (meta.pending !== null || (fromClient && this.markersInFlight(meta))) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (meta.state) {
      case TxnState.Ongoing: {
        const fence = !fromClient && producerEpoch !== meta.producerEpoch;
        const t = meta.transit(commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, {
          producerEpoch,
          lastProducerEpoch: fence ? NO_EPOCH : meta.lastProducerEpoch,
          transactionLastUpdateTimestampMs: this.deps.clock.now(),
        });
        const code = await this.persist(meta, t);
        if (code !== ErrorCode.NONE) {
          // Kafka's hasFailedEpochFence: the bumped epoch was never written, so the next fence reuses it
          if (fence) meta.hasFailedEpochFence = true;
          return code;
        }
        this.startMarkers(meta, commit);
        return ErrorCode.NONE;
      }
      case TxnState.CompleteCommit:
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PrepareAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  /**
   * Writes the markers of a prepared transaction, then its Complete* state (Kafka's
   * TransactionMarkerChannelManager). `resumed`: a transaction a restart left prepared, some of
   * whose markers may be in their partitions already.
   */
  private startMarkers(meta: TxnMetadata, commit: boolean, resumed = false): void {
    if (this.completing.has(meta.transactionalId)) return;
    const done = this.writeMarkers(meta, commit, resumed)
      .catch(err => this.log.error({ err, transactionalId: meta.transactionalId }, 'completing a transaction failed'))
      .finally(() => this.completing.delete(meta.transactionalId));
    this.completing.set(meta.transactionalId, done);
  }

  /** The replica manager of the partition's leader (this node's when the leader is unknown or stopped: it answers NOT_LEADER_OR_FOLLOWER, and the marker is retried). */
  private markerWriter(p: Partition): ReplicaManager {
    const leader = p.leader === this.deps.nodeId || !this.deps.cluster.isAlive(p.leader) ? undefined : this.deps.replicasOf?.(p.leader);
    return leader ?? this.deps.replicas;
  }

  /** Waits until the markers of `transactionalId`'s transaction are written (tests, shutdown). */
  async settled(transactionalId?: string): Promise<void> {
    if (transactionalId !== undefined) await this.completing.get(transactionalId);
    else await Promise.all(this.completing.values());
  }

  private async writeMarkers(meta: TxnMetadata, commit: boolean, resumed: boolean): Promise<void> {
    const coordinatorEpoch = this.coordinatorEpoch(meta.transactionalId);
    for (const key of [...meta.partitions]) {
      for (;;) {
        // closed, or the transactional id moved to another coordinator, which sends the markers again
        if (this.closed || this.txns.get(meta.transactionalId) !== meta) return;
        const { topic, partition } = tpOf(key);
        const p = this.deps.cluster.topic(topic)?.partitions[partition];
        if (resumed && p !== undefined && markerLanded(p, meta.producerId, meta.producerEpoch)) break;
        // a deleted topic's partition needs no marker (Kafka drops it from the transaction too)
        const code = p === undefined || p.topic.deleted ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : await this.markerWriter(p).appendMarker(p, meta.producerId, meta.producerEpoch, commit, coordinatorEpoch);
        if (code === ErrorCode.NONE || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) break;
        if (code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
          // a newer epoch or coordinator wrote there since: this marker has nothing left to decide
          this.log.warn({ transactionalId: meta.transactionalId, topic, partition, error: code }, 'a transaction marker was refused');
          break;
        }
        this.log.warn({ transactionalId: meta.transactionalId, topic, partition, error: code }, 'writing a transaction marker failed; retrying');
        await new Promise<void>(resolve => this.deps.clock.setTimeout(resolve, MARKER_RETRY_MS));
      }
    }
    // Kafka's prepareComplete
    for (;;) {
      if (this.closed || this.txns.get(meta.transactionalId) !== meta) return;
      if (meta.pending !== null) {
        await new Promise<void>(resolve => this.deps.clock.setTimeout(resolve, MARKER_RETRY_MS));
        continue;
      }
      meta.hasFailedEpochFence = false;
      // transaction version 2: a producer whose epochs ran out moves to its next producer id now
      // that the markers carry the old one; the last epoch stays the one the producer last used
      const tv2 = meta.clientTransactionVersion >= 2;
      const rotate = tv2 && meta.nextProducerId !== NO_PRODUCER_ID;
      const t = meta.transit(commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, {
        ...(rotate ? { producerId: meta.nextProducerId, producerEpoch: 0 } : {}),
        nextProducerId: NO_PRODUCER_ID,
        lastProducerEpoch: tv2 ? meta.lastProducerEpoch : meta.producerEpoch,
        partitions: new Set(),
        transactionLastUpdateTimestampMs: this.deps.clock.now(),
      });
      if ((await this.persist(meta, t)) === ErrorCode.NONE) return;
      await new Promise<void>(resolve => this.deps.clock.setTimeout(resolve, MARKER_RETRY_MS));
    }
  }

  // ---- timeouts -----------------------------------------------------------------------------

  private scheduleAbortCheck(): void {
    const interval = this.deps.config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms');
    if (this.closed || interval >= 2 ** 31) return;
    this.abortTimer = this.deps.clock.setTimeout(() => {
      this.abortTimedOut();
      this.scheduleAbortCheck();
    }, interval);
  }

  /** Kafka's abortTimedOutTransactions: open transactions past their timeout are aborted at a bumped epoch. */
  abortTimedOut(): void {
    const now = this.deps.clock.now();
    for (const meta of this.txns.values()) {
      if (meta.state !== TxnState.Ongoing || meta.pending !== null || meta.txnStartTimestamp + meta.txnTimeoutMs >= now) continue;
      if (meta.producerEpoch >= INT16_MAX) continue;
      this.log.info({ transactionalId: meta.transactionalId, producerId: meta.producerId, timeoutMs: meta.txnTimeoutMs }, 'aborting a transaction that timed out');
      void this.endTransaction(meta, meta.producerId, meta.fenceEpoch(), false, false).then(code => {
        if (code !== ErrorCode.NONE) this.log.warn({ transactionalId: meta.transactionalId, error: code }, 'aborting a timed-out transaction failed');
      });
    }
  }

  private scheduleExpiry(): void {
    const interval = this.deps.config.int('transaction.remove.expired.transaction.cleanup.interval.ms');
    if (this.closed || interval >= 2 ** 31) return;
    this.expiryTimer = this.deps.clock.setTimeout(() => {
      this.removeExpired()
        .catch(err => this.log.error({ err }, 'removing expired transactional ids failed'))
        .finally(() => this.scheduleExpiry());
    }, interval);
  }

  /**
   * Kafka's removeExpiredTransactionalIds: an id with no transaction open (Empty, CompleteCommit,
   * CompleteAbort) whose state has not changed for transactional.id.expiration.ms moves to Dead,
   * is tombstoned in __transaction_state and forgotten; its next InitProducerId starts afresh
   * with a new producer id. Resolves with the number removed.
   */
  async removeExpired(): Promise<number> {
    const now = this.deps.clock.now();
    const expirationMs = this.deps.config.int('transactional.id.expiration.ms');
    let removed = 0;
    for (const meta of [...this.txns.values()]) {
      const idle = meta.state === TxnState.Empty || meta.state === TxnState.CompleteCommit || meta.state === TxnState.CompleteAbort;
      if (!idle || meta.pending !== null || this.completing.has(meta.transactionalId) || meta.txnLastUpdateTimestamp > now - expirationMs) continue;
      if (this.coordinatorCheck(meta.transactionalId) !== ErrorCode.NONE) continue;
      meta.transit(TxnState.Dead, {});
      const code = await this.writeRecord(meta.transactionalId, null);
      if (code === ErrorCode.NONE && this.txns.get(meta.transactionalId) === meta && meta.pending === TxnState.Dead) {
        meta.state = TxnState.Dead;
        meta.pending = null;
        this.txns.delete(meta.transactionalId);
        removed++;
        this.log.info({ transactionalId: meta.transactionalId, producerId: meta.producerId }, 'removed an expired transactional id');
      } else {
        meta.pending = null;
      }
    }
    return removed;
  }

  // ---- introspection ------------------------------------------------------------------------

  /** Kafka's handleDescribeTransactions. */
  describe(transactionalId: string): DescribedTransaction {
    const base = { transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
    if (transactionalId === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
    const check = this.coordinatorCheck(transactionalId);
    if (check !== ErrorCode.NONE) return { ...base, errorCode: check };
    const meta = this.txns.get(transactionalId);
    if (meta === undefined || meta.state === TxnState.Dead) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    const byTopic = new Map<string, number[]>();
    for (const key of meta.partitions) {
      const { topic, partition } = tpOf(key);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    }
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: TXN_STATE_NAMES[meta.state],
      transactionTimeoutMs: meta.txnTimeoutMs,
      transactionStartTimeMs: meta.txnStartTimestamp,
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  /**
   * Kafka's listTransactionStates: filters by state name, producer id, minimum running time (-1:
   * any) and a regular expression the whole transactional id must match (ListTransactions v2).
   */
  list(states: readonly string[], producerIds: readonly number[], durationFilterMs: number, idPattern: string | null = null): { errorCode: number; unknownStateFilters: string[]; transactions: ListedTransaction[] } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactions: [] };
    let pattern: RegExp | null = null;
    if (idPattern !== null && idPattern !== '') {
      try {
        pattern = new RegExp(`^(?:${idPattern})$`, 'u');
      } catch {
        return { errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactions: [] };
      }
    }
    const known = new Set(Object.values(TXN_STATE_NAMES));
    const unknownStateFilters = states.filter(s => !known.has(s));
    const wanted = new Set(states.filter(s => known.has(s)));
    const pids = new Set(producerIds);
    const now = this.deps.clock.now();
    const transactions: ListedTransaction[] = [];
    for (const meta of this.txns.values()) {
      const name = TXN_STATE_NAMES[meta.state];
      if (meta.state === TxnState.Dead) continue;
      if (states.length > 0 && !wanted.has(name)) continue;
      if (pids.size > 0 && !pids.has(meta.producerId)) continue;
      if (pattern !== null && !pattern.test(meta.transactionalId)) continue;
      if (durationFilterMs >= 0 && now - meta.txnStartTimestamp < durationFilterMs) continue;
      const p = this.topic.partitionOf(meta.transactionalId);
      if (p === undefined || p.leader !== this.deps.nodeId) continue;
      transactions.push({ transactionalId: meta.transactionalId, producerId: meta.producerId, transactionState: name });
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactions };
  }
}

/** A failed EndTxn: no producer id or epoch. */
function endTxnFailure(errorCode: number): InitResult {
  return { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_EPOCH };
}

/** What producers expect for a fenced producer on the data path (Kafka's AddPartitionsToTxnManager). */
function fencedAsInvalidEpoch(code: number): number {
  return code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

/** The answer to a transactional batch whose verification (or implicit add) did not pass. */
export interface ProduceVerification {
  code: number;
  message: string | null;
}

/**
 * Kafka's ReplicaManager translation of the coordinator's errors for a produce: retriable
 * coordinator errors older clients may not retry become NOT_ENOUGH_REPLICAS (which makes them
 * retry the produce); with transaction version 2 (`addPartition`) CONCURRENT_TRANSACTIONS stays,
 * as it is common while the previous transaction completes.
 */
function produceVerification(code: number, addPartition: boolean): ProduceVerification {
  switch (code) {
    case ErrorCode.NONE:
      return { code, message: null };
    case ErrorCode.INVALID_TXN_STATE:
      return { code, message: 'Partition was not added to the transaction' };
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      if (addPartition && code === ErrorCode.CONCURRENT_TRANSACTIONS) return { code, message: null };
      return { code: ErrorCode.NOT_ENOUGH_REPLICAS, message: `Unable to verify the partition has been added to the transaction. Underlying error: ${errorName(code)}` };
    default:
      return { code, message: null };
  }
}

/**
 * Whether a resumed transaction's marker is in the partition already: its producer is at the
 * transaction's epoch there and has no transaction open. Kafka's coordinator sends every marker
 * of a transaction it reloads prepared again, and the partition appends the repeat (one extra
 * control batch, harmless to readers); Samsa leaves it out, so no marker is ever doubled. The one
 * marker this also leaves out is that of a partition the transaction added but wrote nothing to
 * after an earlier transaction of the same epoch wrote there, which marks no records either.
 */
function markerLanded(p: Partition, producerId: number, producerEpoch: number): boolean {
  const entry = p.log.producers.entry(producerId);
  return entry !== undefined && entry.epoch === producerEpoch && entry.currentTxnFirstOffset < 0;
}
