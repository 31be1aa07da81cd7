// Authorization of the transaction APIs as Kafka 4.1's KafkaApis does it, over PLAINTEXT where
// the requester is User:ANONYMOUS and the ACLs are put in the cluster's store directly:
// InitProducerId (transactional and idempotent), AddPartitionsToTxn (client and broker
// versions), AddOffsetsToTxn, TxnOffsetCommit, EndTxn, DescribeProducers, DescribeTransactions,
// ListTransactions; and a kafkajs transactional producer without WRITE on its transactional id.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { anonymousAcl as acl, securedWithClient, type Secured } from '../helpers/acls.js';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { addOffsets, addPartitions, init, producer, txnCommit, type Producer } from '../helpers/transactions.js';
import { ErrorCode, errorMessage } from '../../src/protocol/errors.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as Pat, ResourceType as Res } from '../../src/security/acls.js';

const INIT = 22, ADD_PARTITIONS = 24, END_TXN = 26, DESCRIBE_PRODUCERS = 61, DESCRIBE_TXNS = 65, LIST_TXNS = 66;
const GROUP = 'eos-group';

/** A secured broker with the coordinators' topics made (without FindCoordinator's checks) and the topics out, in and secret. */
async function secured(t: Test): Promise<Secured> {
  const s = await securedWithClient(t);
  s.b.broker.transactions.coordinatorFor('any');
  s.b.broker.groups.coordinatorFor('any');
  s.topic('out');
  s.topic('in');
  s.topic('secret');
  return s;
}

/** AddPartitionsToTxn v3 for a transactional id (the producer's id and epoch). */
const addFor = (c: TestClient, transactionalId: string, p: Producer, topics: Record<string, number[]>) => addPartitions(c, { ...p, transactionalId }, topics);

t.test('InitProducerId with a transactional id needs WRITE on it, before the request is validated', async t => {
  const s = await secured(t);
  const refused = await init(s.c, 'tx');
  t.same([refused.errorCode, refused.producerId, refused.producerEpoch], [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1]);
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.DESCRIBE));
  t.equal((await init(s.c, 'tx')).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'DESCRIBE is not WRITE');
  const invalid = { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: 5, producerEpoch: -1 };
  t.equal((await s.c.call(INIT, 4, invalid)).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'an id without an epoch: authorization first');
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE));
  const r = await init(s.c, 'tx');
  t.equal(r.errorCode, ErrorCode.NONE);
  t.ok(r.producerId >= 0);
  t.equal((await s.c.call(INIT, 4, invalid)).errorCode, ErrorCode.INVALID_REQUEST, 'authorized, the request is then invalid');
  t.equal((await s.c.call(INIT, 0, { transactionalId: 'tx-other', transactionTimeoutMs: 60_000 })).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'v0');
});

t.test('InitProducerId without a transactional id needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic', async t => {
  const s = await secured(t);
  const idempotent = () => s.c.call(INIT, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  const refused = await idempotent();
  t.same([refused.errorCode, refused.producerId, refused.producerEpoch], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, -1, -1]);
  s.grant(acl(Res.TOPIC, 'out', Op.READ));
  t.equal((await idempotent()).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'READ on a topic does not do');
  s.grant(acl(Res.TOPIC, 'nowhere-', Op.WRITE, Perm.ALLOW, Pat.PREFIXED));
  t.equal((await idempotent()).errorCode, ErrorCode.NONE, 'WRITE on some topic, even one that does not exist');
  s.grant(acl(Res.TOPIC, 'nowhere-', Op.WRITE, Perm.DENY, Pat.PREFIXED));
  t.equal((await idempotent()).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'a DENY of the same prefix takes it back');
  s.grant(acl(Res.CLUSTER, 'kafka-cluster', Op.IDEMPOTENT_WRITE));
  const r = await idempotent();
  t.same([r.errorCode, r.producerEpoch], [ErrorCode.NONE, 0], 'IDEMPOTENT_WRITE on the cluster');
});

t.test('AddPartitionsToTxn below v4: WRITE on the transactional id, then WRITE on each topic before its existence', async t => {
  const s = await secured(t);
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE), acl(Res.TOPIC, 'out', Op.WRITE), acl(Res.TOPIC, 'ghost-ok', Op.WRITE), acl(Res.TOPIC, 'secret', Op.READ));
  s.grant(acl(Res.TOPIC, '__consumer_offsets', Op.WRITE));
  const p = await producer(s.c, 'tx');

  t.same(await addFor(s.c, 'tx-other', p, { out: [0], secret: [0] }), { 'out-0': 53, 'secret-0': 53 }, 'no WRITE on the transactional id: every partition');
  t.same(
    await addPartitions(s.c, p, { out: [0], secret: [0], ghost: [0], 'ghost-ok': [0], __consumer_offsets: [0] }),
    {
      'out-0': ErrorCode.OPERATION_NOT_ATTEMPTED,
      'secret-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      'ghost-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      'ghost-ok-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      '__consumer_offsets-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    },
    'READ is not WRITE; unknown topics one may not write are refused as such; internal topics always',
  );
  t.same(await addPartitions(s.c, p, { out: [0] }), { 'out-0': ErrorCode.NONE }, 'what may be written is added');
  const v0 = await s.c.call(ADD_PARTITIONS, 0, { v3AndBelowTransactionalId: 'tx-other', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'out', partitions: [0] }] });
  t.equal(v0.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'v0');
});

