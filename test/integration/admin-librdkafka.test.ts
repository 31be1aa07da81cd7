// librdkafka's own admin API against a three-node Samsa: DescribeCluster, ElectLeaders and
// IncrementalAlterConfigs (read back with DescribeConfigs), the calls confluent-kafka-python's
// AdminClient makes. The system's confluent-kafka-python (1.7.0, librdkafka 2.0.2) predates them,
// so python/librdkafka_admin.py calls the C library through ctypes: the librdkafka 2.12.0 that
// node-rdkafka builds from source (node_modules/node-rdkafka/build/deps/librdkafka.so.1).
// librdkafka answers DescribeCluster from a Metadata request (v13; v10 when authorized operations
// are wanted), sends ElectLeaders (v2) to the controller, and IncrementalAlterConfigs (v1) and
// DescribeConfigs (v1, with synonyms) to the node a BROKER resource names, else to any node.
//
// What the library reports is checked against the broker's state (leaders, configs, node ids and
// ports) and Kafka 4.1's answers: ELECTION_NOT_NEEDED, UNKNOWN_TOPIC_OR_PARTITION,
// PREFERRED_LEADER_NOT_AVAILABLE and ELIGIBLE_LEADERS_NOT_AVAILABLE from elections; INVALID_CONFIG
// for an unknown topic config, which changes nothing. Samsa's stopped nodes rejoin the ISR when
// they start, so an unclean election that elects cannot arise: unclean is shown needing no
// election, and finding no live replica.
//
// The script runs with /usr/bin/python3 (standard library only); without the library or Python
// the tests are skipped with the reason, or fail when SAMSA_REQUIRE_CROSS_CLIENT=1.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from another process */
import t from 'tap';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { adminFor } from '../helpers/kafkajs-admin.js';
import type { RunningBroker } from '../../src/index.js';
import { testBroker } from '../helpers/broker.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { PYTHON, runProcess, unavailable } from '../helpers/processes.js';

const SCRIPT = fileURLToPath(new URL('./python/librdkafka_admin.py', import.meta.url));
const LIBRDKAFKA = fileURLToPath(new URL('../../node_modules/node-rdkafka/build/deps/librdkafka.so.1', import.meta.url));
const RUN_TIMEOUT_MS = 30_000;

// Kafka's error codes
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const INVALID_CONFIG = 40;
const PREFERRED_LEADER_NOT_AVAILABLE = 80;
const ELIGIBLE_LEADERS_NOT_AVAILABLE = 83;
const ELECTION_NOT_NEEDED = 84;

