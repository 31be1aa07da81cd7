// control.reset(): after kafkajs clients produced to topics, committed group offsets and ran
// transactions (one committed, one left open) on a three-node cluster, and a raw client opened a
// fetch session, a reset leaves no topic (internal ones included), no group, no transaction and
// no fetch session on any node; then the same names work again from scratch.
/* eslint-disable @typescript-eslint/no-explicit-any -- raw responses */
import t from 'tap';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { testBroker, waitFor } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { committed, logEnds } from '../helpers/kafkajs-admin.js';
import { fetchTopic, topicNames, ZERO_UUID } from '../helpers/kafka.js';
import type { RunningBroker } from '../../src/index.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const kafkaFor = (b: RunningBroker, clientId: string) =>
  new Kafka({ clientId, brokers: b.nodes.map(n => n.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });

async function adminOf(t: Teardown, kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return admin;
}

async function txnProducer(t: Teardown, kafka: Kafka, transactionalId: string): Promise<Producer> {
  const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await p.connect();
  t.teardown(() => p.disconnect());
  return p;
}

/** Consumes `topic` with a kafkajs consumer group until `count` records arrived (autocommit), then leaves. */
async function consumeAll(t: Teardown, kafka: Kafka, groupId: string, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 200, maxWaitTimeInMs: 50, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
  t.teardown(() => consumer.disconnect());
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommitInterval: 10, eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  await waitFor(() => seen.length >= count, 30_000, `${count} records of ${topic}`);
  await consumer.disconnect();
  return seen;
}

/** Every group, transaction and fetch session the running nodes hold. */
function coordinatorState(b: RunningBroker): { groups: string[]; transactions: string[]; sessions: number } {
  const out = { groups: [] as string[], transactions: [] as string[], sessions: 0 };
  for (const n of b.nodes) {
    if (n.broker === null) continue;
    out.groups.push(...n.broker.groups.groupIds());
    out.transactions.push(...n.broker.transactions.list([], [], -1).transactions.map(x => x.transactionalId));
    out.sessions += n.broker.fetchSessions.size;
  }
  out.groups.sort();
  out.transactions.sort();
  return out;
}

t.test('reset deletes every topic, group and transaction, and the cluster works normally afterwards', async t => {
  const b = await testBroker(t, {
    nodes: 3,
    config: { 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 },
  });
  const kafka = kafkaFor(b, 'before-reset');
  const admin = await adminOf(t, kafka);
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 2 }, { topic: 'audit', numPartitions: 1, replicationFactor: 3 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'orders', messages: Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: `o${i}` })) });
  await producer.send({ topic: 'audit', messages: [{ value: 'a0' }] });

  // group offsets: a consumer group's autocommit and an admin's commit of a simple group
  t.equal((await consumeAll(t, kafka, 'orders-readers', 'orders', 9)).length, 9);
  await admin.setOffsets({ groupId: 'simple-group', topic: 'audit', partitions: [{ partition: 0, offset: '1' }] });
  // a committed transaction with offsets, and one left open
  const committedTxn = await txnProducer(t, kafka, 'tx-committed');
  const txn = await committedTxn.transaction();
  await txn.send({ topic: 'audit', messages: [{ value: 'in-txn' }] });
  await txn.sendOffsets({ consumerGroupId: 'txn-group', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '1' }] }] });
  await txn.commit();
  const openTxn = await (await txnProducer(t, kafka, 'tx-open')).transaction();
  await openTxn.send({ topic: 'audit', messages: [{ value: 'open' }] });
  // a fetch session (kafkajs uses none)
  const raw = await TestClient.connect(b.bootstrap);
  t.teardown(() => raw.close());
  const opened = await raw.call(1, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: 0, topics: [fetchTopic('audit', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }])] });
  t.not(opened.sessionId, 0);

  const before = coordinatorState(b);
  t.same(before.groups, ['orders-readers', 'simple-group', 'txn-group'], 'the groups exist');
  t.same(before.transactions, ['tx-committed', 'tx-open'], 'the transactions exist');
  t.equal(before.sessions, 1);
  t.same(
    [...b.cluster.topics()].map(x => x.name).sort(),
    ['__consumer_offsets', '__transaction_state', 'audit', 'orders'],
  );

  const result = await b.control.reset();
  t.same(result, { topics: 4, groups: 3, transactions: 2 }, 'reset says what it deleted');
  t.equal(b.cluster.topicCount, 0, 'no topic left, internal ones included');
  t.same(coordinatorState(b), { groups: [], transactions: [], sessions: 0 }, 'no group, transaction or fetch session on any node');
  t.same(await topicNames(raw), [], 'Metadata lists no topic');
  const stale = await raw.call(1, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: opened.sessionId, sessionEpoch: 1, topics: [] });
  t.equal(stale.errorCode, 70, 'the old fetch session is gone (FETCH_SESSION_ID_NOT_FOUND)');

  // the same names, from scratch
  const after = kafkaFor(b, 'after-reset');
  const admin2 = await adminOf(t, after);
  await admin2.createTopics({ topics: [{ topic: 'orders', numPartitions: 2, replicationFactor: 2 }] });
  const producer2 = after.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer2.connect();
  t.teardown(() => producer2.disconnect());
  await producer2.send({ topic: 'orders', messages: [{ partition: 0, value: 'n0' }, { partition: 1, value: 'n1' }] });
  const tx = await txnProducer(t, after, 'tx-committed');
  const txn2 = await tx.transaction();
  await txn2.send({ topic: 'orders', messages: [{ partition: 0, value: 'n2' }] });
  await txn2.commit();
  t.same(await logEnds(admin2, 'orders'), [3, 1], 'the new topic starts empty: 2 records and a commit marker on partition 0');
  t.same((await consumeAll(t, after, 'orders-readers', 'orders', 3)).sort(), ['n0', 'n1', 'n2'], 'the group starts over and reads the new records');
  // kafkajs commits the offset after the last record it delivered (the commit marker at 2 is not one)
  t.same(await committed(admin2, 'orders-readers', 'orders'), [2, 1], 'and commits its offsets');
  const state = coordinatorState(b);
  t.same(state.groups, ['orders-readers']);
  t.same(state.transactions, ['tx-committed']);
  t.same(
    [...b.cluster.topics()].map(x => x.name).sort(),
    ['__consumer_offsets', '__transaction_state', 'orders'],
  );
});
