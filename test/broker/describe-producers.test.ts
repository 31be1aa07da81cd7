// DescribeProducers (61) over the wire, as Kafka 4.1 answers it: per partition, the producers its
// log keeps state for — id, epoch, the last batch's last sequence (-1 without batches), the last
// batch's max timestamp or last marker's timestamp, the epoch of the coordinator that wrote the
// last marker (-1 none) and the open transaction's first offset (-1 none). Unknown topics and
// partitions, illegal names and offline logs get Kafka's errors. kafkajs has no describeProducers,
// so requests are raw.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { createTopic, produce, readContiguous } from '../helpers/kafka.js';
import { ErrorCode, errorMessage } from '../../src/protocol/errors.js';
import { TRANSACTIONAL_BIT, encodeEndTxnMarker, encodeRecordBatch, readBatchHeader } from '../../src/protocol/records.js';
import { startBroker, type RunningBroker } from '../../src/index.js';

const DESCRIBE_PRODUCERS = 61;
const INIT_PRODUCER_ID = 22;
const T0 = 1_700_000_000_000;

const describe = (c: TestClient, topics: { name: string; partitionIndexes: number[] }[]): Promise<any> => c.call(DESCRIBE_PRODUCERS, 0, { topics });

const initProducerId = async (c: TestClient): Promise<number> => {
  const r = await c.call(INIT_PRODUCER_ID, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  if (r.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId: ${r.errorCode}`);
  return r.producerId;
};

/** `n` records from producer `pid` (-1: a plain producer) starting at sequence `seq`, all at `timestamp`. */
const batch = (pid: number, epoch: number, seq: number, n: number, timestamp: number, attributes = 0): Buffer =>
  encodeRecordBatch(
    Array.from({ length: n }, (_, i) => ({ value: `v${seq + i}`, timestamp })),
    { producerId: pid, producerEpoch: epoch, baseSequence: seq, baseTimestamp: timestamp, maxTimestamp: timestamp, attributes },
  );

const state = (producerId: number, producerEpoch: number, lastSequence: number, lastTimestamp: number, coordinatorEpoch = -1, currentTxnStartOffset = -1) => ({
  producerId,
  producerEpoch,
  lastSequence,
  lastTimestamp,
  coordinatorEpoch,
  currentTxnStartOffset,
});

/** A partition's answer, with its producers in id order. */
const partitionOf = (r: any, topic: number, partition: number) => {
  const p = r.topics[topic].partitions[partition];
  return { ...p, activeProducers: [...p.activeProducers].sort((a: any, b: any) => a.producerId - b.producerId) };
};

/** Appends a stored batch straight to a partition's log, as the transaction coordinator's markers will be. */
async function appendToLog(b: RunningBroker, topic: string, partition: number, bytes: Buffer): Promise<number> {
  const log = b.broker.cluster.topic(topic)!.partitions[partition]!.log;
  const result = await log.append(bytes, readBatchHeader(bytes), { leaderEpoch: 0, logAppendTime: null, arrived: null });
  return result.baseOffset;
}

t.test('an idempotent producer on two partitions; an empty partition; unknown topics and partitions', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 't', 3);
  const pid = await initProducerId(c);
  const other = await initProducerId(c);

  for (const [seq, ts] of [[0, T0], [3, T0 + 10], [6, T0 + 20]] as const) t.equal((await produce(c, 't', 0, batch(pid, 0, seq, 3, ts))).errorCode, ErrorCode.NONE);
  t.equal((await produce(c, 't', 1, batch(pid, 0, 0, 2, T0 + 5))).errorCode, ErrorCode.NONE);
  // the last batch's timestamp counts, even when older than an earlier one's
  t.equal((await produce(c, 't', 1, batch(pid, 0, 2, 4, T0 + 1))).errorCode, ErrorCode.NONE);
  t.equal((await produce(c, 't', 1, batch(other, 0, 0, 1, T0 + 7))).errorCode, ErrorCode.NONE);
  // a retry changes nothing
  t.equal((await produce(c, 't', 0, batch(pid, 0, 3, 3, T0 + 10))).baseOffset, 3, 'a retried batch is a duplicate');
  // plain batches leave no producer state
  for (const p of [0, 2]) t.equal((await produce(c, 't', p, batch(-1, -1, -1, 2, T0 + 30))).errorCode, ErrorCode.NONE);

  const r = await describe(c, [
    { name: 't', partitionIndexes: [0, 1, 2, 3, -1] },
    { name: 'nope', partitionIndexes: [0, 1] },
    { name: 'bad name!', partitionIndexes: [0] },
    { name: 't', partitionIndexes: [1] },
  ]);
  t.equal(r.throttleTimeMs, 0);
  t.same(r.topics.map((x: any) => [x.name, x.partitions.map((p: any) => p.partitionIndex)]), [['t', [0, 1, 2, 3, -1]], ['nope', [0, 1]], ['bad name!', [0]], ['t', [1]]], 'every topic and partition asked, in order, repeats included');
  t.same(partitionOf(r, 0, 0), { partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [state(pid, 0, 8, T0 + 20)] }, 'partition 0: the last sequence of three batches of three');
  t.same(partitionOf(r, 0, 1), { partitionIndex: 1, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [state(pid, 0, 5, T0 + 1), state(other, 0, 0, T0 + 7)] }, 'partition 1: both producers');
  t.same(partitionOf(r, 0, 2), { partitionIndex: 2, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] }, 'partition 2: only plain writes, no producers');
  for (const i of [3, 4]) {
    t.same(partitionOf(r, 0, i), { partitionIndex: [3, -1][i - 3], errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] }, 'a partition the topic lacks: no message');
  }
  for (const i of [0, 1]) {
    t.same(partitionOf(r, 1, i), { partitionIndex: i, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: errorMessage(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), activeProducers: [] }, 'an unknown topic: with the error\'s message');
  }
  t.same(partitionOf(r, 2, 0), {
    partitionIndex: 0,
    errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
    errorMessage: `Topic name "bad name!" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    activeProducers: [],
  }, 'an illegal name: Topic.validate\'s complaint');
  t.same(partitionOf(r, 3, 0), partitionOf(r, 0, 1), 'a repeated topic is answered again');

  const empty = await describe(c, []);
  t.same(empty.topics, [], 'no topics asked, none answered');
  t.same((await describe(c, [{ name: 't', partitionIndexes: [] }])).topics, [{ name: 't', partitions: [] }], 'a topic without partitions');
});

