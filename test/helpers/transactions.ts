// Raw-protocol steps of a transactional producer, for the transaction tests: FindCoordinator,
// InitProducerId, AddPartitionsToTxn, transactional Produce and EndTxn, and the offsets steps of a
// consume-transform-produce loop (AddOffsetsToTxn, TxnOffsetCommit, OffsetFetch).
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import type { TestClient } from './client.js';
import { ZERO_UUID, batchesOf } from './kafka.js';
import { CONTROL_BIT, TRANSACTIONAL_BIT, encodeRecordBatch } from '../../src/protocol/records.js';

export const READ_COMMITTED = 1;

/** The consumer group the offsets tests commit for. */
export const EOS_GROUP = 'eos-group';

/** The data records' values of fetched bytes (markers left out, as a client does). */
export const valuesOf = (records: Buffer | null): string[] =>
  batchesOf(records)
    .filter(b => (b.attributes & CONTROL_BIT) === 0)
    .flatMap(b => b.records.map(r => r.value!.toString()));

export interface Producer {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  seq: Map<string, number>;
}

export const findTxnCoordinator = (c: TestClient, id: string) => c.call(10, 4, { key: '', keyType: 1, coordinatorKeys: [id] });

export async function init(c: TestClient, transactionalId: string, timeoutMs = 60_000, expected?: { producerId: number; producerEpoch: number }): Promise<any> {
  return c.call(22, 4, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: expected?.producerId ?? -1, producerEpoch: expected?.producerEpoch ?? -1 });
}

export async function producer(c: TestClient, transactionalId: string, timeoutMs?: number): Promise<Producer> {
  await findTxnCoordinator(c, transactionalId);
  const r = await init(c, transactionalId, timeoutMs);
  if (r.errorCode !== 0) throw new Error(`InitProducerId: ${r.errorCode}`);
  return { transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch, seq: new Map() };
}

/** AddPartitionsToTxn v3; returns the error codes by `topic-partition`. */
export async function addPartitions(c: TestClient, p: Producer, topics: Record<string, number[]>): Promise<Record<string, number>> {
  const r = await c.call(24, 3, {
    v3AndBelowTransactionalId: p.transactionalId,
    v3AndBelowProducerId: p.producerId,
    v3AndBelowProducerEpoch: p.producerEpoch,
    v3AndBelowTopics: Object.entries(topics).map(([name, partitions]) => ({ name, partitions })),
  });
  const out: Record<string, number> = {};
  for (const topic of r.resultsByTopicV3AndBelow) for (const x of topic.resultsByPartition) out[`${topic.name}-${x.partitionIndex}`] = x.partitionErrorCode;
  return out;
}

/** A transactional batch of the producer's at `baseSequence`. */
export const transactionalBatch = (p: Producer, baseSequence: number, values: string[]): Buffer =>
  encodeRecordBatch(values.map(value => ({ value })), { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, attributes: TRANSACTIONAL_BIT });

/** Produces transactional records (the producer's next sequence for the partition); returns the partition answer. */
export async function send(c: TestClient, p: Producer, topic: string, partition: number, values: string[], version = 9): Promise<any> {
  const key = `${topic}-${partition}`;
  const seq = p.seq.get(key) ?? 0;
  const records = transactionalBatch(p, seq, values);
  const r = await c.call(0, version, {
    transactionalId: p.transactionalId,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }],
  });
  const answer = r.responses[0].partitionResponses[0];
  if (answer.errorCode === 0) p.seq.set(key, seq + values.length);
  return answer;
}

export const endTxn = async (c: TestClient, p: Producer, committed: boolean): Promise<number> =>
  (await c.call(26, 3, { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed })).errorCode;


export const findGroupCoordinator = (c: TestClient, group: string) => c.call(10, 4, { key: '', keyType: 0, coordinatorKeys: [group] });

/** AddOffsetsToTxn v3; returns the error code. */
export const addOffsets = async (c: TestClient, p: Producer, groupId = EOS_GROUP): Promise<number> =>
  (await c.call(25, 3, { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId })).errorCode;

/** TxnOffsetCommit of `offsets` (`topic-partition` → offset); returns the error codes by `topic-partition`. */
export async function txnCommit(
  c: TestClient,
  p: Producer,
  offsets: Record<string, number>,
  opts: { version?: number; groupId?: string; generationId?: number; memberId?: string; metadata?: string } = {},
): Promise<Record<string, number>> {
  const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
  for (const [tp, offset] of Object.entries(offsets)) {
    const i = tp.lastIndexOf('-');
    const name = tp.slice(0, i);
    if (!byTopic.has(name)) byTopic.set(name, []);
    byTopic.get(name)!.push({ partitionIndex: Number(tp.slice(i + 1)), committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: opts.metadata ?? 'm' });
  }
  const r = await c.call(28, opts.version ?? 3, {
    transactionalId: p.transactionalId,
    groupId: opts.groupId ?? EOS_GROUP,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationId: opts.generationId ?? -1,
    memberId: opts.memberId ?? '',
    groupInstanceId: null,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  });
  const out: Record<string, number> = {};
  for (const topic of r.topics) for (const x of topic.partitions) out[`${topic.name}-${x.partitionIndex}`] = x.errorCode;
  return out;
}

/** OffsetFetch v7 of one partition: [offset, error code]. */
export async function fetched(c: TestClient, topic: string, partition: number, requireStable = false, groupId = EOS_GROUP): Promise<[number, number]> {
  const r = await c.call(9, 7, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable });
  const p = r.topics[0].partitions[0];
  return [p.committedOffset, p.errorCode];
}
