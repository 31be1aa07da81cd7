// The cluster admin APIs on a three-node Samsa: DescribeCluster, ElectLeaders,
// AlterPartitionReassignments / ListPartitionReassignments, OffsetForLeaderEpoch, DescribeLogDirs
// and AlterReplicaLogDirs, with Kafka's answers to bad input (which changes nothing).
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TestClient } from '../helpers/client.js';
import { testBroker, waitFor } from '../helpers/broker.js';
import { batch, produce } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { endOffsetForEpoch } from '../../src/broker/handlers/offset-for-leader-epoch.js';
import type { RunningBroker } from '../../src/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded responses */

async function connect(t: Test, b: RunningBroker, nodeId = 0): Promise<TestClient> {
  const c = await TestClient.connect(b.nodes.find(n => n.nodeId === nodeId)!.bootstrap);
  t.teardown(() => c.close());
  return c;
}

async function topicWith(c: TestClient, name: string, assignments: number[][]): Promise<void> {
  const res = await c.call(19, 7, { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }] });
  if (res.topics[0].errorCode !== 0) throw new Error(`creating ${name}: ${res.topics[0].errorMessage}`);
}

t.test('DescribeCluster: the running nodes, the controller, fenced nodes on request, endpoint types', async t => {
  const b = await testBroker(t, { nodes: 3, config: { 'samsa.node.2.broker.rack': 'rack-2' } });
  const c = await connect(t, b);
  const res = await c.call(60, 2, { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: false });
  t.equal(res.errorCode, 0);
  t.equal(res.clusterId, b.clusterId);
  t.equal(res.controllerId, 0);
  t.same(res.brokers.map((x: any) => [x.brokerId, x.port, x.rack, x.isFenced]), b.nodes.map(n => [n.nodeId, n.port, n.nodeId === 2 ? 'rack-2' : null, false]));
  t.ok(res.clusterAuthorizedOperations > 0);
  await b.stopNode(0);
  const c1 = await connect(t, b, 1);
  const after = await c1.call(60, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
  t.same(after.brokers.map((x: any) => x.brokerId), [1, 2], 'a stopped node is not listed');
  t.equal(after.controllerId, 1, 'the controller is a live node');
  const fenced = await c1.call(60, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true });
  t.same(fenced.brokers.map((x: any) => [x.brokerId, x.isFenced]), [[0, true], [1, false], [2, false]], 'v2 lists it fenced when asked');
  t.equal((await c1.call(60, 1, { endpointType: 2 })).errorCode, ErrorCode.MISMATCHED_ENDPOINT_TYPE);
  t.equal((await c1.call(60, 1, { endpointType: 7 })).errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
  t.equal((await c1.call(60, 0, {})).brokers.length, 2, 'v0');
});

t.test('ElectLeaders: preferred and unclean elections, answers for bad input', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const c = await connect(t, b);
  await topicWith(c, 'elect', [
    [1, 2],
    [2, 0],
  ]);
  await topicWith(c, 'elect-solo', [[2]]);
  const parts = b.cluster.topic('elect')!.partitions;
  const solo = b.cluster.topic('elect-solo')!.partitions[0]!;
  b.moveLeader('elect', 0, 2);
  const epoch = parts[0]!.leaderEpoch;
  const res = await c.call(43, 2, { electionType: 0, topicPartitions: [{ topic: 'elect', partitions: [0, 1, 9] }, { topic: 'nope', partitions: [0] }], timeoutMs: 1000 });
  t.equal(res.errorCode, 0);
  const results = res.replicaElectionResults.map((r: any) => [r.topic, r.partitionResult.map((p: any) => [p.partitionId, p.errorCode])]);
  t.same(results, [
    ['elect', [[0, 0], [1, ErrorCode.ELECTION_NOT_NEEDED], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
  ]);
  t.equal(parts[0]!.leader, 1, 'the preferred replica leads again');
  t.equal(parts[0]!.leaderEpoch, epoch + 1);
  // the preferred replica is down
  await b.stopNode(1);
  t.equal(parts[0]!.leader, 2);
  const down = await c.call(43, 2, { electionType: 0, topicPartitions: [{ topic: 'elect', partitions: [0] }], timeoutMs: 1000 });
  t.equal(down.replicaElectionResults[0].partitionResult[0].errorCode, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  // unclean: a partition with no leader gets a live replica; one with a leader needs none
  await b.stopNode(2);
  t.equal(solo.leader, -1);
  const unclean = await c.call(43, 2, { electionType: 1, topicPartitions: [{ topic: 'elect', partitions: [1] }, { topic: 'elect-solo', partitions: [0] }], timeoutMs: 1000 });
  t.same(unclean.replicaElectionResults.map((r: any) => r.partitionResult[0].errorCode), [ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE], 'elect-solo has no live replica');
  t.equal(parts[1]!.leader, 0);
  // all partitions: only those an election changed or could not change are answered
  await b.startNode(1);
  await b.startNode(2);
  b.moveLeader('elect', 1, 0);
  const all = await c.call(43, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
  const elect = all.replicaElectionResults.find((r: any) => r.topic === 'elect');
  t.same(elect.partitionResult.map((p: any) => [p.partitionId, p.errorCode]), [[1, 0]], 'partitions already led by their preferred replica are left out');
  t.equal(parts[1]!.leader, 2);
  const bad = await c.call(43, 2, { electionType: 5, topicPartitions: [{ topic: 'elect', partitions: [0] }], timeoutMs: 1000 });
  t.equal(bad.errorCode, ErrorCode.INVALID_REQUEST, 'an unknown election type');
  t.equal(bad.replicaElectionResults[0].partitionResult[0].errorCode, ErrorCode.INVALID_REQUEST);
});

t.test('AlterPartitionReassignments / ListPartitionReassignments', async t => {
  const b = await testBroker(t, { nodes: 3, config: { 'replica.fetch.wait.max.ms': 50 } });
  const c = await connect(t, b);
  await topicWith(c, 'moves', [
    [0, 1],
    [1, 2],
  ]);
  const parts = b.cluster.topic('moves')!.partitions;
  const alter = (partitions: { partitionIndex: number; replicas: number[] | null }[], allowReplicationFactorChange = true, topic = 'moves') =>
    c.call(45, 1, { timeoutMs: 1000, allowReplicationFactorChange, topics: [{ name: topic, partitions }] });
  const codes = (res: any) => res.responses[0].partitions.map((p: any) => p.errorCode);

  // an added replica joins the ISR once it has caught up (one follower fetch wait), then the
  // reassignment completes and the leader moves off a removed replica
  t.same(codes(await alter([{ partitionIndex: 0, replicas: [2, 1] }])), [0]);
  t.same((await c.call(46, 0, { timeoutMs: 1000, topics: null })).topics, [{ name: 'moves', partitions: [{ partitionIndex: 0, replicas: [2, 1, 0], addingReplicas: [2], removingReplicas: [0] }] }], 'under way at first');
  t.same([...parts[0]!.isr].sort(), [0, 1], 'the added replica is not in sync yet');
  await waitFor(() => parts[0]!.addingReplicas.length === 0, 5000, 'the reassignment to complete');
  t.same(parts[0]!.replicas, [2, 1]);
  t.equal(parts[0]!.leader, 2, 'the old leader 0 was removed: the first in-sync target replica leads');
  t.same([...parts[0]!.isr].sort(), [1, 2]);
  t.same((await c.call(46, 0, { timeoutMs: 1000, topics: null })).topics, [], 'nothing is under way');

  // bad input changes nothing
  const before = JSON.stringify(parts.map(p => [p.replicas, p.isr, p.leader]));
  const bad = await c.call(45, 1, {
    timeoutMs: 1000,
    allowReplicationFactorChange: false,
    topics: [
      {
        name: 'moves',
        partitions: [
          { partitionIndex: 0, replicas: [0, 7] },
          { partitionIndex: 1, replicas: [1, 1] },
          { partitionIndex: 1, replicas: [] },
          { partitionIndex: 0, replicas: [0, 1, 2] },
          { partitionIndex: 5, replicas: [0, 1] },
          { partitionIndex: 1, replicas: null },
        ],
      },
      { name: 'missing', partitions: [{ partitionIndex: 0, replicas: [0] }] },
    ],
  });
  t.same(
    bad.responses.map((r: any) => r.partitions.map((p: any) => [p.errorCode, p.errorMessage])),
    [
      [
        [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.'],
        [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 1 more than once.'],
        [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
        [ErrorCode.INVALID_REPLICATION_FACTOR, 'The replication factor is changed from 2 to 3'],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition moves:5.'],
        [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.'],
      ],
      [[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named missing.']],
    ],
  );
  t.equal(JSON.stringify(parts.map(p => [p.replicas, p.isr, p.leader])), before, 'and changed nothing');

  // a stopped target replica keeps the reassignment under way until it starts
  await b.stopNode(0);
  const c2 = await connect(t, b, 2);
  t.same(codes(await c2.call(45, 1, { timeoutMs: 1000, allowReplicationFactorChange: true, topics: [{ name: 'moves', partitions: [{ partitionIndex: 1, replicas: [0, 2] }] }] })), [0]);
  t.same(parts[1]!.addingReplicas, [0]);
  t.same(parts[1]!.removingReplicas, [1]);
  const listed = await c.call(46, 0, { timeoutMs: 1000, topics: null }).catch(() => null);
  t.equal(listed, null, 'the stopped node does not answer');
  const ongoing = await c2.call(46, 0, { timeoutMs: 1000, topics: [{ name: 'moves', partitionIndexes: [0, 1] }] });
  t.same(ongoing.topics, [{ name: 'moves', partitions: [{ partitionIndex: 1, replicas: [0, 2, 1], addingReplicas: [0], removingReplicas: [1] }] }]);
  // cancel, then reassign again and let the node start
  t.same(codes(await c2.call(45, 1, { timeoutMs: 1000, allowReplicationFactorChange: true, topics: [{ name: 'moves', partitions: [{ partitionIndex: 1, replicas: null }] }] })), [0]);
  // as Kafka's revert: the replicas of the merged list (target first) that were not being added
  t.same(parts[1]!.replicas, [2, 1], 'a cancelled reassignment reverts to the original replicas');
  t.same(codes(await c2.call(45, 1, { timeoutMs: 1000, allowReplicationFactorChange: true, topics: [{ name: 'moves', partitions: [{ partitionIndex: 1, replicas: [0, 2] }] }] })), [0]);
  // longer than a catch-up: a stopped replica does not catch up
  await new Promise(r => setTimeout(r, 150));
  t.same(parts[1]!.addingReplicas, [0], 'still under way while the added replica is stopped');
  await b.startNode(0);
  t.same(parts[1]!.replicas, [0, 2], 'completed once the added replica runs');
  t.same(parts[1]!.addingReplicas, []);
  t.ok([0, 2].includes(parts[1]!.leader));
});

t.test('kafkajs admin: alterPartitionReassignments and listPartitionReassignments', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const kafka = new Kafka({ brokers: b.nodes.map(n => n.bootstrap), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'kjs-moves', replicaAssignment: [{ partition: 0, replicas: [0, 1] }] }] });
  await admin.alterPartitionReassignments({ topics: [{ topic: 'kjs-moves', partitionAssignment: [{ partition: 0, replicas: [2, 0] }] }] });
  const ongoing = await admin.listPartitionReassignments({});
  t.same(ongoing.topics, [{ name: 'kjs-moves', partitions: [{ partition: 0, replicas: [2, 0, 1], addingReplicas: [2], removingReplicas: [1] }] }]);
  await waitFor(async () => (await admin.listPartitionReassignments({})).topics.length === 0, 5000, 'the reassignment to complete');
  const md = await admin.fetchTopicMetadata({ topics: ['kjs-moves'] });
  t.same(md.topics[0]!.partitions[0]!.replicas, [2, 0]);
  await t.rejects(admin.alterPartitionReassignments({ topics: [{ topic: 'kjs-moves', partitionAssignment: [{ partition: 0, replicas: [0, 9] }] }] }), 'a missing node is refused');
});

t.test('OffsetForLeaderEpoch: the end offset of each leader epoch', async t => {
  t.same(endOffsetForEpoch([[0, 0], [2, 10], [5, 30]], 0, 40), [0, 10]);
  t.same(endOffsetForEpoch([[0, 0], [2, 10], [5, 30]], 1, 40), [0, 10], 'an epoch with no data answers the one before it');
  t.same(endOffsetForEpoch([[0, 0], [2, 10], [5, 30]], 4, 40), [2, 30]);
  t.same(endOffsetForEpoch([[0, 0], [2, 10], [5, 30]], 5, 40), [5, 40], 'the latest epoch ends at the log end');
  t.same(endOffsetForEpoch([[0, 0], [2, 10], [5, 30]], 6, 40), [-1, -1]);
  t.same(endOffsetForEpoch([[3, 7]], 1, 9), [1, 7], 'below every known epoch: the first start');
  t.same(endOffsetForEpoch([[0, 0]], -1, 9), [-1, -1]);

  const b = await testBroker(t, { nodes: 2 });
  const c0 = await connect(t, b, 0);
  await topicWith(c0, 'epochs', [[0, 1]]);
  t.equal((await produce(c0, 'epochs', 0, batch(['a', 'b']))).errorCode, 0);
  b.moveLeader('epochs', 0, 1);
  const c1 = await connect(t, b, 1);
  t.equal((await produce(c1, 'epochs', 0, batch(['c']))).errorCode, 0);
  b.moveLeader('epochs', 0, 0);
  t.equal((await produce(c0, 'epochs', 0, batch(['d', 'e', 'f']))).errorCode, 0);
  const ask = (c: TestClient, leaderEpoch: number, currentLeaderEpoch = -1, topic = 'epochs') =>
    c.call(23, 4, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] }).then((r: any) => r.topics[0].partitions[0]);
  t.match(await ask(c0, 0), { errorCode: 0, leaderEpoch: 0, endOffset: 2 });
  t.match(await ask(c0, 1), { errorCode: 0, leaderEpoch: 1, endOffset: 3 });
  t.match(await ask(c0, 2), { errorCode: 0, leaderEpoch: 2, endOffset: 6 });
  t.match(await ask(c0, 2, 1), { errorCode: ErrorCode.FENCED_LEADER_EPOCH });
  t.match(await ask(c0, 2, 3), { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH });
  t.match(await ask(c1, 0), { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, endOffset: -1 });
  t.match(await ask(c0, 0, -1, 'nope'), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  const fetched = await c0.call(1, 12, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic: 'epochs', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
  });
  const { decodeBatches } = await import('../../src/protocol/records.js');
  t.same(decodeBatches(fetched.responses[0].partitions[0].records).map(x => x.partitionLeaderEpoch), [0, 1, 2], 'each batch carries the epoch of the leader that appended it');
});

t.test('DescribeLogDirs and AlterReplicaLogDirs', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-logdirs-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  for (const [mode, opts] of [
    ['memory', {}],
    ['disk', { dataDir }],
  ] as const) {
    const b = await testBroker(t, { nodes: 2, ...opts });
    const c = await connect(t, b, 1);
    await topicWith(c, 'dirs', [[1], [0]]);
    t.equal((await produce(c, 'dirs', 0, batch(['x', 'y']))).errorCode, 0);
    const res = await c.call(35, 4, { topics: null });
    t.equal(res.errorCode, 0);
    t.equal(res.results.length, 1, `${mode}: one log directory`);
    const dir = res.results[0];
    t.equal(dir.logDir, mode === 'memory' ? 'memory' : path.resolve(dataDir));
    const dirsTopic = dir.topics.find((x: any) => x.name === 'dirs');
    t.same(dirsTopic.partitions.map((p: any) => p.partitionIndex), [0], `${mode}: node 1 holds only partition 0 of dirs`);
    t.equal(dirsTopic.partitions[0].partitionSize, b.cluster.topic('dirs')!.partitions[0]!.log.sizeInBytes);
    t.ok(dirsTopic.partitions[0].partitionSize > 0);
    if (mode === 'disk') t.ok(dir.totalBytes > 0 && dir.usableBytes > 0, 'disk space reported');
    else t.same([dir.totalBytes, dir.usableBytes], [-1, -1], 'memory: space unknown');
    const some = await c.call(35, 4, { topics: [{ topic: 'dirs', partitions: [1] }] });
    t.same(some.results[0].topics, [], 'a partition of another node is not listed');
    const alter = await c.call(34, 2, {
      dirs: [
        { path: dir.logDir, topics: [{ name: 'dirs', partitions: [0, 1] }, { name: 'nope', partitions: [0] }] },
        { path: '/elsewhere', topics: [{ name: 'dirs', partitions: [0] }] },
      ],
    });
    t.same(
      alter.results.map((r: any) => [r.topicName, r.partitions.map((p: any) => p.errorCode)]),
      [
        ['dirs', [0, ErrorCode.REPLICA_NOT_AVAILABLE]],
        ['nope', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
        ['dirs', [ErrorCode.LOG_DIR_NOT_FOUND]],
      ],
      `${mode}: AlterReplicaLogDirs`,
    );
    await b.close();
  }
});