t.test('kafkajs: an idempotent producer is described on both partitions, a plain one is not', async t => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'describe-producers', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'k', numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const plain = kafka.producer();
  await idempotent.connect();
  await plain.connect();
  for (let i = 0; i < 3; i++) {
    await idempotent.send({ topic: 'k', acks: -1, messages: Array.from({ length: 4 }, (_, j) => ({ value: `i${i}-${j}`, partition: j % 2 })) });
    await plain.send({ topic: 'k', acks: -1, messages: [0, 1].map(partition => ({ value: `plain${i}`, partition })) });
  }
  await idempotent.disconnect();
  await plain.disconnect();

  const c = await testClient(t, b);
  const r = await describe(c, [{ name: 'k', partitionIndexes: [0, 1] }]);
  for (const p of [0, 1]) {
    const { batches } = await readContiguous(c, 'k', p);
    const mine = batches.filter(x => x.producerId >= 0);
    t.equal(mine.length, 3, `partition ${p}: three idempotent batches`);
    t.equal(batches.length - mine.length, 3, `partition ${p}: three plain batches`);
    const last = mine[mine.length - 1]!;
    const answer = r.topics[0].partitions[p];
    t.equal(answer.errorCode, ErrorCode.NONE);
    t.same(answer.activeProducers, [state(last.producerId, 0, 5, last.maxTimestamp)], `partition ${p}: one producer, epoch 0, last sequence 5, its last batch's timestamp`);
  }
});

