// The transaction coordinator over the wire (src/coordinator/transaction): FindCoordinator for
// transactional ids, InitProducerId's epochs and fencing, AddPartitionsToTxn (and its v4+
// verification), the produce path's check that a partition is in the transaction, EndTxn with its
// markers, the last stable offset and aborted transactions seen by read_committed, timeout aborts,
// DescribeTransactions/ListTransactions, and recovery of a decided transaction after a restart.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { ZERO_UUID, createTopic, fetchOne, listOffset } from '../helpers/kafka.js';
import { READ_COMMITTED, addPartitions, endTxn, findTxnCoordinator, init, producer, send, valuesOf, type Producer } from '../helpers/transactions.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { BrokerOptions, RunningBroker } from '../../src/index.js';

const stable = async (c: TestClient, topic: string, partition = 0): Promise<number> => (await listOffset(c, topic, partition, -1, { isolationLevel: READ_COMMITTED })).offset;
const high = async (c: TestClient, topic: string, partition = 0): Promise<number> => (await listOffset(c, topic, partition, -1)).offset;

async function setup(t: Test, opts: BrokerOptions = {}): Promise<{ b: RunningBroker; c: TestClient }> {
  const b = await testBroker(t, opts);
  const c = await testClient(t, b);
  await createTopic(c, 't', 2);
  return { b, c };
}

