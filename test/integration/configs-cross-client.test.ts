// The config admin APIs from real clients: kafkajs 2.2.4's admin (describeConfigs: DescribeConfigs
// v2; alterConfigs: AlterConfigs v1) and confluent-kafka-python's AdminClient (describe_configs,
// alter_configs, and incremental_alter_configs where the library has it: 2.2 and later; the
// system's 1.7.0 does not, which leaves that test a todo). A topic config changed through
// each client is shown to take effect on what the broker accepts from a producer; broker configs
// are read back with their sources; refusals reach the client with Kafka's error.
//
// confluent-kafka-python is the system's (apt-get install -y python3-confluent-kafka), so the
// script runs with /usr/bin/python3; a missing library skips its tests with the reason, or fails
// them when SAMSA_REQUIRE_CROSS_CLIENT=1.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from another process, kafkajs results */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { adminFor, producerFor } from '../helpers/kafkajs-admin.js';
import type { RunningBroker } from '../../src/index.js';
import { testBroker } from '../helpers/broker.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { PYTHON, pythonModuleMissing, runProcess, unavailable } from '../helpers/processes.js';

const SCRIPT = fileURLToPath(new URL('./python/configs_client.py', import.meta.url));
const RUN_TIMEOUT_MS = 30_000;

// kafkajs's ConfigResourceTypes and ConfigSource
const TOPIC = 2;
const BROKER = 4;
const DYNAMIC_TOPIC_CONFIG = 1;
const DYNAMIC_BROKER_CONFIG = 2;
const DEFAULT_CONFIG = 5;

