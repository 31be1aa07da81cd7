// Clients recover from injected faults the way they do on Kafka: an idempotent kafkajs producer
// and an idempotent confluent-kafka-python (librdkafka) producer retry Produce requests answered
// NOT_LEADER_OR_FOLLOWER or REQUEST_TIMED_OUT, or whose connection closed after the append, and
// every value is in the log exactly once; a kafkajs consumer goes on after failed fetches. The
// log is checked by reading the partitions' logs, not by the clients' reports; each test checks
// that its rules were used up, so the faults did happen.
//
// A missing confluent-kafka-python skips its test with the reason, or fails it when
// SAMSA_REQUIRE_CROSS_CLIENT=1. The library is the system's: /usr/bin/python3.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from another process */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, waitFor } from '../helpers/broker.js';
import { checkExactlyOnce } from '../helpers/log-values.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { PYTHON, pythonModuleMissing, runProcess } from '../helpers/processes.js';
import type { RunningBroker } from '../../src/index.js';

const SCRIPT = fileURLToPath(new URL('./python/idempotent_producer.py', import.meta.url));
const RETRY = { retries: 10, initialRetryTime: 50, maxRetryTime: 500 };

const confluentMissing = await pythonModuleMissing('confluent_kafka');

async function cluster(t: Test, topic: string, partitions = 1): Promise<RunningBroker> {
  const b = await testBroker(t, { nodes: 3, config: { 'default.replication.factor': 3, 'offsets.topic.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 } });
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  return b;
}

t.test('an idempotent kafkajs producer retries injected Produce errors and dropped responses, and delivers each record once', async t => {
  const topic = 'kafkajs-injected';
  const b = await cluster(t, topic);
  const producer = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: RETRY }).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  let next = 0;
  const send = async (n: number) => {
    for (let i = 0; i < n; i++, next++) await producer.send({ topic, messages: [{ key: `k${next}`, value: String(next) }] });
  };
  await send(3);
  b.control.injectError({ apiKey: 'Produce', errorCode: 'NOT_LEADER_OR_FOLLOWER', topic, count: 3 });
  await send(3);
  t.same(b.control.faults(), [], 'NOT_LEADER_OR_FOLLOWER was answered three times');
  b.control.injectError({ apiKey: 'Produce', errorCode: 'REQUEST_TIMED_OUT', count: 2 });
  await send(3);
  t.same(b.control.faults(), [], 'REQUEST_TIMED_OUT was answered twice');
  // the append happens, the answer is lost: the retry is a duplicate the broker recognizes
  b.control.dropConnections({ apiKey: 'Produce', count: 2 });
  await send(3);
  t.same(b.control.faults(), [], 'two connections dropped after their produce was appended');
  await checkExactlyOnce(t, b, topic, next);
});

t.test('a kafkajs consumer goes on after injected Fetch errors', async t => {
  const topic = 'kafkajs-fetch-faults';
  const b = await cluster(t, topic, 2);
  const kafka = new Kafka({ brokers: b.nodes.map(n => n.bootstrap), logLevel: logLevel.NOTHING, retry: RETRY });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: String(i) })) });
  // retriable errors, as a consumer meets them while leadership moves (kafkajs's consumer crashes on a
  // non-retriable one such as UNKNOWN_SERVER_ERROR, here as on Kafka)
  b.control.injectError({ apiKey: 'Fetch', errorCode: 'NOT_LEADER_OR_FOLLOWER', topic, partition: 0, count: 2 });
  b.control.injectError({ apiKey: 'Fetch', errorCode: 'LEADER_NOT_AVAILABLE', topic, count: 1 });
  const consumer = kafka.consumer({ groupId: 'fetch-faults', heartbeatInterval: 200, maxWaitTimeInMs: 50, retry: RETRY });
  t.teardown(() => consumer.disconnect());
  const seen = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
  await waitFor(() => seen.size === 10, 30_000, 'the ten records');
  t.same(b.control.faults(), [], 'the fetch errors were answered');
  // and it keeps consuming what comes after
  await producer.send({ topic, messages: [{ partition: 0, value: '10' }, { partition: 1, value: '11' }] });
  await waitFor(() => seen.size === 12, 30_000, 'the records after');
  t.same([...seen].map(Number).sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => i));
});

crossClientTest(t, 'an idempotent confluent-kafka-python producer retries injected Produce errors and dropped responses, and delivers each record once', 'python3-confluent-kafka', confluentMissing, async t => {
  const topic = 'python-injected';
  const b = await cluster(t, topic);
  b.control.injectError({ apiKey: 'Produce', errorCode: 'NOT_LEADER_OR_FOLLOWER', topic, count: 2 });
  b.control.injectError({ apiKey: 'Produce', errorCode: 'REQUEST_TIMED_OUT', topic, count: 2 });
  b.control.dropConnections({ apiKey: 'Produce', count: 1 });
  const res = await runProcess(PYTHON, [SCRIPT, b.bootstrapServers, topic, '12'], { timeoutMs: 90_000 });
  t.equal(res.code, 0, res.stderr);
  const report = JSON.parse(res.stdout.trim().split('\n').pop()!);
  t.same(report, { delivered: 12, errors: [] }, 'every message delivered, none failed');
  t.same(b.control.faults(), [], 'every injected fault was met');
  await checkExactlyOnce(t, b, topic, 12);
});
