// What the group and transaction coordinators share about their internal topics: creating them,
// finding a key's partition and coordinator, and reading a partition's records back at load.
import type { Logger } from 'pino';
import type { Cluster, Partition, Topic } from '../cluster/cluster.js';
import { ErrorCode } from '../protocol/errors.js';
import { CONTROL_BIT, ControlType, TRANSACTIONAL_BIT, decodeBatches } from '../protocol/records.js';
import { coordinatorPartitionFor } from './transaction/txn-records.js';

/** Where a record of an internal topic was read: its offset, and the producer of a transactional batch. */
export interface RecordPosition {
  offset: number;
  batchOffset: number;
  /** The producer id of a transactional batch (TxnOffsetCommit's records), else -1. */
  producerId: number;
}

/**
 * Calls `onRecord` with every keyed data record of a partition, in log order, from the log start
 * to the high watermark, and `onMarker` with every transaction marker (a coordinator loads the
 * records of open transactions too, and settles them as their markers come). A read returns whole
 * batches, often several per buffer; each is used once.
 */
export async function scanRecords(
  p: Partition,
  onRecord: (key: Buffer, value: Buffer | null, at: RecordPosition) => void,
  onMarker?: (producerId: number, commit: boolean, offset: number) => void,
): Promise<void> {
  let offset = p.log.logStartOffset;
  const end = p.log.highWatermark;
  while (offset < end) {
    const read = await p.log.read(offset, 1 << 20, true, end);
    const before = offset;
    for (const bytes of read.records) {
      for (const batch of decodeBatches(bytes)) {
        offset = Math.max(offset, batch.baseOffset + batch.lastOffsetDelta + 1);
        if ((batch.attributes & CONTROL_BIT) !== 0) {
          // a control record's key: version, then type (ABORT 0, COMMIT 1)
          const type = batch.records[0]?.key?.length === 4 ? batch.records[0].key.readInt16BE(2) : -1;
          if (onMarker !== undefined && (type === ControlType.ABORT || type === ControlType.COMMIT)) onMarker(batch.producerId, type === ControlType.COMMIT, batch.baseOffset);
          continue;
        }
        const producerId = (batch.attributes & TRANSACTIONAL_BIT) !== 0 ? batch.producerId : -1;
        for (const rec of batch.records) {
          if (rec.key !== null) onRecord(rec.key, rec.value, { offset: rec.offset, batchOffset: batch.baseOffset, producerId });
        }
      }
    }
    if (offset <= before) break;
  }
}

/** How an internal topic is created: partitions, replication factor and topic configs. */
export interface InternalTopicSpec {
  partitions: number;
  replicationFactor: number;
  configs: Map<string, string>;
}

/**
 * A coordinator's internal topic (__consumer_offsets, __transaction_state): created on first use
 * as Kafka does, each key (group id, transactional id) owned by the partition Kafka's
 * partitionFor names, and coordinated by that partition's leader.
 */
export class CoordinatorTopic {
  constructor(
    private readonly cluster: Cluster,
    private readonly nodeId: number,
    readonly name: string,
    private readonly spec: () => InternalTopicSpec,
    private readonly log: Logger,
  ) {}

  get(): Topic | undefined {
    return this.cluster.topic(this.name);
  }

  /** The topic, created when it does not exist yet. */
  ensure(): Topic {
    const existing = this.get();
    if (existing !== undefined) return existing;
    const { partitions, replicationFactor, configs } = this.spec();
    this.log.info({ topic: this.name, partitions, replicationFactor }, 'creating the internal topic');
    return this.cluster.createInternalTopic(this.name, partitions, replicationFactor, configs);
  }

  /** The partition that holds `key`, or undefined before the topic exists. */
  partitionOf(key: string): Partition | undefined {
    const topic = this.get();
    if (topic === undefined || topic.deleted) return undefined;
    return topic.partitions[coordinatorPartitionFor(key, topic.partitions.length)];
  }

  /** The node coordinating `key`, creating the topic first when needed; -1 when none can. */
  coordinatorFor(key: string): number {
    const topic = this.ensure();
    const p = topic.partitions[coordinatorPartitionFor(key, topic.partitions.length)];
    if (p === undefined || p.log.offline !== undefined) return -1;
    return p.leader;
  }

  /** NONE when this node coordinates `key` now, else Kafka's answer (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS). */
  check(key: string, loaded: boolean): number {
    const p = this.partitionOf(key);
    if (p === undefined || p.leader !== this.nodeId || p.log.offline !== undefined) return ErrorCode.NOT_COORDINATOR;
    return loaded ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }
}
