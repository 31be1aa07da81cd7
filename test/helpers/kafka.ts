// Small request builders shared by the wire-level broker tests: create a topic, produce one
// batch, fetch one partition, list an offset. Each builds the full nested request (the generated
// defaults cover only the top level) and returns the one partition's answer.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import { specOf, type TestClient } from './client.js';
import { decodeBatches, encodeRecordBatch, type DecodedBatch, type RecordInput } from '../../src/protocol/records.js';
import { ZERO_UUID } from '../../src/protocol/wire.js';

export { ZERO_UUID };

/** A request body: the API's generated defaults with `fields` set (for requestFrame and send). */
export function body(key: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(specOf(key).defaultRequest() as Record<string, unknown>), ...fields };
}

/** Creates a topic (CreateTopics v7) and returns its id; fails the test's promise on an error. */
export async function createTopic(c: TestClient, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const res = await c.call(19, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
  });
  const t = res.topics[0];
  if (t.errorCode !== 0) throw new Error(`creating ${name}: error ${t.errorCode} ${t.errorMessage}`);
  return t.topicId;
}

/** A batch of string values, timestamps now unless given. */
export function batch(values: (string | RecordInput)[], opts: Parameters<typeof encodeRecordBatch>[1] = {}): Buffer {
  return encodeRecordBatch(values.map(v => (typeof v === 'string' ? { value: v } : v)), opts);
}

export interface ProduceOptions {
  version?: number;
  acks?: number;
  topicId?: string;
}

/** Produces `records` to one partition and returns that partition's response. */
export async function produce(c: TestClient, topic: string, partition: number, records: Buffer | null, opts: ProduceOptions = {}): Promise<any> {
  const version = opts.version ?? 9;
  const res = await c.call(0, version, {
    acks: opts.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, topicId: opts.topicId ?? ZERO_UUID, partitionData: [{ index: partition, records }] }],
  });
  return res.responses[0].partitionResponses[0];
}

export interface FetchPartitionSpec {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes?: number;
  currentLeaderEpoch?: number;
}

/** One topic entry of a Fetch request. */
export function fetchTopic(topic: string, topicId: string, partitions: FetchPartitionSpec[]): any {
  return {
    topic,
    topicId,
    partitions: partitions.map(p => ({
      partition: p.partition,
      currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
      fetchOffset: p.fetchOffset,
      lastFetchedEpoch: -1,
      logStartOffset: -1,
      partitionMaxBytes: p.partitionMaxBytes ?? 1024 * 1024,
      replicaDirectoryId: ZERO_UUID,
      highWatermark: 9223372036854775807,
    })),
  };
}

/** Fetches one partition without waiting (v12 by name unless a version and topic id are given). */
export async function fetchOne(c: TestClient, topic: string, partition: number, fetchOffset: number, opts: { version?: number; topicId?: string; maxBytes?: number; partitionMaxBytes?: number; currentLeaderEpoch?: number; isolationLevel?: number } = {}): Promise<any> {
  const res = await c.call(1, opts.version ?? 12, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: opts.maxBytes ?? 0x7fffffff,
    isolationLevel: opts.isolationLevel ?? 0,
    topics: [fetchTopic(topic, opts.topicId ?? ZERO_UUID, [{ partition, fetchOffset, partitionMaxBytes: opts.partitionMaxBytes, currentLeaderEpoch: opts.currentLeaderEpoch }])],
  });
  if (res.errorCode !== undefined && res.errorCode !== 0) throw new Error(`fetch failed with top-level error ${res.errorCode}`);
  return res.responses[0].partitions[0];
}

/** The batches of a fetched or produced records field. */
export function batchesOf(records: Buffer | null | undefined): DecodedBatch[] {
  return records ? decodeBatches(records) : [];
}

/** The record values (as strings) of a fetched records field. */
export function valuesOf(records: Buffer | null | undefined): string[] {
  return batchesOf(records).flatMap(b => b.records.map(r => r.value?.toString() ?? '<null>'));
}

/** ListOffsets for one partition (v7 unless given); returns the partition answer. */
export async function listOffset(c: TestClient, topic: string, partition: number, timestamp: number, opts: { version?: number; currentLeaderEpoch?: number; isolationLevel?: number } = {}): Promise<any> {
  const res = await c.call(2, opts.version ?? 7, {
    replicaId: -1,
    isolationLevel: opts.isolationLevel ?? 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, timestamp }] }],
    timeoutMs: 5000,
  });
  return res.topics[0].partitions[0];
}

/** The log end offset of a partition, as a consumer sees it (ListOffsets latest). */
export async function latest(c: TestClient, topic: string, partition = 0): Promise<number> {
  const p = await listOffset(c, topic, partition, -1);
  if (p.errorCode !== 0) throw new Error(`ListOffsets latest of ${topic}-${partition}: error ${p.errorCode}`);
  return p.offset;
}

/** Metadata (v12) of the named topics. */
export async function metadata(c: TestClient, topics: string[] | null, version = 12): Promise<any> {
  return c.call(3, version, { topics: topics === null ? null : topics.map(name => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: false });
}

/** The names of every topic the broker reports. */
export async function topicNames(c: TestClient): Promise<string[]> {
  const res = await metadata(c, null);
  return res.topics.map((t: any) => t.name).sort();
}

/**
 * Every batch of a partition, read with Fetch from offset 0 up to ListOffsets latest, with what
 * breaks contiguity (a batch not where the last one ended, record offsets out of step, a high
 * watermark that moved) listed in `problems`. For logs that were never compacted.
 */
export async function readContiguous(c: TestClient, topic: string, partition: number): Promise<{ batches: DecodedBatch[]; end: number; problems: string[] }> {
  const end = await latest(c, topic, partition);
  const batches: DecodedBatch[] = [];
  const problems: string[] = [];
  let offset = 0;
  while (offset < end) {
    const p = await fetchOne(c, topic, partition, offset, { partitionMaxBytes: 1024 * 1024 });
    if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${offset}: error ${p.errorCode}`);
    if (Number(p.highWatermark) !== end) problems.push(`high watermark ${p.highWatermark} at offset ${offset}, latest ${end}`);
    const got = batchesOf(p.records);
    if (got.length === 0) throw new Error(`fetch ${topic}-${partition} at ${offset} returned no batch (latest ${end})`);
    for (const b of got) {
      if (b.baseOffset !== offset) problems.push(`a batch at ${b.baseOffset} where offset ${offset} was next`);
      b.records.forEach((r, i) => {
        if (r.offset !== b.baseOffset + i) problems.push(`record ${i} of the batch at ${b.baseOffset} has offset ${r.offset}`);
      });
      batches.push(b);
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  if (offset !== end) problems.push(`the batches end at ${offset}, ListOffsets latest says ${end}`);
  return { batches, end, problems };
}