t.test('AddPartitionsToTxn v4+ (from brokers): CLUSTER_ACTION on the cluster, and no other check', async t => {
  const s = await secured(t);
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE), acl(Res.TOPIC, 'out', Op.WRITE));
  const p = await producer(s.c, 'tx');
  t.same(await addPartitions(s.c, p, { out: [0] }), { 'out-0': ErrorCode.NONE });
  s.revoke(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE), acl(Res.TOPIC, 'out', Op.WRITE));
  const verify = () =>
    s.c.call(ADD_PARTITIONS, 4, {
      transactions: [{ transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: true, topics: [{ name: 'out', partitions: [0] }, { name: 'secret', partitions: [0] }] }],
    });
  const refused = await verify();
  t.same([refused.errorCode, refused.resultsByTransaction], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, []], 'the whole request');
  s.grant(acl(Res.CLUSTER, 'kafka-cluster', Op.CLUSTER_ACTION));
  const r = await verify();
  t.equal(r.errorCode, ErrorCode.NONE);
  const codes = r.resultsByTransaction[0].topicResults.map((x: any) => [x.name, x.resultsByPartition[0].partitionErrorCode]);
  t.same(codes, [
    ['out', ErrorCode.NONE],
    ['secret', ErrorCode.TRANSACTION_ABORTABLE],
  ], 'verified without WRITE on the transactional id or the topics');
});

t.test('AddOffsetsToTxn, TxnOffsetCommit and EndTxn: WRITE on the transactional id, READ on the group and the topics', async t => {
  const s = await secured(t);
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE), acl(Res.TOPIC, 'out', Op.WRITE));
  const p = await producer(s.c, 'tx');
  t.same(await addPartitions(s.c, p, { out: [0] }), { 'out-0': ErrorCode.NONE });
  const other = { ...p, transactionalId: 'tx-other' };

  t.equal(await addOffsets(s.c, other), ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'AddOffsetsToTxn: the transactional id first');
  t.equal(await addOffsets(s.c, p), ErrorCode.GROUP_AUTHORIZATION_FAILED, 'then READ on the group');
  s.grant(acl(Res.GROUP, GROUP, Op.DESCRIBE));
  t.equal(await addOffsets(s.c, p), ErrorCode.GROUP_AUTHORIZATION_FAILED, 'DESCRIBE is not READ');

  const offsets = { 'in-0': 4, 'out-0': 2, 'ghost-0': 1, 'ghost-r-0': 1 };
  t.same(await txnCommit(s.c, other, offsets), { 'in-0': 53, 'out-0': 53, 'ghost-0': 53, 'ghost-r-0': 53 }, 'TxnOffsetCommit: the transactional id first');
  t.same(await txnCommit(s.c, p, offsets), { 'in-0': 30, 'out-0': 30, 'ghost-0': 30, 'ghost-r-0': 30 }, 'then READ on the group');

  s.grant(acl(Res.GROUP, GROUP, Op.READ), acl(Res.TOPIC, 'in', Op.READ), acl(Res.TOPIC, 'ghost-r', Op.READ));
  t.equal(await addOffsets(s.c, p), ErrorCode.NONE);
  t.same(
    await txnCommit(s.c, p, offsets),
    {
      'in-0': ErrorCode.NONE,
      'out-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      'ghost-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      'ghost-r-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    },
    'WRITE on a topic is not READ; existence is looked at only for topics one may read',
  );

  s.revoke(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE));
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.DESCRIBE));
  const refused = await s.c.call(END_TXN, 5, { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
  t.same([refused.errorCode, refused.producerId, refused.producerEpoch], [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1], 'EndTxn without WRITE');
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE));
  t.equal((await s.c.call(END_TXN, 3, { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true })).errorCode, ErrorCode.NONE, 'the transaction commits once allowed');
});

