// TxnOffsetCommit over the wire: offsets committed inside a transaction are pending until its
// marker (visible on commit, dropped on abort), OffsetFetch's require_stable answers
// UNSTABLE_OFFSET_COMMIT meanwhile, a later plain commit wins over an older transactional one,
// pending offsets survive a restart, and the request's errors are Kafka's.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { createTopic } from '../helpers/kafka.js';
import { EOS_GROUP as GROUP, addOffsets, endTxn, fetched, findGroupCoordinator, findTxnCoordinator, init, producer, txnCommit, type Producer } from '../helpers/transactions.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { BrokerOptions, RunningBroker } from '../../src/index.js';

/** A plain OffsetCommit (v8) as a simple consumer: generation -1. */
async function plainCommit(c: TestClient, topic: string, partition: number, offset: number): Promise<number> {
  const r = await c.call(8, 8, {
    groupId: GROUP,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return r.topics[0].partitions[0].errorCode;
}

async function setup(t: Test, opts: BrokerOptions = {}): Promise<{ b: RunningBroker; c: TestClient }> {
  const b = await testBroker(t, opts);
  const c = await testClient(t, b);
  await createTopic(c, 'in', 2);
  await findGroupCoordinator(c, GROUP);
  return { b, c };
}

t.test('offsets committed in a transaction are visible on commit, and require_stable waits for it', async t => {
  const { c } = await setup(t);
  const p = await producer(c, 'eos');
  t.same(await txnCommit(c, p, { 'in-0': 5 }), { 'in-0': ErrorCode.INVALID_TXN_STATE }, 'v3, before AddOffsetsToTxn: the partition is not in the transaction');
  t.same(await txnCommit(c, p, { 'in-0': 5 }, { version: 4 }), { 'in-0': ErrorCode.TRANSACTION_ABORTABLE }, 'v4+: TRANSACTION_ABORTABLE');
  t.equal(await addOffsets(c, p), ErrorCode.NONE);
  t.same(await txnCommit(c, p, { 'in-0': 5, 'in-1': 7, 'nope-0': 1 }), { 'in-0': ErrorCode.NONE, 'in-1': ErrorCode.NONE, 'nope-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  t.same(await fetched(c, 'in', 0), [-1, ErrorCode.NONE], 'not visible before the commit');
  t.same(await fetched(c, 'in', 0, true), [-1, ErrorCode.UNSTABLE_OFFSET_COMMIT], 'require_stable: unstable while the transaction is open');
  t.same(await txnCommit(c, p, { 'in-0': 6 }), { 'in-0': ErrorCode.NONE }, 'a second commit in the same transaction');
  t.equal(await endTxn(c, p, true), ErrorCode.NONE);
  await waitFor(async () => (await fetched(c, 'in', 0))[0] === 6, 5000, 'the commit marker makes the offsets the committed ones');
  t.same(await fetched(c, 'in', 1, true), [7, ErrorCode.NONE]);
  t.same(await fetched(c, 'in', 0, true), [6, ErrorCode.NONE], 'stable once committed: the transaction\'s latest offset');
  const all = await c.call(9, 7, { groupId: GROUP, topics: null, requireStable: true });
  t.same(
    all.topics.map((x: any) => [x.name, x.partitions.map((q: any) => [q.partitionIndex, q.committedOffset])]),
    [['in', [[0, 6], [1, 7]]]],
    'every committed offset of the group',
  );
  const groups = await c.call(16, 4, { statesFilter: [] });
  t.ok(groups.groups.some((g: any) => g.groupId === GROUP), 'a simple group exists for the offsets');
});

t.test('an aborted transaction leaves the committed offsets as they were', async t => {
  const { c } = await setup(t);
  t.equal(await plainCommit(c, 'in', 0, 3), ErrorCode.NONE);
  const p = await producer(c, 'eos');
  t.equal(await addOffsets(c, p), ErrorCode.NONE);
  t.same(await txnCommit(c, p, { 'in-0': 10, 'in-1': 11 }), { 'in-0': ErrorCode.NONE, 'in-1': ErrorCode.NONE });
  t.same(await fetched(c, 'in', 0), [3, ErrorCode.NONE], 'the last committed offset while the transaction is open');
  t.equal(await endTxn(c, p, false), ErrorCode.NONE);
  await waitFor(async () => (await fetched(c, 'in', 0, true))[1] === ErrorCode.NONE, 5000, 'the abort marker');
  t.same(await fetched(c, 'in', 0, true), [3, ErrorCode.NONE]);
  t.same(await fetched(c, 'in', 1, true), [-1, ErrorCode.NONE]);
});

t.test('a plain commit written after the transactional one wins when the transaction commits', async t => {
  const { c } = await setup(t);
  const p = await producer(c, 'eos');
  t.equal(await addOffsets(c, p), ErrorCode.NONE);
  t.same(await txnCommit(c, p, { 'in-0': 10, 'in-1': 20 }), { 'in-0': ErrorCode.NONE, 'in-1': ErrorCode.NONE });
  t.equal(await plainCommit(c, 'in', 0, 15), ErrorCode.NONE);
  t.equal(await endTxn(c, p, true), ErrorCode.NONE);
  await waitFor(async () => (await fetched(c, 'in', 1))[0] === 20, 5000, 'the commit marker');
  t.same(await fetched(c, 'in', 0), [15, ErrorCode.NONE], 'the later plain commit is kept (Kafka compares record offsets)');
});

t.test('deleting the group\'s offsets drops pending ones too', async t => {
  const { c } = await setup(t);
  const p = await producer(c, 'eos');
  t.equal(await addOffsets(c, p), ErrorCode.NONE);
  t.same(await txnCommit(c, p, { 'in-0': 10 }), { 'in-0': ErrorCode.NONE });
  const del = await c.call(47, 0, { groupId: GROUP, topics: [{ name: 'in', partitions: [{ partitionIndex: 0 }] }] });
  t.same([del.errorCode, del.topics[0].partitions[0].errorCode], [ErrorCode.NONE, ErrorCode.NONE]);
  t.same(await fetched(c, 'in', 0, true), [-1, ErrorCode.NONE], 'no longer unstable: the tombstone removed the pending offset');
  t.equal(await endTxn(c, p, true), ErrorCode.NONE);
  await waitFor(async () => (await c.call(65, 0, { transactionalIds: ['eos'] })).transactionStates[0].transactionState === 'CompleteCommit', 5000, 'the commit');
  t.same(await fetched(c, 'in', 0), [-1, ErrorCode.NONE], 'the commit has nothing to make visible');
});

t.test("TxnOffsetCommit's errors", async t => {
  const { c } = await setup(t);
  const p = await producer(c, 'eos');
  t.equal(await addOffsets(c, p), ErrorCode.NONE);
  t.same(await txnCommit(c, p, { 'in-0': 1 }, { groupId: '' }), { 'in-0': ErrorCode.INVALID_GROUP_ID }, 'an empty group id');
  t.same(await txnCommit(c, p, { 'in-0': 1 }, { generationId: 3, memberId: 'm' }), { 'in-0': ErrorCode.ILLEGAL_GENERATION }, 'a generation of a group that does not exist');
  t.same(await txnCommit(c, p, { 'in-0': 1 }, { metadata: 'x'.repeat(5000) }), { 'in-0': ErrorCode.OFFSET_METADATA_TOO_LARGE });
  // a new InitProducerId fences this producer: its epoch is stale
  await findTxnCoordinator(c, 'eos');
  const fenced = await init(c, 'eos');
  t.equal(fenced.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'the open transaction is aborted first');
  await waitFor(async () => (await init(c, 'eos')).errorCode === ErrorCode.NONE, 5000, 'the new epoch');
  const stale = await txnCommit(c, p, { 'in-0': 1 });
  t.equal(stale['in-0'], ErrorCode.INVALID_PRODUCER_EPOCH, 'the fenced producer\'s epoch');
  t.same(await fetched(c, 'in', 0, true), [-1, ErrorCode.NONE], 'the fenced transaction\'s offsets were aborted');
});

t.test('pending and committed transactional offsets survive a restart', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-offsets-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const first = await setup(t, { dataDir });
  const p = await producer(first.c, 'eos');
  t.equal(await addOffsets(first.c, p), ErrorCode.NONE);
  t.same(await txnCommit(first.c, p, { 'in-0': 4 }), { 'in-0': ErrorCode.NONE });
  t.equal(await endTxn(first.c, p, true), ErrorCode.NONE);
  await waitFor(async () => (await fetched(first.c, 'in', 0))[0] === 4, 5000, 'the first commit');
  t.equal(await addOffsets(first.c, p), ErrorCode.NONE);
  t.same(await txnCommit(first.c, p, { 'in-0': 9 }), { 'in-0': ErrorCode.NONE });
  first.c.close();
  await first.b.close();

  const b = await testBroker(t, { dataDir });
  const c = await testClient(t, b);
  await findGroupCoordinator(c, GROUP);
  t.same(await fetched(c, 'in', 0), [4, ErrorCode.NONE], 'the committed offset, read back with its marker');
  t.same(await fetched(c, 'in', 0, true), [-1, ErrorCode.UNSTABLE_OFFSET_COMMIT], 'the open transaction\'s offset is pending again');
  t.equal(await endTxn(c, p, true), ErrorCode.NONE, 'the same producer commits after the restart');
  await waitFor(async () => (await fetched(c, 'in', 0, true))[0] === 9, 5000, 'the commit after the restart');
});