async function admin(broker: RunningBroker, command: string, req: unknown): Promise<any> {
  const r = await runProcess(PYTHON, [SCRIPT, command, broker.bootstrapServers, LIBRDKAFKA], { input: JSON.stringify(req), timeoutMs: RUN_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`librdkafka_admin.py ${command} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const missing = fs.existsSync(LIBRDKAFKA)
  ? await unavailable(PYTHON, [SCRIPT, 'version', '-', LIBRDKAFKA])
  : `${LIBRDKAFKA} is not there (node-rdkafka builds it when installed)`;
const WHAT = 'librdkafka 2.x from node-rdkafka, and /usr/bin/python3';

const kafkaFor = (broker: RunningBroker): Kafka =>
  new Kafka({ clientId: 'samsa-librdkafka-admin-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });

/** [topic, partition, error code, error text] of each partition librdkafka reports, in its order. */
const elected = (res: any): [string, number, number, string | null][] => res.partitions.map((p: any) => [p.topic, p.partition, p.error?.code ?? 0, p.error?.text ?? null]);

crossClientTest(t, 'librdkafka: DescribeCluster', WHAT, missing, async t => {
  const broker = await testBroker(t, { nodes: 3, config: { 'samsa.node.2.broker.rack': 'rack-2' } });
  const described = await (await adminFor(t, kafkaFor(broker))).describeCluster();

  const res = await admin(broker, 'describe-cluster', {});
  t.equal(res.error, null);
  t.equal(res.cluster_id, broker.clusterId, 'the cluster id Samsa reports');
  t.equal(res.cluster_id, described.clusterId, 'and kafkajs reads');
  t.same(res.controller, { id: 0, host: '127.0.0.1', port: broker.nodes[0]!.port, rack: null }, 'the controller');
  t.equal(res.controller.id, described.controller);
  const byId = [...res.nodes].sort((a: any, b: any) => a.id - b.id);
  t.same(byId, broker.nodes.map(n => ({ id: n.nodeId, host: '127.0.0.1', port: n.port, rack: n.nodeId === 2 ? 'rack-2' : null })), 'every node, its port and rack');
  t.equal(res.authorized_operations, null, 'no authorized operations unless asked for');

  // asked for, librdkafka drops to Metadata v10; with no authorizer every cluster operation is allowed
  const withOps = await admin(broker, 'describe-cluster', { include_authorized_operations: true });
  t.equal(withOps.error, null);
  // librdkafka's AclOperation: CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10,
  // ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12: Kafka's operations on the cluster resource, all of them
  t.same(withOps.authorized_operations, [5, 7, 8, 9, 10, 11, 12], 'every cluster operation');

  await broker.stopNode(2);
  const after = await admin(broker, 'describe-cluster', {});
  t.same(after.nodes.map((n: any) => n.id).sort(), [0, 1], 'a stopped node is not listed');
  t.equal(after.controller.id, 0);
});

crossClientTest(t, 'librdkafka: ElectLeaders, preferred and unclean', WHAT, missing, async t => {
  const broker = await testBroker(t, { nodes: 3 });
  const kafka = await adminFor(t, kafkaFor(broker));
  await kafka.createTopics({
    topics: [
      { topic: 'elect', numPartitions: 2, replicationFactor: 3 },
      { topic: 'elect-solo', replicaAssignment: [{ partition: 0, replicas: [2] }] },
    ],
  });
  const parts = broker.cluster.topic('elect')!.partitions;
  const preferred = parts[0]!.replicas[0]!;
  t.equal(parts[0]!.replicas.length, 3, 'replication factor 3');
  t.equal(parts[0]!.leader, preferred, 'the preferred replica leads at first');
  const other = parts[0]!.replicas[1]!;
  broker.moveLeader('elect', 0, other);
  const epoch = parts[0]!.leaderEpoch;
  const leaderOf = async (partition: number): Promise<number> => {
    const md = await kafka.fetchTopicMetadata({ topics: ['elect'] });
    return md.topics[0]!.partitions.find(p => p.partitionId === partition)!.leader;
  };
  t.equal(await leaderOf(0), other, 'moved away from its preferred replica');

  const res = await admin(broker, 'elect-leaders', { type: 'PREFERRED', partitions: [['elect', 0]] });
  t.equal(res.error, null);
  t.same(elected(res), [['elect', 0, 0, null]], 'elected');
  t.equal(await leaderOf(0), preferred, 'the first replica leads again');
  t.equal(parts[0]!.leaderEpoch, epoch + 1, 'in a new leader epoch');

  const again = await admin(broker, 'elect-leaders', { type: 'PREFERRED', partitions: [['elect', 0], ['elect', 1]] });
  t.same(elected(again), [
    ['elect', 0, ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.'],
    ['elect', 1, ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.'],
  ], 'no election needed: each led by its preferred replica');
  t.equal(parts[0]!.leaderEpoch, epoch + 1, 'and no new epoch');

  const unknown = await admin(broker, 'elect-leaders', { type: 'PREFERRED', partitions: [['nope', 0], ['elect', 7]] });
  t.equal(unknown.error, null, 'no top-level error');
  t.same(elected(unknown), [
    ['nope', 0, UNKNOWN_TOPIC_OR_PARTITION, 'No such topic as nope'],
    ['elect', 7, UNKNOWN_TOPIC_OR_PARTITION, 'No such partition as elect-7'],
  ], 'an unknown topic, an unknown partition');

  const unclean = await admin(broker, 'elect-leaders', { type: 'UNCLEAN', partitions: [['elect', 1]] });
  t.same(elected(unclean).map(r => r.slice(0, 3)), [['elect', 1, ELECTION_NOT_NEEDED]], 'unclean: the leader is alive');

  // all partitions (NULL): only those an election changed are answered
  broker.moveLeader('elect', 1, parts[1]!.replicas[2]!);
  const all = await admin(broker, 'elect-leaders', { type: 'PREFERRED', partitions: null });
  t.equal(all.error, null);
  t.same(elected(all), [['elect', 1, 0, null]], 'the one partition not led by its preferred replica');
  t.equal(await leaderOf(1), parts[1]!.replicas[0], 'which its preferred replica leads again');
  t.same(elected(await admin(broker, 'elect-leaders', { type: 'PREFERRED', partitions: null })), [], 'then nothing to elect');

  // stopped nodes (not node 0, the controller librdkafka sends ElectLeaders to)
  t.equal((await admin(broker, 'describe-cluster', {})).controller.id, 0);
  const target = parts.find(p => p.replicas[0] !== 0)!;
  await broker.stopNode(target.replicas[0]!);
  t.not(target.leader, target.replicas[0], 'leadership moved off the stopped node');
  const down = await admin(broker, 'elect-leaders', { type: 'PREFERRED', partitions: [['elect', target.index]] });
  t.same(elected(down).map(r => r.slice(0, 3)), [['elect', target.index, PREFERRED_LEADER_NOT_AVAILABLE]], 'the preferred replica is stopped');
  await broker.startNode(target.replicas[0]!);

  await broker.stopNode(2);
  t.equal(broker.cluster.topic('elect-solo')!.partitions[0]!.leader, -1, 'elect-solo has no leader');
  const none = await admin(broker, 'elect-leaders', { type: 'UNCLEAN', partitions: [['elect-solo', 0]] });
  t.same(elected(none).map(r => r.slice(0, 3)), [['elect-solo', 0, ELIGIBLE_LEADERS_NOT_AVAILABLE]], 'unclean: no live replica to elect');
  const allDown = await admin(broker, 'elect-leaders', { type: 'UNCLEAN', partitions: null });
  t.same(elected(allDown).map(r => r.slice(0, 3)), [['elect-solo', 0, ELIGIBLE_LEADERS_NOT_AVAILABLE]], 'all partitions: only the one that could not be elected');
  await broker.startNode(2);
  t.equal(broker.cluster.topic('elect-solo')!.partitions[0]!.leader, 2, 'led again once its node starts');
});

crossClientTest(t, 'librdkafka: IncrementalAlterConfigs, read back with DescribeConfigs', WHAT, missing, async t => {
  const broker = await testBroker(t, { nodes: 3 });
  const kafka = await adminFor(t, kafkaFor(broker));
  await kafka.createTopics({ topics: [{ topic: 'iac', numPartitions: 1, replicationFactor: 3 }] });
  const own = () => Object.fromEntries(broker.cluster.topic('iac')!.configs);
  const alter = async (resources: unknown[], validateOnly = false) => {
    const res = await admin(broker, 'incremental-alter-configs', { resources, validate_only: validateOnly });
    t.equal(res.error, null, 'no request-level error');
    return res.resources.map((r: any) => [r.type, r.name, r.error === null ? 0 : r.error.code, r.error?.text ?? null]);
  };
  const describe = async (type: string, name: string, names?: string[]) => {
    const res = await admin(broker, 'describe-configs', { resources: [{ type, name, names }] });
    t.equal(res.error, null);
    t.equal(res.resources[0].error, null, `${type} ${name} described`);
    return res.resources[0].configs;
  };
  const topicConfigs = ['retention.ms', 'cleanup.policy', 'segment.ms'];
  const view = (configs: any) => Object.fromEntries(Object.entries(configs).map(([k, v]: [string, any]) => [k, [v.value, v.source, v.is_default]]));

  t.same(view(await describe('topic', 'iac', topicConfigs)), {
    'retention.ms': ['604800000', 'DEFAULT_CONFIG', true],
    'cleanup.policy': ['delete', 'DEFAULT_CONFIG', true],
    'segment.ms': ['604800000', 'DEFAULT_CONFIG', true],
  }, 'the defaults at first');

  t.same(await alter([{ type: 'topic', name: 'iac', ops: [['retention.ms', 'SET', '3600000'], ['cleanup.policy', 'APPEND', 'compact'], ['segment.ms', 'SET', '60000']] }]), [['topic', 'iac', 0, null]], 'SET and APPEND');
  t.same(own(), { 'retention.ms': '3600000', 'cleanup.policy': 'delete,compact', 'segment.ms': '60000' });
  t.same([broker.cluster.topic('iac')!.settings.log.retentionMs, broker.cluster.topic('iac')!.settings.log.compact], [3600000, true], 'applied at once');
  const set = await describe('topic', 'iac', topicConfigs);
  t.same(view(set), {
    'retention.ms': ['3600000', 'DYNAMIC_TOPIC_CONFIG', false],
    'cleanup.policy': ['delete,compact', 'DYNAMIC_TOPIC_CONFIG', false],
    'segment.ms': ['60000', 'DYNAMIC_TOPIC_CONFIG', false],
  }, 'described as the topic\'s own');
  t.same(set['retention.ms'].synonyms[0], ['retention.ms', '3600000', 'DYNAMIC_TOPIC_CONFIG'], 'its own value first among the synonyms');

  t.same(await alter([{ type: 'topic', name: 'iac', ops: [['cleanup.policy', 'SUBTRACT', 'delete'], ['segment.ms', 'DELETE', null]] }]), [['topic', 'iac', 0, null]], 'SUBTRACT and DELETE');
  t.same(own(), { 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
  t.same(view(await describe('topic', 'iac', topicConfigs)), {
    'retention.ms': ['3600000', 'DYNAMIC_TOPIC_CONFIG', false],
    'cleanup.policy': ['compact', 'DYNAMIC_TOPIC_CONFIG', false],
    'segment.ms': ['604800000', 'DEFAULT_CONFIG', true],
  }, 'the deleted config is back to its default');

  // refusals change nothing
  const before = own();
  t.same(await alter([{ type: 'topic', name: 'iac', ops: [['retention.ms', 'SET', '5'], ['no.such.config', 'SET', '1']] }]), [['topic', 'iac', INVALID_CONFIG, 'Unknown topic config name: no.such.config']], 'an unknown config name');
  t.same(await alter([{ type: 'topic', name: 'iac', ops: [['retention.ms', 'APPEND', '5']] }]), [['topic', 'iac', INVALID_CONFIG, 'Can\'t APPEND to key retention.ms because its type is not LIST.']], 'APPEND to a non-list');
  t.same(await alter([{ type: 'topic', name: 'nope', ops: [['retention.ms', 'SET', '5']] }]), [['topic', 'nope', UNKNOWN_TOPIC_OR_PARTITION, 'The topic \'nope\' does not exist.']], 'an unknown topic');
  t.same(await alter([{ type: 'topic', name: 'iac', ops: [['retention.ms', 'SET', '7']] }], true), [['topic', 'iac', 0, null]], 'validate_only');
  t.same(own(), before, 'nothing changed');
  t.equal((await describe('topic', 'iac', ['retention.ms']))['retention.ms'].value, '3600000', 'as DescribeConfigs shows');

  // a BROKER resource goes to the node it names: node 1's own dynamic config, with a topic beside it
  t.same(await alter([{ type: 'broker', name: '1', ops: [['log.cleaner.backoff.ms', 'SET', '1000']] }, { type: 'topic', name: 'iac', ops: [['retention.ms', 'SET', '7200000']] }]), [
    ['broker', '1', 0, null],
    ['topic', 'iac', 0, null],
  ], 'a broker and a topic in one request');
  t.same([broker.nodes[0]!.broker!.config.int('log.cleaner.backoff.ms'), broker.nodes[1]!.broker!.config.int('log.cleaner.backoff.ms')], [15000, 1000], 'node 1 has its own value; node 0 keeps the default');
  t.equal(own()['retention.ms'], '7200000');
  const node1 = await describe('broker', '1', ['log.cleaner.backoff.ms', 'node.id']);
  t.same([node1['log.cleaner.backoff.ms'].value, node1['log.cleaner.backoff.ms'].source, node1['log.cleaner.backoff.ms'].is_default], ['1000', 'DYNAMIC_BROKER_CONFIG', false], 'described by node 1 as its own');
  t.same([node1['node.id'].value, node1['node.id'].read_only], ['1', true], 'node 1 answered');
  const node0 = await describe('broker', '0', ['log.cleaner.backoff.ms']);
  t.same([node0['log.cleaner.backoff.ms'].value, node0['log.cleaner.backoff.ms'].source], ['15000', 'DEFAULT_CONFIG'], 'node 0 is unchanged');
  t.same(await alter([{ type: 'broker', name: '1', ops: [['log.cleaner.backoff.ms', 'DELETE', null]] }]), [['broker', '1', 0, null]], 'DELETE the node\'s own');
  t.equal(broker.nodes[1]!.broker!.config.int('log.cleaner.backoff.ms'), 15000, 'back to the default');
  t.same(await alter([{ type: 'broker', name: '0', ops: [['node.id', 'SET', '5']] }]), [['broker', '0', 42, 'Cannot update these configs dynamically: Set(node.id)']], 'a read-only broker config: INVALID_REQUEST');
});
