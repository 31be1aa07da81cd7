// Several broker nodes in one process: each with its own id and listener, partitions and
// coordinators spread across them, requests to the wrong node refused as Kafka refuses them,
// nodes stopped and started with leadership moving.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestClient } from '../helpers/client.js';
import { testBroker, waitFor } from '../helpers/broker.js';
import { ZERO_UUID, batch, batchesOf, fetchOne, produce } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { RunningBroker } from '../../src/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded responses */

async function connect(t: Test, address: string): Promise<TestClient> {
  const c = await TestClient.connect(address);
  t.teardown(() => c.close());
  return c;
}

/** A client connected to each node, by node id. */
async function clients(t: Test, b: RunningBroker): Promise<Map<number, TestClient>> {
  const out = new Map<number, TestClient>();
  for (const n of b.nodes) out.set(n.nodeId, await connect(t, n.bootstrap));
  return out;
}

async function createTopic(c: TestClient, name: string, partitions: number, replicationFactor: number): Promise<any> {
  const res = await c.call(19, 7, { topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: [] }] });
  return res.topics[0];
}

async function metadata(c: TestClient, topics: string[] | null = null): Promise<any> {
  return c.call(3, 12, { topics: topics === null ? null : topics.map(name => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: false });
}

t.test('three nodes: Metadata lists each with its own port, partitions and replicas spread across them', async t => {
  const b = await testBroker(t, { nodes: 3 });
  t.same(b.nodes.map(n => n.nodeId), [0, 1, 2]);
  t.equal(new Set(b.nodes.map(n => n.port)).size, 3, 'three ports');
  t.equal(b.bootstrapServers, b.nodes.map(n => n.bootstrap).join(','));
  const cs = await clients(t, b);
  for (const [id, c] of cs) {
    const md = await metadata(c);
    t.same(
      md.brokers.map((x: any) => [x.nodeId, x.port]),
      b.nodes.map(n => [n.nodeId, n.port]),
      `node ${id} advertises every node at its own port`,
    );
    t.equal(md.controllerId, 0);
  }
  const c0 = cs.get(0)!;
  const created = await createTopic(c0, 'spread', 6, 3);
  t.equal(created.errorCode, ErrorCode.NONE);
  const md = await metadata(c0, ['spread']);
  const parts = md.topics[0].partitions;
  t.equal(new Set(parts.map((p: any) => p.leaderId)).size, 3, 'leaders on all three nodes');
  for (const p of parts) {
    t.equal(p.replicaNodes.length, 3);
    t.equal(p.leaderId, p.replicaNodes[0], 'the first replica leads');
    t.same([...p.isrNodes].sort(), [0, 1, 2]);
  }
  const tooMany = await createTopic(c0, 'rf4', 1, 4);
  t.equal(tooMany.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR, 'a replication factor above the node count is refused');
  t.match(tooMany.errorMessage, /only 3 broker\(s\) are registered/);
  t.equal((await metadata(c0, ['rf4'])).topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'and nothing is created');
});

t.test('produce and fetch are answered by the leader only; other nodes say NOT_LEADER_OR_FOLLOWER with the leader', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const cs = await clients(t, b);
  t.equal((await createTopic(cs.get(0)!, 'led', 1, 2)).errorCode, 0);
  const leader = b.cluster.topic('led')!.partitions[0]!.leader;
  for (const [id, c] of cs) {
    const res = await produce(c, 'led', 0, batch(['x']), { version: 11 });
    if (id === leader) t.equal(res.errorCode, ErrorCode.NONE, `the leader (${id}) appends`);
    else {
      t.equal(res.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${id} refuses`);
      t.equal(res.currentLeader.leaderId, leader, 'and names the leader (KIP-951)');
    }
  }
  for (const [id, c] of cs) {
    const res = await c.call(1, 16, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      topics: [{ topicId: b.cluster.topic('led')!.id, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    });
    const p = res.responses[0].partitions[0];
    if (id === leader) t.equal(batchesOf(p.records).length, 1, 'the leader serves the record');
    else {
      t.equal(p.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      t.same(res.nodeEndpoints.map((n: any) => [n.nodeId, n.port]), [[leader, b.nodes.find(n => n.nodeId === leader)!.port]], 'the leader\'s endpoint');
    }
  }
});

t.test('coordinators: FindCoordinator on any node names the same node; the others answer NOT_COORDINATOR', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const cs = await clients(t, b);
  const coordinators = new Set<number>();
  for (const group of ['g-a', 'g-b', 'g-c', 'g-d', 'g-e', 'g-f']) {
    const answers = [];
    for (const c of cs.values()) answers.push((await c.call(10, 4, { keyType: 0, coordinatorKeys: [group] })).coordinators[0]);
    t.same(new Set(answers.map(a => `${a.nodeId}:${a.port}`)).size, 1, `${group}: one answer from every node`);
    const coordinator = answers[0].nodeId;
    coordinators.add(coordinator);
    t.equal(answers[0].port, b.nodes.find(n => n.nodeId === coordinator)!.port);
    for (const [id, c] of cs) {
      const res = await c.call(12, 4, { groupId: group, generationId: 1, memberId: 'm' });
      t.equal(res.errorCode, id === coordinator ? ErrorCode.UNKNOWN_MEMBER_ID : ErrorCode.NOT_COORDINATOR, `${group} heartbeat at node ${id}`);
    }
  }
  t.ok(coordinators.size > 1, `groups are coordinated by several nodes (${[...coordinators]})`);
});

t.test('a node stops and starts: its port refuses, leadership moves at a new epoch, the node comes back in sync', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const cs = await clients(t, b);
  t.equal((await createTopic(cs.get(0)!, 'moving', 3, 2)).errorCode, 0);
  const topic = b.cluster.topic('moving')!;
  const p = topic.partitions.find(x => x.leader === 1)!;
  const epoch = p.leaderEpoch;
  const leaderClient = cs.get(1)!;
  t.equal((await produce(leaderClient, 'moving', p.index, batch(['before']))).errorCode, 0);

  await b.stopNode(1);
  await leaderClient.waitClosed();
  t.notOk(b.nodes[1]!.running);
  await t.rejects(TestClient.connect(b.nodes[1]!.bootstrap), 'the stopped node refuses connections');
  t.not(p.leader, 1, 'another replica leads');
  t.ok(p.replicas.includes(p.leader));
  t.equal(p.leaderEpoch, epoch + 1, 'at the next leader epoch');
  t.notOk(p.isr.includes(1), 'the stopped node left the ISR');
  const other = cs.get(p.leader)!;
  const md = await metadata(other, ['moving']);
  t.same(md.brokers.map((x: any) => x.nodeId).sort(), [0, 2], 'Metadata lists the running nodes');
  const mp = md.topics[0].partitions[p.index];
  t.equal(mp.leaderId, p.leader);
  t.same(mp.offlineReplicas, [1]);
  t.equal((await produce(other, 'moving', p.index, batch(['after']))).errorCode, 0, 'the new leader appends');
  const fetched = await fetchOne(other, 'moving', p.index, 0);
  t.same(batchesOf(fetched.records).flatMap(x => x.records.map(r => r.value?.toString())), ['before', 'after'], 'nothing written before the stop is lost');
  // a stale leader epoch is fenced
  const stale = await fetchOne(other, 'moving', p.index, 0, { currentLeaderEpoch: epoch });
  t.equal(stale.errorCode, ErrorCode.FENCED_LEADER_EPOCH);

  await b.startNode(1);
  t.ok(b.nodes[1]!.running);
  const back = await connect(t, b.nodes[1]!.bootstrap);
  t.ok(p.isr.includes(1), 'back in the ISR');
  t.same((await metadata(back)).brokers.map((x: any) => x.nodeId), [0, 1, 2]);

  b.moveLeader('moving', p.index, 1);
  t.equal(p.leader, 1);
  t.equal(p.leaderEpoch, epoch + 2);
  t.equal((await produce(back, 'moving', p.index, batch(['moved back']))).errorCode, 0);
  t.throws(() => b.moveLeader('moving', p.index, 9), /not a replica/, 'a node that is not a replica cannot lead');
});

t.test('a partition whose replicas all stopped has no leader until one starts', async t => {
  const b = await testBroker(t, { nodes: 2 });
  const c0 = await connect(t, b.nodes[0]!.bootstrap);
  const res = await c0.call(19, 7, { topics: [{ name: 'solo', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [] }] });
  t.equal(res.topics[0].errorCode, 0);
  await b.stopNode(1);
  const md = await metadata(c0, ['solo']);
  t.equal(md.topics[0].partitions[0].leaderId, -1);
  t.equal(md.topics[0].partitions[0].errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
  t.same(md.topics[0].partitions[0].isrNodes, [1], 'the last in-sync replica stays in the ISR');
  t.equal((await produce(c0, 'solo', 0, batch(['x']))).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await b.startNode(1);
  t.equal(b.cluster.topic('solo')!.partitions[0]!.leader, 1, 'the replica leads again when it starts');
});

t.test('group state follows its coordinator: committed offsets are read back by the next one', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const cs = await clients(t, b);
  t.equal((await createTopic(cs.get(0)!, 'offsets-topic', 1, 1)).errorCode, 0);
  const find = async () => (await cs.get(0)!.call(10, 4, { keyType: 0, coordinatorKeys: ['follow'] })).coordinators[0];
  const first = await find();
  const commit = await cs.get(first.nodeId)!.call(8, 8, {
    groupId: 'follow',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: [{ name: 'offsets-topic', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
  });
  t.equal(commit.topics[0].partitions[0].errorCode, 0);
  await b.stopNode(first.nodeId);
  const next = await waitFor(async () => {
    const c = await find();
    return c.errorCode === 0 ? c : null;
  });
  t.not(next.nodeId, first.nodeId, 'another node coordinates the group');
  const fetched = await waitFor(async () => {
    const res = await cs.get(next.nodeId)!.call(9, 8, { groups: [{ groupId: 'follow', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    return res.groups[0].errorCode === 0 ? res : null;
  });
  const o = fetched.groups[0].topics[0].partitions[0];
  t.equal(o.committedOffset, 42, 'the new coordinator read the commit back from the log');
  t.equal(o.metadata, 'm');
  await b.startNode(first.nodeId);
});

t.test('disk mode: leadership and leader epochs survive a restart', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-nodes-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const b1 = await testBroker(t, { nodes: 3, dataDir });
  const c = await connect(t, b1.nodes[0]!.bootstrap);
  t.equal((await createTopic(c, 'kept', 3, 3)).errorCode, 0);
  await b1.stopNode(2);
  await b1.startNode(2);
  const before = b1.cluster.topic('kept')!.partitions.map(p => [p.leader, p.leaderEpoch]);
  t.ok(before.some(([, e]) => e! > 0), 'some leader epoch moved');
  await b1.close();
  const b2 = await testBroker(t, { nodes: 3, dataDir });
  t.same(b2.cluster.topic('kept')!.partitions.map(p => [p.leader, p.leaderEpoch]), before);
  await b2.close();
  // fewer nodes: what the missing node led moves to a live replica
  const b3 = await testBroker(t, { nodes: 2, dataDir });
  for (const p of b3.cluster.topic('kept')!.partitions) t.ok(p.leader === 0 || p.leader === 1, `partition ${p.index} led by a node of this run`);
});

t.test('configuration: per-node listeners, samsa.nodes, bad layouts refused', async t => {
  const b = await testBroker(t, { config: { 'samsa.nodes': 2 } });
  t.equal(b.nodes.length, 2);
  const named = await testBroker(t, {
    nodes: 2,
    config: {
      listeners: 'CLIENT://127.0.0.1:0',
      'listener.security.protocol.map': 'CLIENT:PLAINTEXT',
      'samsa.node.1.broker.rack': 'r1',
    },
  });
  const c = await connect(t, named.nodes[1]!.bootstrap);
  const md = await metadata(c);
  t.same(md.brokers.map((x: any) => [x.nodeId, x.rack]), [[0, null], [1, 'r1']]);
  await t.rejects(testBroker(t, { nodes: 2, ports: [0] }), /2 nodes/);
  await t.rejects(testBroker(t, { config: { listeners: 'SSL://127.0.0.1:0' } }), /listener SSL: an SSL listener needs a private key and certificate/);
  await t.rejects(testBroker(t, { config: { listeners: 'X://127.0.0.1:0', 'listener.security.protocol.map': 'X:TLS' } }), /TLS \(of listener X\) is not a security protocol/);
  await t.rejects(testBroker(t, { config: { listeners: 'OTHER://127.0.0.1:0' } }), /no security protocol/);
  await t.rejects(testBroker(t, { nodes: 2, config: { 'samsa.node.5.broker.rack': 'x' } }), /no node 5/);
});