async function python(broker: RunningBroker, command: string, req: unknown): Promise<any> {
  const r = await runProcess(PYTHON, [SCRIPT, command, broker.bootstrap], { input: JSON.stringify(req), timeoutMs: RUN_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`configs_client.py ${command} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const [confluentMissing, incrementalMissing] = await Promise.all([
  pythonModuleMissing('confluent_kafka'),
  unavailable(PYTHON, ['-c', 'from confluent_kafka.admin import AlterConfigOpType']),
]);

// ---------------------------------------------------------------------------------------------
// kafkajs

const kafkaFor = (broker: RunningBroker): Kafka =>
  new Kafka({ clientId: 'samsa-configs-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });

/** What a kafkajs call failed with: the Kafka error type, from the error or the one it wraps. */
async function failure(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err: any) {
    return err.type ?? err.cause?.type ?? err.originalError?.type ?? err.name;
  }
}

t.test('kafkajs: describeConfigs and alterConfigs, and the producer feels the change', async t => {
  const broker = await testBroker(t);
  const kafka = kafkaFor(broker);
  const admin = await adminFor(t, kafka);
  await admin.createTopics({ topics: [{ topic: 'kjs-configs', numPartitions: 1 }] });

  const described = await admin.describeConfigs({ resources: [{ type: TOPIC, name: 'kjs-configs', configNames: ['retention.ms', 'max.message.bytes'] }], includeSynonyms: true });
  const entries = new Map(described.resources[0]!.configEntries.map((e: any) => [e.configName, e]));
  t.same([...entries.keys()].sort(), ['max.message.bytes', 'retention.ms'], 'the configs asked for');
  t.same([entries.get('retention.ms').configValue, entries.get('retention.ms').configSource, entries.get('retention.ms').readOnly], ['604800000', DEFAULT_CONFIG, false]);
  t.same(entries.get('max.message.bytes').configSynonyms.map((s: any) => [s.configName, s.configValue, s.configSource]), [['message.max.bytes', '1048588', DEFAULT_CONFIG]], 'its broker synonym');

  const producer = await producerFor(t, kafka);
  const big = { value: 'x'.repeat(3000) };
  t.equal(await failure(producer.send({ topic: 'kjs-configs', messages: [big] })), null, 'a 3000-byte message is accepted');
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'kjs-configs', configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
  const after = await admin.describeConfigs({ resources: [{ type: TOPIC, name: 'kjs-configs', configNames: ['max.message.bytes'] }], includeSynonyms: false });
  t.same([after.resources[0]!.configEntries[0]!.configValue, after.resources[0]!.configEntries[0]!.configSource], ['1000', DYNAMIC_TOPIC_CONFIG], 'described as the topic\'s own');
  t.equal(await failure(producer.send({ topic: 'kjs-configs', messages: [big] })), 'MESSAGE_TOO_LARGE', 'now refused');
  await admin.alterConfigs({ validateOnly: true, resources: [{ type: TOPIC, name: 'kjs-configs', configEntries: [{ name: 'max.message.bytes', value: '100000' }] }] });
  t.equal(await failure(producer.send({ topic: 'kjs-configs', messages: [big] })), 'MESSAGE_TOO_LARGE', 'validateOnly changed nothing');
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'kjs-configs', configEntries: [{ name: 'max.message.bytes', value: '100000' }] }] });
  t.equal(await failure(producer.send({ topic: 'kjs-configs', messages: [big] })), null, 'accepted again');

  // the broker: a dynamic config on this node, read back with its source; a read-only one refused
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '0', configEntries: [{ name: 'log.retention.ms', value: '86400000' }] }] });
  const brokerConfigs = await admin.describeConfigs({ resources: [{ type: BROKER, name: '0', configNames: ['log.retention.ms', 'node.id'] }], includeSynonyms: false });
  const b = new Map(brokerConfigs.resources[0]!.configEntries.map((e: any) => [e.configName, [e.configValue, e.configSource, e.readOnly]]));
  t.same(b.get('log.retention.ms'), ['86400000', DYNAMIC_BROKER_CONFIG, false]);
  t.same(b.get('node.id'), ['0', DEFAULT_CONFIG, true]);
  t.equal(broker.broker.cluster.topic('kjs-configs')!.settings.log.retentionMs, 86400000, 'the topic\'s retention follows the broker\'s');
  t.equal(await failure(admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '0', configEntries: [{ name: 'node.id', value: '3' }] }] })), 'INVALID_REQUEST', 'a read-only config');
  t.equal(await failure(admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'kjs-configs', configEntries: [{ name: 'retention.ms', value: '-7' }] }] })), 'INVALID_CONFIG', 'an out-of-range value');
  t.equal(await failure(admin.describeConfigs({ resources: [{ type: TOPIC, name: 'kjs-none' }], includeSynonyms: false })), 'UNKNOWN_TOPIC_OR_PARTITION', 'an unknown topic');
  t.same(Object.fromEntries(broker.broker.cluster.topic('kjs-configs')!.configs), { 'max.message.bytes': '100000' }, 'the refusals changed nothing');
});

// ---------------------------------------------------------------------------------------------
// confluent-kafka-python

crossClientTest(t, 'confluent-kafka-python: describe_configs and alter_configs, and the producer feels the change', 'confluent-kafka-python', confluentMissing, async t => {
  const broker = await testBroker(t);
  const admin = await adminFor(t, kafkaFor(broker));
  await admin.createTopics({ topics: [{ topic: 'py-configs', numPartitions: 1 }] });

  const topic = await python(broker, 'describe', { type: 'topic', name: 'py-configs' });
  t.equal(topic.error, null);
  t.same([topic.configs['retention.ms'].value, topic.configs['retention.ms'].source, topic.configs['retention.ms'].read_only], ['604800000', String(DEFAULT_CONFIG), false]);
  t.ok(Object.keys(topic.configs).length >= 30, 'every topic config');

  t.same(await python(broker, 'produce', { topic: 'py-configs', size: 3000 }), { error: null }, 'a 3000-byte message is accepted');
  t.same(await python(broker, 'alter', { type: 'topic', name: 'py-configs', configs: { 'max.message.bytes': '1000' } }), { error: null });
  t.equal(broker.broker.cluster.topic('py-configs')!.settings.maxMessageBytes, 1000);
  t.same(await python(broker, 'produce', { topic: 'py-configs', size: 3000 }), { error: 'MSG_SIZE_TOO_LARGE' }, 'now refused by the broker');
  t.same(await python(broker, 'alter', { type: 'topic', name: 'py-configs', configs: { 'max.message.bytes': '100000' }, validate_only: true }), { error: null }, 'validate_only');
  t.same(await python(broker, 'produce', { topic: 'py-configs', size: 3000 }), { error: 'MSG_SIZE_TOO_LARGE' }, 'which changed nothing');
  t.same(await python(broker, 'alter', { type: 'topic', name: 'py-configs', configs: { 'max.message.bytes': '100000' } }), { error: null });
  t.same(await python(broker, 'produce', { topic: 'py-configs', size: 3000 }), { error: null }, 'accepted again');

  const refused = await python(broker, 'alter', { type: 'topic', name: 'py-configs', configs: { 'no.such.config': '1' } });
  t.same(refused.error, { code: 40, name: 'INVALID_CONFIG', text: 'Unknown topic config name: no.such.config' }, 'an unknown name');
  const readOnly = await python(broker, 'alter', { type: 'broker', name: '0', configs: { 'num.partitions': '4' } });
  t.same(readOnly.error, { code: 42, name: 'INVALID_REQUEST', text: 'Cannot update these configs dynamically: Set(num.partitions)' }, 'a read-only broker config');

  t.same(await python(broker, 'alter', { type: 'broker', name: '0', configs: { 'log.retention.ms': '3600000' } }), { error: null });
  const brokerConfigs = await python(broker, 'describe', { type: 'broker', name: '0' });
  t.same([brokerConfigs.configs['log.retention.ms'].value, brokerConfigs.configs['log.retention.ms'].source], ['3600000', String(DYNAMIC_BROKER_CONFIG)]);
  t.same([brokerConfigs.configs['node.id'].value, brokerConfigs.configs['node.id'].read_only], ['0', true]);
  t.equal(broker.broker.cluster.topic('py-configs')!.settings.log.retentionMs, 3600000);
  t.same((await python(broker, 'describe', { type: 'topic', name: 'py-none' })).error, 'UNKNOWN_TOPIC_OR_PART', 'an unknown topic');
});

const incrementalTest = async (t: Test) => {
  const broker = await testBroker(t);
  const admin = await adminFor(t, kafkaFor(broker));
  await admin.createTopics({ topics: [{ topic: 'py-incremental', numPartitions: 1 }] });
  t.same(await python(broker, 'incremental', { type: 'topic', name: 'py-incremental', ops: [['max.message.bytes', 'SET', '1000'], ['cleanup.policy', 'APPEND', 'compact']] }), { error: null });
  t.same(Object.fromEntries(broker.broker.cluster.topic('py-incremental')!.configs), { 'max.message.bytes': '1000', 'cleanup.policy': 'delete,compact' });
  t.same(await python(broker, 'produce', { topic: 'py-incremental', size: 3000 }), { error: 'MSG_SIZE_TOO_LARGE' }, 'the broker refuses what the new limit forbids');
  const refused = await python(broker, 'incremental', { type: 'topic', name: 'py-incremental', ops: [['retention.ms', 'APPEND', '5']] });
  t.same(refused.error?.name, 'INVALID_CONFIG', 'APPEND to a non-list');
  t.same(await python(broker, 'incremental', { type: 'topic', name: 'py-incremental', ops: [['max.message.bytes', 'DELETE', null]] }), { error: null });
  t.same(await python(broker, 'produce', { topic: 'py-incremental', size: 3000 }), { error: null }, 'accepted once the topic\'s limit is removed');
  t.same(await python(broker, 'incremental', { type: 'broker', name: '', ops: [['log.retention.ms', 'SET', '7200000']] }), { error: null }, 'the cluster-wide default');
  t.equal(broker.broker.cluster.topic('py-incremental')!.settings.log.retentionMs, 7200000);
};
// the system's confluent-kafka-python (1.7.0) predates incremental_alter_configs: a todo, not a
// failure, when it is the library that lacks the call
if (confluentMissing === null && incrementalMissing !== null) {
  t.test('confluent-kafka-python: incremental_alter_configs', { todo: `this confluent-kafka-python has no incremental_alter_configs (2.2 and later have it): ${incrementalMissing}` }, async () => {});
} else crossClientTest(t, 'confluent-kafka-python: incremental_alter_configs', 'confluent-kafka-python', confluentMissing, incrementalTest);