t.test('transactions and markers, appended as the coordinator will: open transaction, coordinator epoch, producers known only from markers', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'tx', 1);
  t.equal((await produce(c, 'tx', 0, batch(5, 0, 0, 2, T0))).errorCode, ErrorCode.NONE, 'offsets 0-1: an idempotent batch of another producer');
  const first = await appendToLog(b, 'tx', 0, batch(7, 1, 0, 3, T0 + 1, TRANSACTIONAL_BIT));
  await appendToLog(b, 'tx', 0, batch(7, 1, 3, 1, T0 + 2, TRANSACTIONAL_BIT));
  let r = await describe(c, [{ name: 'tx', partitionIndexes: [0] }]);
  t.same(partitionOf(r, 0, 0).activeProducers, [state(5, 0, 1, T0), state(7, 1, 3, T0 + 2, -1, first)], 'an open transaction: its first offset');

  await appendToLog(b, 'tx', 0, encodeEndTxnMarker(7, 1, { commit: true, coordinatorEpoch: 4 }, T0 + 3));
  // a marker for a producer this partition has no state of, and one that bumps producer 5's epoch
  await appendToLog(b, 'tx', 0, encodeEndTxnMarker(9, 2, { commit: false, coordinatorEpoch: 6 }, T0 + 4));
  await appendToLog(b, 'tx', 0, encodeEndTxnMarker(5, 1, { commit: false, coordinatorEpoch: 6 }, T0 + 5));
  r = await describe(c, [{ name: 'tx', partitionIndexes: [0] }]);
  t.same(partitionOf(r, 0, 0).activeProducers, [
    state(5, 1, -1, T0 + 5, 6, -1),
    state(7, 1, 3, T0 + 3, 4, -1),
    state(9, 2, -1, T0 + 4, 6, -1),
  ], 'after markers: the transaction closed, the coordinator epoch and the marker\'s timestamp kept; no batches (only a marker, or a new epoch): last sequence -1');
});

t.test('data-dir mode: the state survives a restart; an offline partition is KAFKA_STORAGE_ERROR', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-describe-producers-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let broker = await startBroker({ port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir });
  let c = await TestClient.connect(broker.bootstrap);
  await createTopic(c, 'd', 2);
  const pid = await initProducerId(c);
  for (const p of [0, 1]) {
    t.equal((await produce(c, 'd', p, batch(pid, 0, 0, 2, T0))).errorCode, ErrorCode.NONE);
    t.equal((await produce(c, 'd', p, batch(pid, 0, 2, 2, T0 + 1))).errorCode, ErrorCode.NONE);
  }
  const before = await describe(c, [{ name: 'd', partitionIndexes: [0, 1] }]);
  t.same(before.topics[0].partitions.map((p: any) => p.activeProducers), [[state(pid, 0, 3, T0 + 1)], [state(pid, 0, 3, T0 + 1)]]);
  c.close();
  await broker.close();

  // a second segment whose offsets overlap the first: d-0 cannot be put together
  const dir = path.join(dataDir, 'd-0');
  fs.copyFileSync(path.join(dir, '00000000000000000000.log'), path.join(dir, '00000000000000000002.log'));
  broker = await startBroker({ port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir });
  t.teardown(() => broker.close());
  c = await TestClient.connect(broker.bootstrap);
  t.teardown(() => c.close());
  const after = await describe(c, [{ name: 'd', partitionIndexes: [0, 1] }]);
  t.same(after.topics[0].partitions, [
    { partitionIndex: 0, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: null, activeProducers: [] },
    { partitionIndex: 1, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [state(pid, 0, 3, T0 + 1)] },
  ], 'd-0 offline; d-1 as before the restart');
});