t.test('DescribeProducers: READ on each topic, after the name is validated and before its existence', async t => {
  const s = await secured(t);
  s.grant(acl(Res.TOPIC, 'in', Op.READ), acl(Res.TOPIC, 'out', Op.WRITE), acl(Res.TOPIC, 'ghost-r', Op.READ));
  const r = await s.c.call(DESCRIBE_PRODUCERS, 0, {
    topics: ['in', 'out', 'ghost', 'ghost-r', 'bad name!'].map(name => ({ name, partitionIndexes: [0, 1] })),
  });
  t.same(
    r.topics.map((x: any) => [x.name, x.partitions.map((p: any) => [p.partitionIndex, p.errorCode])]),
    [
      ['in', [[0, ErrorCode.NONE], [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ['out', [[0, ErrorCode.TOPIC_AUTHORIZATION_FAILED], [1, ErrorCode.TOPIC_AUTHORIZATION_FAILED]]],
      ['ghost', [[0, ErrorCode.TOPIC_AUTHORIZATION_FAILED], [1, ErrorCode.TOPIC_AUTHORIZATION_FAILED]]],
      ['ghost-r', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ['bad name!', [[0, ErrorCode.INVALID_TOPIC_EXCEPTION], [1, ErrorCode.INVALID_TOPIC_EXCEPTION]]],
    ],
  );
  t.equal(r.topics[1].partitions[0].errorMessage, errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED), 'with the default message');
});

t.test('DescribeTransactions and ListTransactions show only what one may DESCRIBE', async t => {
  const s = await secured(t);
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx', Op.WRITE), acl(Res.TRANSACTIONAL_ID, 'tx-hidden', Op.WRITE), acl(Res.TOPIC, 'out', Op.WRITE), acl(Res.TOPIC, 'secret', Op.WRITE));
  const p = await producer(s.c, 'tx');
  await producer(s.c, 'tx-hidden');
  t.same(await addPartitions(s.c, p, { out: [0], secret: [0] }), { 'out-0': 0, 'secret-0': 0 });
  s.revoke(acl(Res.TRANSACTIONAL_ID, 'tx-hidden', Op.WRITE), acl(Res.TOPIC, 'secret', Op.WRITE));

  const described = async () => (await s.c.call(DESCRIBE_TXNS, 0, { transactionalIds: ['tx', 'tx-hidden', 'tx-none'] })).transactionStates;
  const d = await described();
  t.same(d.map((x: any) => [x.transactionalId, x.errorCode]), [
    ['tx', ErrorCode.NONE],
    ['tx-hidden', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
    ['tx-none', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
  ]);
  t.equal(d[0].transactionState, 'Ongoing');
  t.same(d[0].topics, [{ topic: 'out', partitions: [0] }], 'the topic one may not describe is left out');
  t.same(
    [d[1].transactionState, d[1].transactionTimeoutMs, d[1].transactionStartTimeMs, d[1].producerId, d[1].producerEpoch, d[1].topics],
    ['', 0, 0, 0, 0, []],
    'a refused id: every field at its default',
  );

  const listed = async () => (await s.c.call(LIST_TXNS, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 })).transactionStates.map((x: any) => x.transactionalId).sort();
  t.same(await listed(), ['tx']);
  s.grant(acl(Res.TRANSACTIONAL_ID, 'tx-', Op.DESCRIBE, Perm.ALLOW, Pat.PREFIXED), acl(Res.TOPIC, 'secret', Op.DESCRIBE));
  t.same(await listed(), ['tx', 'tx-hidden']);
  t.same((await described())[0].topics.map((x: any) => x.topic).sort(), ['out', 'secret'], 'DESCRIBE on the topic shows it');
});

t.test('without an authorizer internal topics still cannot be added to a transaction, as Kafka filters them out first', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  b.broker.groups.coordinatorFor('any');
  b.broker.transactions.coordinatorFor('any');
  const plan = b.cluster.planTopic({ name: 'out', numPartitions: 1, replicationFactor: 1, assignments: null, configs: new Map() });
  b.cluster.createTopic('out', plan.replicas, plan.configs);
  const p = await producer(c, 'tx');
  t.same(await addPartitions(c, p, { out: [0], __consumer_offsets: [0] }), { 'out-0': ErrorCode.OPERATION_NOT_ATTEMPTED, '__consumer_offsets-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED });
  t.same(await addPartitions(c, p, { out: [0] }), { 'out-0': ErrorCode.NONE });
});

t.test('kafkajs: a transactional producer without WRITE on its transactional id cannot begin a transaction', async t => {
  const s = await secured(t);
  // WRITE on the topic lets the idempotent InitProducerId of connect() through; DESCRIBE on the id FindCoordinator
  s.grant(acl(Res.TOPIC, 'out', Op.WRITE), acl(Res.TRANSACTIONAL_ID, 'app-tx', Op.DESCRIBE));
  const kafka = new Kafka({ clientId: 'authz-transactions', brokers: [s.b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const newProducer = async () => {
    const p = kafka.producer({ transactionalId: 'app-tx', idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2, initialRetryTime: 50 } });
    await p.connect();
    t.teardown(() => p.disconnect());
    return p;
  };
  const refused = await newProducer();
  const err: any = await refused.transaction().then(
    () => null,
    e => e,
  );
  t.ok(err, 'the transaction is refused');
  t.equal(err?.type ?? err?.cause?.type, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED');

  s.grant(acl(Res.TRANSACTIONAL_ID, 'app-tx', Op.WRITE));
  const allowed = await newProducer();
  const txn = await allowed.transaction();
  await txn.send({ topic: 'out', messages: [{ value: 'v' }] });
  await txn.commit();
  t.pass('with WRITE on the transactional id the transaction commits');
});