t.test('FindCoordinator finds the transaction coordinator and creates __transaction_state', async t => {
  const { c } = await setup(t);
  const r = await findTxnCoordinator(c, 'my-txn');
  t.same([r.coordinators[0].errorCode, r.coordinators[0].nodeId], [ErrorCode.NONE, 0]);
  const md = await c.call(3, 12, { topics: [{ name: '__transaction_state', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  t.same([md.topics[0].errorCode, md.topics[0].isInternal, md.topics[0].partitions.length], [ErrorCode.NONE, true, 50]);
});

t.test('InitProducerId: epochs rise, bad requests get Kafka\'s errors', async t => {
  const { c } = await setup(t);
  await findTxnCoordinator(c, 'a');
  const first = await init(c, 'a');
  t.same([first.errorCode, first.producerEpoch], [ErrorCode.NONE, 0]);
  const second = await init(c, 'a');
  t.same([second.errorCode, second.producerId, second.producerEpoch], [ErrorCode.NONE, first.producerId, 1], 'the same id at the next epoch');
  const retry = await init(c, 'a', 60_000, { producerId: first.producerId, producerEpoch: 1 });
  t.same([retry.errorCode, retry.producerEpoch], [ErrorCode.NONE, 2], 'KIP-360: with the current id and epoch');
  const stale = await init(c, 'a', 60_000, { producerId: first.producerId, producerEpoch: 0 });
  t.equal(stale.errorCode, ErrorCode.PRODUCER_FENCED, 'an epoch neither current nor previous');
  const lost = await init(c, 'a', 60_000, { producerId: first.producerId, producerEpoch: 1 });
  t.same([lost.errorCode, lost.producerEpoch], [ErrorCode.NONE, 2], 'the previous epoch: a retry whose answer was lost gets the same epoch');
  t.equal((await init(c, 'a', 60_000, { producerId: 9999, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED, 'another producer id');
  t.equal((await init(c, 'b', 900_001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'over transaction.max.timeout.ms');
  t.equal((await init(c, 'b', 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
});

t.test('a committed and an aborted transaction: LSO, markers, read_committed and aborted transactions', async t => {
  const { c } = await setup(t);
  const p = await producer(c, 'tx');
  // a transactional batch to a partition not added to the transaction (KIP-890 verification)
  t.equal((await send(c, p, 't', 0, ['x'])).errorCode, ErrorCode.INVALID_TXN_STATE, 'Produce v9: INVALID_TXN_STATE');
  t.equal((await send(c, p, 't', 0, ['x'], 11)).errorCode, ErrorCode.TRANSACTION_ABORTABLE, 'Produce v11: TRANSACTION_ABORTABLE');
  t.same(await addPartitions(c, p, { t: [0, 1] }), { 't-0': ErrorCode.NONE, 't-1': ErrorCode.NONE });
  t.equal((await send(c, p, 't', 0, ['c1', 'c2'])).errorCode, ErrorCode.NONE);
  t.equal((await send(c, p, 't', 1, ['c3'])).errorCode, ErrorCode.NONE);
  t.same([await stable(c, 't'), await high(c, 't')], [0, 2], 'the open transaction holds the last stable offset');
  const pending = await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED });
  t.same([pending.lastStableOffset, valuesOf(pending.records)], [0, []], 'read_committed sees nothing yet');
  t.equal(await endTxn(c, p, true), ErrorCode.NONE);
  await waitFor(async () => (await stable(c, 't')) === 3, 5000, 'the commit marker');
  t.equal(await high(c, 't'), 3, 'the marker takes an offset');
  t.equal(await endTxn(c, p, true), ErrorCode.NONE, 'a retried commit of a completed transaction');
  t.equal(await endTxn(c, p, false), ErrorCode.INVALID_TXN_STATE, 'aborting a committed transaction');

  // the next transaction aborts
  t.same(await addPartitions(c, p, { t: [0] }), { 't-0': ErrorCode.NONE });
  t.equal((await send(c, p, 't', 0, ['a1'])).errorCode, ErrorCode.NONE);
  t.equal(await endTxn(c, p, false), ErrorCode.NONE);
  await waitFor(async () => (await stable(c, 't')) === 5, 5000, 'the abort marker');
  const committed = await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED });
  t.same(committed.abortedTransactions, [{ producerId: p.producerId, firstOffset: 3 }], 'read_committed is told of the aborted transaction');
  t.same(valuesOf(committed.records), ['c1', 'c2', 'a1'], 'the records come whole: the client drops the aborted ones');
  const uncommitted = await fetchOne(c, 't', 0, 0);
  t.equal(uncommitted.abortedTransactions, null, 'read_uncommitted gets no list');
  t.equal(await endTxn(c, p, true), ErrorCode.INVALID_TXN_STATE, 'committing an aborted transaction');
});

t.test('AddPartitionsToTxn: unknown partitions, wrong producers, v4 verification', async t => {
  const { c } = await setup(t);
  const p = await producer(c, 'tx');
  t.same(await addPartitions(c, p, { t: [0, 7], nope: [0] }), { 't-0': ErrorCode.OPERATION_NOT_ATTEMPTED, 't-7': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'nope-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  t.same(await addPartitions(c, { ...p, producerId: p.producerId + 1 }, { t: [0] }), { 't-0': ErrorCode.INVALID_PRODUCER_ID_MAPPING });
  t.same(await addPartitions(c, { ...p, producerEpoch: p.producerEpoch + 1 }, { t: [0] }), { 't-0': ErrorCode.PRODUCER_FENCED });
  t.same(await addPartitions(c, { ...p, transactionalId: 'unknown' }, { t: [0] }), { 't-0': ErrorCode.INVALID_PRODUCER_ID_MAPPING });
  t.same(await addPartitions(c, p, { t: [0] }), { 't-0': ErrorCode.NONE });
  const v4 = await c.call(24, 4, {
    transactions: [{ transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: true, topics: [{ name: 't', partitions: [0, 1] }] }],
  });
  t.same(
    v4.resultsByTransaction[0].topicResults[0].resultsByPartition.map((x: any) => [x.partitionIndex, x.partitionErrorCode]),
    [[0, ErrorCode.NONE], [1, ErrorCode.TRANSACTION_ABORTABLE]],
    'verifyOnly checks without adding',
  );
  const described = await c.call(65, 0, { transactionalIds: ['tx'] });
  t.same(described.transactionStates[0].topics, [{ topic: 't', partitions: [0] }], 'partition 1 was not added');
  t.equal(await endTxn(c, { ...p, producerEpoch: p.producerEpoch + 1 }, true), ErrorCode.PRODUCER_FENCED);
  t.equal(await endTxn(c, { ...p, producerId: 12345 }, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
});

t.test('zombie fencing: a new InitProducerId aborts the open transaction and fences the old producer', async t => {
  const { c } = await setup(t);
  const zombie = await producer(c, 'tx');
  await addPartitions(c, zombie, { t: [0] });
  t.equal((await send(c, zombie, 't', 0, ['zombie'])).errorCode, ErrorCode.NONE);
  const first = await init(c, 'tx');
  t.equal(first.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'the open transaction is aborted first');
  const fresh = await waitFor(async () => {
    const r = await init(c, 'tx');
    return r.errorCode === ErrorCode.NONE ? r : null;
  }, 5000, 'the new epoch');
  t.equal(fresh.producerEpoch, zombie.producerEpoch + 2, 'one epoch for the fence, one for the new producer');
  t.equal(await endTxn(c, zombie, true), ErrorCode.PRODUCER_FENCED, 'the zombie cannot commit');
  t.equal((await send(c, zombie, 't', 0, ['late'])).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'nor write');
  // versions older than PRODUCER_FENCED (KIP-588) are told INVALID_PRODUCER_EPOCH, as KafkaApis does
  const zombieIds = { transactionalId: 'tx', producerId: zombie.producerId, producerEpoch: zombie.producerEpoch };
  t.equal((await c.call(26, 1, { ...zombieIds, committed: true })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'EndTxn v1');
  t.equal((await c.call(25, 1, { ...zombieIds, groupId: 'g' })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'AddOffsetsToTxn v1');
  const added = await c.call(24, 1, {
    v3AndBelowTransactionalId: 'tx',
    v3AndBelowProducerId: zombie.producerId,
    v3AndBelowProducerEpoch: zombie.producerEpoch,
    v3AndBelowTopics: [{ name: 't', partitions: [0] }],
  });
  t.equal(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'AddPartitionsToTxn v1');
  const reinit = (version: number) => c.call(22, version, { ...zombieIds, transactionTimeoutMs: 60_000 });
  t.equal((await reinit(3)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'InitProducerId v3 with a stale epoch');
  t.equal((await reinit(4)).errorCode, ErrorCode.PRODUCER_FENCED, 'InitProducerId v4');
  const read = await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED });
  t.same(read.abortedTransactions, [{ producerId: zombie.producerId, firstOffset: 0 }], 'its records were aborted');
  t.equal(read.lastStableOffset, 2);
});

t.test('transaction.timeout.ms: an open transaction is aborted at a bumped epoch', async t => {
  const { c } = await setup(t, { config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 50 } });
  const p = await producer(c, 'slow', 200);
  await addPartitions(c, p, { t: [0] });
  t.equal((await send(c, p, 't', 0, ['late'])).errorCode, ErrorCode.NONE);
  await waitFor(async () => (await stable(c, 't')) === 2, 5000, 'the timeout abort');
  const described = (await c.call(65, 0, { transactionalIds: ['slow'] })).transactionStates[0];
  t.same([described.transactionState, described.producerEpoch], ['CompleteAbort', p.producerEpoch + 1]);
  t.equal(await endTxn(c, p, true), ErrorCode.PRODUCER_FENCED, 'the timed-out producer is fenced');
  t.same((await fetchOne(c, 't', 0, 0, { isolationLevel: READ_COMMITTED })).abortedTransactions, [{ producerId: p.producerId, firstOffset: 0 }]);
});

t.test('DescribeTransactions and ListTransactions', async t => {
  const { c } = await setup(t);
  const a = await producer(c, 'alpha');
  const b = await producer(c, 'beta');
  await addPartitions(c, a, { t: [1, 0] });
  const d = await c.call(65, 0, { transactionalIds: ['alpha', 'beta', 'gamma', ''] });
  const [alpha, beta, gamma, empty] = d.transactionStates;
  t.same([alpha.errorCode, alpha.transactionState, alpha.producerId, alpha.transactionTimeoutMs], [ErrorCode.NONE, 'Ongoing', a.producerId, 60_000]);
  t.ok(alpha.transactionStartTimeMs > 0, 'an ongoing transaction has a start time');
  t.same(alpha.topics.map((x: any) => [x.topic, [...x.partitions].sort()]), [['t', [0, 1]]]);
  t.same([beta.transactionState, beta.transactionStartTimeMs, beta.topics], ['Empty', -1, []]);
  t.equal(gamma.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  t.equal(empty.errorCode, ErrorCode.INVALID_REQUEST);
  const all = await c.call(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 });
  t.same(all.transactionStates.map((x: any) => x.transactionalId).sort(), ['alpha', 'beta']);
  const ongoing = await c.call(66, 0, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [] });
  t.same([ongoing.transactionStates.map((x: any) => x.transactionalId), ongoing.unknownStateFilters], [['alpha'], ['Bogus']]);
  const byPid = await c.call(66, 0, { stateFilters: [], producerIdFilters: [b.producerId] });
  t.same(byPid.transactionStates, [{ transactionalId: 'beta', producerId: b.producerId, transactionState: 'Empty' }]);
  const byPattern = await c.call(66, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: 'b.*' });
  t.same(byPattern.transactionStates.map((x: any) => x.transactionalId), ['beta'], 'v2: the pattern matches the whole id');
  const badPattern = await c.call(66, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: '(' });
  t.equal(badPattern.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  const long = await c.call(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000 });
  t.same(long.transactionStates.map((x: any) => x.transactionalId), ['beta'], 'running longer than an hour: only the one that never started (start -1)');
});

t.test('a restart keeps transactions: an open one stays open, a decided one is completed', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const first = await testBroker(t, { dataDir });
  let c = await testClient(t, first);
  await createTopic(c, 't', 2);
  const open = await producer(c, 'open');
  await addPartitions(c, open, { t: [0] });
  await send(c, open, 't', 0, ['o1']);
  const decided = await producer(c, 'decided');
  await addPartitions(c, decided, { t: [1] });
  await send(c, decided, 't', 1, ['d1', 'd2']);
  // the commit is decided (PrepareCommit written) but its markers cannot be written before the shutdown
  const replicas: any = first.broker.replicas;
  replicas.appendMarker = () => ErrorCode.KAFKA_STORAGE_ERROR;
  t.equal(await endTxn(c, decided, true), ErrorCode.NONE);
  t.equal((await c.call(65, 0, { transactionalIds: ['decided'] })).transactionStates[0].transactionState, 'PrepareCommit');
  await c.close();
  await first.close();

  const second = await testBroker(t, { dataDir });
  c = await testClient(t, second);
  await waitFor(async () => (await stable(c, 't', 1)) === 3, 5000, 'the markers of the decided transaction after the restart');
  t.same(valuesOf((await fetchOne(c, 't', 1, 0, { isolationLevel: READ_COMMITTED })).records), ['d1', 'd2']);
  t.equal((await c.call(65, 0, { transactionalIds: ['decided'] })).transactionStates[0].transactionState, 'CompleteCommit');
  t.equal(await stable(c, 't', 0), 0, 'the open transaction still holds partition 0');
  t.equal(await endTxn(c, open, false), ErrorCode.NONE, 'and its producer can still end it');
  await waitFor(async () => (await stable(c, 't', 0)) === 2, 5000, 'the abort marker');
  const again = await init(c, 'decided');
  t.same([again.errorCode, again.producerId, again.producerEpoch], [ErrorCode.NONE, decided.producerId, decided.producerEpoch + 1]);
});


t.test('an idle transactional id expires after transactional.id.expiration.ms; an open one stays', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-expiry-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  // the check itself is called below; its timer stays out of the way
  const config = { 'transactional.id.expiration.ms': 300, 'transaction.remove.expired.transaction.cleanup.interval.ms': 3_600_000 };
  const { b, c } = await setup(t, { dataDir, config });
  const idle = await producer(c, 'idle');
  await addPartitions(c, idle, { t: [0] });
  t.equal((await send(c, idle, 't', 0, ['x'])).errorCode, ErrorCode.NONE);
  t.equal(await endTxn(c, idle, true), ErrorCode.NONE);
  await b.broker.transactions.settled('idle');
  const open = await producer(c, 'open');
  await addPartitions(c, open, { t: [1] });
  t.equal(await b.broker.transactions.removeExpired(), 0, 'nothing has been idle long enough yet');
  await new Promise(resolve => setTimeout(resolve, 400));
  t.equal(await b.broker.transactions.removeExpired(), 1, 'the idle id is removed');
  const states = (await c.call(65, 0, { transactionalIds: ['idle', 'open'] })).transactionStates;
  t.same(states.map((s: any) => [s.transactionalId, s.errorCode, s.transactionState]), [
    ['idle', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, ''],
    ['open', ErrorCode.NONE, 'Ongoing'],
  ]);
  c.close();
  await b.close();
  const again = await testBroker(t, { dataDir, config });
  const c2 = await testClient(t, again);
  await findTxnCoordinator(c2, 'idle');
  const listed = await c2.call(66, 0, { stateFilters: [], producerIdFilters: [] });
  t.same(listed.transactionStates.map((s: any) => s.transactionalId), ['open'], 'the tombstone keeps it removed after a restart');
  const fresh = await init(c2, 'idle');
  t.equal(fresh.errorCode, ErrorCode.NONE);
  t.not(fresh.producerId, idle.producerId, 'InitProducerId starts afresh: a new producer id');
  t.equal(fresh.producerEpoch, 0);
});
