// Transaction version 2 (KIP-890 part 2) over the wire, as a Java producer from Kafka 4.0 speaks
// it when the broker finalizes transaction.version 2: no AddPartitionsToTxn or AddOffsetsToTxn
// (Produce v12 and TxnOffsetCommit v5 add their partitions), EndTxn v5 bumping the epoch and
// answering the next one, markers at the bumped epoch, retries told apart from new requests, the
// producer id rotating when the epochs run out, and the state surviving a restart.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { batchesOf, createTopic, fetchOne, listOffset } from '../helpers/kafka.js';
import { READ_COMMITTED, addPartitions, endTxn, fetched, findGroupCoordinator, producer, send, transactionalBatch, txnCommit, valuesOf, type Producer } from '../helpers/transactions.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CONTROL_BIT } from '../../src/protocol/records.js';
import type { BrokerOptions, RunningBroker } from '../../src/index.js';

const PRODUCE_V2 = 12;
const INT16_MAX = 32767;

const stable = async (c: TestClient, topic: string, partition = 0): Promise<number> => (await listOffset(c, topic, partition, -1, { isolationLevel: READ_COMMITTED })).offset;

async function setup(t: Test, opts: BrokerOptions = {}): Promise<{ b: RunningBroker; c: TestClient }> {
  const b = await testBroker(t, opts);
  const c = await testClient(t, b);
  await createTopic(c, 't', 2);
  return { b, c };
}

/** EndTxn v5: the whole answer. */
const endV2 = (c: TestClient, p: Producer, committed: boolean, id = p.producerId, epoch = p.producerEpoch): Promise<any> =>
  c.call(26, 5, { transactionalId: p.transactionalId, producerId: id, producerEpoch: epoch, committed });

/** What a producer does with EndTxn v5's answer: the next transaction runs at the id and epoch given, sequences from 0. */
function adopt(p: Producer, r: any): void {
  p.producerId = r.producerId;
  p.producerEpoch = r.producerEpoch;
  p.seq.clear();
}

const describe = async (c: TestClient, id: string): Promise<any> => (await c.call(65, 0, { transactionalIds: [id] })).transactionStates[0];

/** The control batches of a partition as [producer id, producer epoch]. */
async function markers(c: TestClient, topic: string, partition: number): Promise<[number, number][]> {
  const r = await fetchOne(c, topic, partition, 0);
  return batchesOf(r.records)
    .filter(b => (b.attributes & CONTROL_BIT) !== 0)
    .map(b => [b.producerId, b.producerEpoch]);
}

