// DescribeTopicPartitions (75): pages of partitions across topics by name, the cursor and its edge
// cases as Kafka 4.1 handles them, per-partition leadership fields, unknown and illegal names.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { createTopic } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ZERO_UUID } from '../../src/protocol/wire.js';

/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: no authorizer. */
const TOPIC_OPERATIONS = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

const describe = (c: TestClient, topics: string[], limit = 2000, cursor: { topicName: string; partitionIndex: number } | null = null) =>
  c.call(75, 0, { topics: topics.map(name => ({ name })), responsePartitionLimit: limit, cursor });

/** A page as [topic, [partition indexes]] pairs, and its next cursor. */
const page = (r: any) => ({
  topics: r.topics.map((x: any) => [x.name, x.partitions.map((p: any) => p.partitionIndex)]),
  next: r.nextCursor === null ? null : [r.nextCursor.topicName, r.nextCursor.partitionIndex],
});

async function setup(t: { teardown(fn: () => unknown): void }) {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'charlie', 5);
  await createTopic(c, 'alpha', 3);
  await createTopic(c, 'bravo', 1);
  return { b, c };
}

t.test('every topic, sorted, a page of 4 partitions at a time, following the cursor', async t => {
  const { c } = await setup(t);
  let r = await describe(c, [], 4);
  t.same(page(r), { topics: [['alpha', [0, 1, 2]], ['bravo', [0]]], next: ['charlie', 0] }, 'full at a topic end: the cursor is the next topic at 0');
  r = await describe(c, [], 4, { topicName: 'charlie', partitionIndex: 0 });
  t.same(page(r), { topics: [['charlie', [0, 1, 2, 3]]], next: ['charlie', 4] }, 'cut inside a topic: the cursor is its next partition');
  r = await describe(c, [], 4, { topicName: 'charlie', partitionIndex: 4 });
  t.same(page(r), { topics: [['charlie', [4]]], next: null }, 'the last page has no cursor');
  r = await describe(c, [], 2000);
  t.same(page(r), { topics: [['alpha', [0, 1, 2]], ['bravo', [0]], ['charlie', [0, 1, 2, 3, 4]]], next: null });
});

t.test('the fields of a topic and its partitions', async t => {
  const { b, c } = await setup(t);
  const r = await describe(c, ['alpha']);
  const topic = r.topics[0];
  const alpha = b.broker.cluster.topic('alpha')!;
  t.same([topic.errorCode, topic.name, topic.topicId, topic.isInternal, topic.topicAuthorizedOperations], [0, 'alpha', alpha.id, false, TOPIC_OPERATIONS]);
  const node = b.broker.nodeId;
  for (const p of topic.partitions) {
    t.same(p, {
      errorCode: 0,
      partitionIndex: p.partitionIndex,
      leaderId: node,
      leaderEpoch: alpha.partitions[p.partitionIndex]!.leaderEpoch,
      replicaNodes: [node],
      isrNodes: [node],
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      offlineReplicas: [],
    });
  }
  t.equal(r.nextCursor, null);
});

t.test('listed topics: deduplicated, sorted; unknown and illegal names answered with their errors', async t => {
  const { c } = await setup(t);
  const r = await describe(c, ['charlie', 'nope', 'alpha', 'bad name!', 'alpha']);
  t.same(
    r.topics.map((x: any) => [x.name, x.errorCode, x.topicId, x.partitions.length, x.topicAuthorizedOperations]),
    [
      ['alpha', 0, r.topics[0].topicId, 3, TOPIC_OPERATIONS],
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION, ZERO_UUID, 0, TOPIC_OPERATIONS],
      ['charlie', 0, r.topics[2].topicId, 5, TOPIC_OPERATIONS],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ZERO_UUID, 0, TOPIC_OPERATIONS],
    ],
  );
  t.not(r.topics[0].topicId, ZERO_UUID);
  // an unknown topic takes no room in the page, but a full page stops before it
  const limited = await describe(c, ['alpha', 'nope', 'zulu'], 3);
  t.same(page(limited), { topics: [['alpha', [0, 1, 2]]], next: ['nope', 0] }, 'the cursor may name a topic that does not exist');
  const rest = await describe(c, ['alpha', 'nope', 'zulu'], 3, { topicName: 'nope', partitionIndex: 0 });
  t.same(
    rest.topics.map((x: any) => [x.name, x.errorCode]),
    [
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['zulu', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
    'topics before the cursor are left out',
  );
});

t.test('cursor edge cases', async t => {
  const { c } = await setup(t);
  // the cursor's topic must be among the listed ones: INVALID_REQUEST for every listed topic
  let r = await describe(c, ['alpha', 'charlie'], 10, { topicName: 'bravo', partitionIndex: 0 });
  t.same(
    r.topics.map((x: any) => [x.name, x.errorCode, x.partitions.length, x.isInternal]),
    [
      ['alpha', ErrorCode.INVALID_REQUEST, 0, false],
      ['charlie', ErrorCode.INVALID_REQUEST, 0, false],
    ],
  );
  t.equal(r.nextCursor, null);
  // a negative partition
  r = await describe(c, ['alpha'], 10, { topicName: 'alpha', partitionIndex: -1 });
  t.same(r.topics.map((x: any) => [x.name, x.errorCode]), [['alpha', ErrorCode.INVALID_REQUEST]]);
  r = await describe(c, [], 10, { topicName: 'alpha', partitionIndex: -1 });
  t.same(r.topics, [], 'all topics asked for: an empty error answer');
  // past the topic's last partition: the topic with no partitions, and on to the next
  r = await describe(c, [], 10, { topicName: 'alpha', partitionIndex: 7 });
  t.same(page(r), { topics: [['alpha', []], ['bravo', [0]], ['charlie', [0, 1, 2, 3, 4]]], next: null });
  // a cursor between topics, in all-topics mode: what sorts before it is left out
  r = await describe(c, [], 10, { topicName: 'b', partitionIndex: 0 });
  t.same(page(r).topics.map((x: any) => x[0]), ['bravo', 'charlie']);
});

t.test('the partition limit: at least 1, at most 2000', async t => {
  const { c } = await setup(t);
  for (const limit of [0, -5]) {
    t.same(page(await describe(c, [], limit)), { topics: [['alpha', [0]]], next: ['alpha', 1] }, `limit ${limit} is 1`);
  }
  await createTopic(c, 'wide', 2010);
  const r = await describe(c, ['wide'], 5000);
  t.equal(r.topics[0].partitions.length, 2000, 'max.request.partition.size.limit');
  t.same(r.nextCursor, { topicName: 'wide', partitionIndex: 2000 });
});

t.test('internal topics are described as internal, and listed with every topic', async t => {
  const { c } = await setup(t);
  await c.call(10, 4, { key: '', keyType: 0, coordinatorKeys: ['grp'] });
  const all = await describe(c, [], 2000);
  const offsets = all.topics.find((x: any) => x.name === '__consumer_offsets');
  t.ok(offsets, 'listed');
  t.equal(offsets.isInternal, true);
  t.equal(all.topics[0].name, '__consumer_offsets', "'_' sorts before lower-case letters");
});

t.test('a stopped node: its replicas are offline, leadership as the cluster has it', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const c = await testClient(t, b);
  const created = await c.call(19, 7, {
    topics: [{ name: 'rf3', numPartitions: 2, replicationFactor: 3, assignments: [], configs: [] }],
    timeoutMs: 10000,
    validateOnly: false,
  });
  t.equal(created.topics[0].errorCode, 0);
  const last = b.nodes[b.nodes.length - 1]!.nodeId;
  t.not(last, b.nodeId, 'a node other than the one the client talks to');
  await b.stopNode(last);
  const r = await describe(c, ['rf3']);
  const topic = b.broker.cluster.topic('rf3')!;
  for (const p of r.topics[0].partitions) {
    const partition = topic.partitions[p.partitionIndex]!;
    t.same(p.offlineReplicas, [last], `partition ${p.partitionIndex}: the stopped node is offline`);
    t.same([p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes], [partition.leader, partition.leaderEpoch, partition.replicas, partition.isr]);
    t.not(p.leaderId, last, 'not led by the stopped node');
  }
});