t.test('ApiVersions reports the supported and finalized features; v3 leaves out ranges starting at 0', async t => {
  const { c } = await setup(t);
  const v4 = await c.call(18, 4, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
  const supported = Object.fromEntries(v4.supportedFeatures.map((f: any) => [f.name, [f.minVersion, f.maxVersion]]));
  t.same(supported, {
    'eligible.leader.replicas.version': [0, 1],
    'group.version': [0, 1],
    'kraft.version': [0, 1],
    'metadata.version': [7, 27],
    'share.version': [0, 1],
    'transaction.version': [0, 2],
  });
  const finalized = Object.fromEntries(v4.finalizedFeatures.map((f: any) => [f.name, [f.minVersionLevel, f.maxVersionLevel]]));
  t.same(finalized, { 'group.version': [1, 1], 'metadata.version': [27, 27], 'transaction.version': [2, 2] });
  t.ok(v4.finalizedFeaturesEpoch >= 0, 'clients take finalized levels only with an epoch >= 0');
  const v3 = await c.call(18, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
  t.same(
    v3.supportedFeatures.map((f: any) => [f.name, f.minVersion]),
    [['metadata.version', 7]],
    'clients before v4 refuse a range starting at 0 (KAFKA-17011): Kafka leaves those out (KAFKA-17492)',
  );
  const v2 = await c.call(18, 2, {});
  t.same([v2.supportedFeatures, v2.finalizedFeaturesEpoch], [[], -1], 'no features before v3');
});

t.test('a transaction-version-2 producer: implicit adds, an epoch bump per transaction, markers at the bumped epoch', async t => {
  const { b, c } = await setup(t);
  const p = await producer(c, 'v2');
  const pid = p.producerId;
  t.equal(p.producerEpoch, 0);
  t.equal((await send(c, p, 't', 0, ['c1', 'c2'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'Produce v12 adds t-0 itself');
  t.equal((await send(c, p, 't', 1, ['c3'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'and t-1');
  t.equal((await send(c, p, 't', 0, ['c4'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'a later batch of the same transaction');
  const open = await describe(c, 'v2');
  t.same([open.transactionState, open.producerEpoch, open.topics.map((x: any) => [...x.partitions].sort())], ['Ongoing', 0, [[0, 1]]]);
  t.equal(await stable(c, 't'), 0, 'the implicitly added transaction holds the last stable offset');

  const committed = await endV2(c, p, true);
  t.same([committed.errorCode, committed.producerId, committed.producerEpoch], [ErrorCode.NONE, pid, 1], 'EndTxn v5 answers the bumped epoch');
  await b.broker.transactions.settled('v2');
  t.same(await markers(c, 't', 0), [[pid, 1]], 'the commit marker carries the bumped epoch');
  t.same(await markers(c, 't', 1), [[pid, 1]]);
  t.same(valuesOf((await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED })).records), ['c1', 'c2', 'c4']);
  const done = await describe(c, 'v2');
  t.same([done.transactionState, done.producerEpoch], ['CompleteCommit', 1]);

  // the next transaction runs at the new epoch, sequences from 0
  adopt(p, committed);
  t.equal((await send(c, p, 't', 0, ['a1'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'the new epoch starts at sequence 0');
  const aborted = await endV2(c, p, false);
  t.same([aborted.errorCode, aborted.producerId, aborted.producerEpoch], [ErrorCode.NONE, pid, 2]);
  await b.broker.transactions.settled('v2');
  t.same(await markers(c, 't', 0), [
    [pid, 1],
    [pid, 2],
  ]);
  const readCommitted = await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED });
  t.same(readCommitted.abortedTransactions, [{ producerId: pid, firstOffset: 4 }], 'read_committed is told of the aborted transaction');

  // the old epoch is fenced on the data path; a transaction-version-1 request is answered as before
  const stale: Producer = { ...p, producerEpoch: 1, seq: new Map() };
  t.equal((await send(c, stale, 't', 1, ['zombie'], PRODUCE_V2)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'a zombie at the previous epoch');
  adopt(p, aborted);
  t.same(await addPartitions(c, p, { t: [1] }), { 't-1': ErrorCode.NONE }, 'AddPartitionsToTxn still works');
  t.equal((await send(c, p, 't', 1, ['v1'])).errorCode, ErrorCode.NONE, 'with Produce v9');
  t.equal(await endTxn(c, p, true), ErrorCode.NONE, 'EndTxn v3 keeps the epoch');
  await b.broker.transactions.settled('v2');
  t.same(await markers(c, 't', 1), [
    [pid, 1],
    [pid, 2],
  ], 'a version 1 marker carries the unchanged epoch');
  t.equal((await describe(c, 'v2')).producerEpoch, 2);
});

t.test('EndTxn v5 retries and aborts without a transaction follow Kafka\'s table', async t => {
  const { b, c } = await setup(t);
  const p = await producer(c, 'table');
  const pid = p.producerId;
  // Empty: a commit has nothing to commit; an abort bumps the epoch (a producer recovering from an abortable error)
  t.equal((await endV2(c, p, true)).errorCode, ErrorCode.INVALID_TXN_STATE, 'Empty: commit');
  t.equal((await endV2(c, p, false, pid, 1)).errorCode, ErrorCode.PRODUCER_FENCED, 'Empty: an epoch the producer was never given');
  const emptyAbort = await endV2(c, p, false);
  t.same([emptyAbort.errorCode, emptyAbort.producerEpoch], [ErrorCode.NONE, 1], 'Empty: abort bumps');
  await b.broker.transactions.settled('table');
  t.same(await markers(c, 't', 0), [], 'an abort with no partitions writes no marker');
  t.equal((await describe(c, 'table')).transactionState, 'CompleteAbort');

  // CompleteAbort: the retry (previous epoch) succeeds without a bump; the current epoch aborts again
  const retried = await endV2(c, p, false);
  t.same([retried.errorCode, retried.producerId, retried.producerEpoch], [ErrorCode.NONE, pid, 1], 'CompleteAbort: a retried abort');
  t.equal((await endV2(c, p, true)).errorCode, ErrorCode.INVALID_TXN_STATE, 'CompleteAbort: a commit (retry)');
  t.equal((await endV2(c, p, true, pid, 1)).errorCode, ErrorCode.INVALID_TXN_STATE, 'CompleteAbort: a commit (current)');
  adopt(p, retried);

  t.equal((await send(c, p, 't', 0, ['x'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  const committed = await endV2(c, p, true);
  t.same([committed.errorCode, committed.producerEpoch], [ErrorCode.NONE, 2]);
  await b.broker.transactions.settled('table');
  // CompleteCommit: a retried commit succeeds; an abort retry is a state error; a commit at the current epoch too
  const again = await endV2(c, p, true);
  t.same([again.errorCode, again.producerId, again.producerEpoch], [ErrorCode.NONE, pid, 2], 'CompleteCommit: a retried commit answers the current epoch');
  t.equal((await endV2(c, p, false)).errorCode, ErrorCode.INVALID_TXN_STATE, 'CompleteCommit: an abort at the previous epoch');
  t.equal((await endV2(c, p, true, pid, 2)).errorCode, ErrorCode.INVALID_TXN_STATE, 'CompleteCommit: a commit at the current epoch');
  t.equal((await endV2(c, p, false, pid, 0)).errorCode, ErrorCode.PRODUCER_FENCED, 'an older epoch');
  t.equal((await endV2(c, p, false, pid + 1000, 2)).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'another producer id');
  const bump = await endV2(c, p, false, pid, 2);
  t.same([bump.errorCode, bump.producerEpoch], [ErrorCode.NONE, 3], 'CompleteCommit: an abort at the current epoch bumps');
});

t.test('while the markers are written, EndTxn and Produce v12 get CONCURRENT_TRANSACTIONS', async t => {
  const { b, c } = await setup(t);
  const p = await producer(c, 'busy');
  t.equal((await send(c, p, 't', 0, ['x'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  // hold the markers back
  const replicas: any = b.broker.replicas;
  const appendMarker = replicas.appendMarker;
  replicas.appendMarker = () => ErrorCode.KAFKA_STORAGE_ERROR;
  const r = await endV2(c, p, true);
  t.equal(r.errorCode, ErrorCode.NONE);
  adopt(p, r);
  t.equal((await endV2(c, p, false)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'the next transaction\'s abort waits for the markers');
  t.equal((await send(c, p, 't', 1, ['y'], PRODUCE_V2)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'Produce v12 answers it as it is (no NOT_ENOUGH_REPLICAS)');
  t.equal((await send(c, p, 't', 1, ['y'], 11)).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS, 'older versions get the error that makes them retry');
  replicas.appendMarker = appendMarker;
  await b.broker.transactions.settled('busy');
  t.equal((await send(c, p, 't', 1, ['y'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'then it goes through');
});

t.test('Produce v12 batches of a new transaction land in order across connections; one request adds many partitions', async t => {
  const { b, c } = await setup(t);
  const c2 = await testClient(t, b);
  const p = await producer(c, 'pipe');
  const produce = (client: TestClient, topic: string, batches: [number, number, string][]) =>
    client.call(0, PRODUCE_V2, {
      transactionalId: 'pipe',
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: batches.map(([index, seq, value]) => ({ index, records: transactionalBatch(p, seq, [value]) })) }],
    });
  // the producer's next batches arrive on another connection while the first waits for its partition to join
  const answers = await Promise.all([produce(c, 't', [[0, 0, 'a']]), produce(c2, 't', [[0, 1, 'b']]), produce(c2, 't', [[0, 2, 'c']])]);
  t.same(
    answers.map(r => [r.responses[0].partitionResponses[0].errorCode, r.responses[0].partitionResponses[0].baseOffset]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
    ],
    'appended in the order they came',
  );
  await createTopic(c, 'u', 3);
  const three = await produce(c, 'u', [
    [0, 0, 'u0'],
    [1, 0, 'u1'],
    [2, 0, 'u2'],
  ]);
  t.same(
    three.responses[0].partitionResponses.map((x: any) => x.errorCode),
    [0, 0, 0],
    'three partitions added by one request, none told CONCURRENT_TRANSACTIONS',
  );
  t.same((await describe(c, 'pipe')).topics.map((x: any) => [x.topic, [...x.partitions].sort()]).sort(), [
    ['t', [0]],
    ['u', [0, 1, 2]],
  ]);
  t.equal((await endV2(c, p, true)).errorCode, ErrorCode.NONE);
  await b.broker.transactions.settled('pipe');
  t.same(valuesOf((await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED })).records), ['a', 'b', 'c']);
});

t.test('TxnOffsetCommit v5 adds the group\'s partition itself; the offsets show on commit', async t => {
  const { b, c } = await setup(t);
  const p = await producer(c, 'eos-v2');
  await findGroupCoordinator(c, 'eos-group');
  t.same(await txnCommit(c, p, { 't-0': 7 }, { version: 4 }), { 't-0': ErrorCode.TRANSACTION_ABORTABLE }, 'v4 without AddOffsetsToTxn: not in the transaction');
  t.equal((await send(c, p, 't', 1, ['out'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  t.same(await txnCommit(c, p, { 't-0': 7 }, { version: 5 }), { 't-0': ErrorCode.NONE }, 'v5 without AddOffsetsToTxn');
  t.same(await fetched(c, 't', 0, true), [-1, ErrorCode.UNSTABLE_OFFSET_COMMIT], 'pending until the transaction ends');
  const topics = (await describe(c, 'eos-v2')).topics.map((x: any) => x.topic).sort();
  t.same(topics, ['__consumer_offsets', 't']);
  const r = await endV2(c, p, true);
  t.equal(r.errorCode, ErrorCode.NONE);
  await b.broker.transactions.settled('eos-v2');
  await waitFor(async () => (await fetched(c, 't', 0, true))[0] === 7, 5000, 'the committed offset');
  adopt(p, r);
  t.same(await txnCommit(c, p, { 't-0': 9 }, { version: 5 }), { 't-0': ErrorCode.NONE }, 'the next transaction at the new epoch');
  t.same(await txnCommit(c, { ...p, producerEpoch: 0 }, { 't-0': 11 }, { version: 5 }), { 't-0': ErrorCode.INVALID_PRODUCER_EPOCH }, 'the old epoch is fenced');
  t.equal((await endV2(c, p, false)).errorCode, ErrorCode.NONE);
  await b.broker.transactions.settled('eos-v2');
  t.same(await fetched(c, 't', 0, true), [7, ErrorCode.NONE], 'the aborted offsets are dropped');
});

t.test('when the epochs run out, EndTxn v5 moves the producer to a new producer id', async t => {
  const { b, c } = await setup(t);
  const p = await producer(c, 'overflow');
  const oldPid = p.producerId;
  // reaching epoch 32765 takes 32765 transactions; start the id there instead (Samsa's own state)
  const meta = (b.broker.transactions as any).txns.get('overflow');
  meta.producerEpoch = INT16_MAX - 2;
  p.producerEpoch = INT16_MAX - 2;
  t.equal((await send(c, p, 't', 0, ['x'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  const last = await endV2(c, p, true);
  t.same([last.errorCode, last.producerId, last.producerEpoch], [ErrorCode.NONE, oldPid, INT16_MAX - 1], 'the last epoch a producer may use');
  await b.broker.transactions.settled('overflow');
  adopt(p, last);
  t.equal((await send(c, p, 't', 0, ['y'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  const rotated = await endV2(c, p, true);
  t.equal(rotated.errorCode, ErrorCode.NONE);
  t.not(rotated.producerId, oldPid, 'a new producer id');
  t.equal(rotated.producerEpoch, 0);
  await b.broker.transactions.settled('overflow');
  t.same((await markers(c, 't', 0)).at(-1), [oldPid, INT16_MAX], 'the marker carries the old id at the last epoch');
  const d = await describe(c, 'overflow');
  t.same([d.transactionState, d.producerId, d.producerEpoch], ['CompleteCommit', rotated.producerId, 0]);
  const retry = await endV2(c, p, true);
  t.same([retry.errorCode, retry.producerId, retry.producerEpoch], [ErrorCode.NONE, rotated.producerId, 0], 'a retry with the old id is answered with the new one');
  adopt(p, rotated);
  t.equal((await send(c, p, 't', 0, ['z'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'the new id produces');
  t.equal((await endV2(c, p, true)).errorCode, ErrorCode.NONE);
  await b.broker.transactions.settled('overflow');
  t.same(valuesOf((await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED })).records), ['x', 'y', 'z']);
});

t.test('a timed-out transaction-version-2 transaction is aborted at a bumped epoch; the producer\'s abort is a retry', async t => {
  const { b, c } = await setup(t, { config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '3600000' } });
  const p = await producer(c, 'slow', 100);
  t.equal((await send(c, p, 't', 0, ['late'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  await new Promise(resolve => setTimeout(resolve, 150));
  b.broker.transactions.abortTimedOut();
  await waitFor(async () => (await describe(c, 'slow')).transactionState === 'CompleteAbort', 5000, 'the timeout abort');
  t.equal((await describe(c, 'slow')).producerEpoch, 1, 'fenced at the next epoch');
  t.equal((await send(c, p, 't', 0, ['more'], PRODUCE_V2)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'its batches are refused');
  t.equal((await endV2(c, p, true)).errorCode, ErrorCode.INVALID_TXN_STATE, 'its commit cannot go through');
  const abort = await endV2(c, p, false);
  t.same([abort.errorCode, abort.producerEpoch], [ErrorCode.NONE, 1], 'its abort is answered as a retry, with the epoch to go on with');
  t.equal(await stable(c, 't'), 2);
});

t.test('transaction version 2 state survives a restart, and the adds ignore transaction.partition.verification.enable', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-v2-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const config = { 'transaction.partition.verification.enable': 'false' };
  const first = await testBroker(t, { dataDir, config });
  let c = await testClient(t, first);
  await createTopic(c, 't', 2);
  const p = await producer(c, 'durable');
  t.equal((await send(c, p, 't', 0, ['d1'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  const r = await endV2(c, p, true);
  t.equal(r.errorCode, ErrorCode.NONE);
  await first.broker.transactions.settled('durable');
  adopt(p, r);
  t.equal((await send(c, p, 't', 1, ['open'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'a second transaction left open');
  await c.close();
  await first.close();

  const second = await testBroker(t, { dataDir, config });
  c = await testClient(t, second);
  const d = await describe(c, 'durable');
  t.same([d.transactionState, d.producerId, d.producerEpoch, d.topics.map((x: any) => x.partitions)], ['Ongoing', p.producerId, 1, [[1]]]);
  t.equal(await stable(c, 't', 1), 0, 'the open transaction still holds its partition');
  t.equal((await send(c, p, 't', 1, ['more'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'and goes on');
  const end = await endV2(c, p, true);
  t.same([end.errorCode, end.producerEpoch], [ErrorCode.NONE, 2], 'the epoch bump after the restart too');
  await second.broker.transactions.settled('durable');
  t.same(valuesOf((await fetchOne(c, 't', 1, 0, { isolationLevel: READ_COMMITTED })).records), ['open', 'more']);
});

t.test('a transaction-version-2 commit decided before a restart gets its markers at the bumped epoch, once', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-v2-prepared-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const first = await testBroker(t, { dataDir });
  let c = await testClient(t, first);
  await createTopic(c, 't', 2);
  const p = await producer(c, 'decided');
  t.equal((await send(c, p, 't', 0, ['d0'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  t.equal((await send(c, p, 't', 1, ['d1'], PRODUCE_V2)).errorCode, ErrorCode.NONE);
  // the marker of t-0 lands, that of t-1 cannot before the shutdown
  const replicas: any = first.broker.replicas;
  const appendMarker = replicas.appendMarker.bind(replicas);
  replicas.appendMarker = (partition: any, ...rest: unknown[]) => (partition.index === 0 ? appendMarker(partition, ...rest) : ErrorCode.KAFKA_STORAGE_ERROR);
  const r = await endV2(c, p, true);
  t.same([r.errorCode, r.producerEpoch], [ErrorCode.NONE, 1]);
  await waitFor(async () => (await markers(c, 't', 0)).length === 1, 5000, 'the marker of t-0');
  t.equal((await describe(c, 'decided')).transactionState, 'PrepareCommit');
  await c.close();
  await first.close();

  const second = await testBroker(t, { dataDir });
  c = await testClient(t, second);
  await waitFor(async () => (await describe(c, 'decided')).transactionState === 'CompleteCommit', 5000, 'the completed commit');
  t.same(await markers(c, 't', 0), [[p.producerId, 1]], 't-0 keeps its one marker');
  t.same(await markers(c, 't', 1), [[p.producerId, 1]], 't-1 gets its marker at the bumped epoch');
  t.same(valuesOf((await fetchOne(c, 't', 1, 0, { isolationLevel: READ_COMMITTED })).records), ['d1']);
  adopt(p, r);
  t.equal((await send(c, p, 't', 1, ['next'], PRODUCE_V2)).errorCode, ErrorCode.NONE, 'the producer goes on at the epoch it was given');
  const next = await endV2(c, p, true);
  t.same([next.errorCode, next.producerEpoch], [ErrorCode.NONE, 2]);
});
