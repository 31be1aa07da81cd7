// Client quotas seen by real clients: kafkajs, confluent-kafka-python (librdkafka 2.0.2) and
// kafka-python 2.0.2 produce (and kafkajs and librdkafka consume) under a quota set with
// AlterClientQuotas, each notices the broker's throttle time its own way — kafkajs's client-side
// throttling (KIP-219), librdkafka's throttle_cb, kafka-python's produce-throttle-time metric —
// and every record arrives, checked with Samsa's own ListOffsets and Fetch.
//
// None of these clients has a quota admin API (kafkajs never had one; confluent-kafka-python 1.7
// and kafka-python 2.0.2 of Debian bookworm predate theirs), so the quotas are set and described
// with raw requests; the rate windows are made short (quota.window.num 2, quota.window.size.seconds
// 1) so a throttle lasts tens or hundreds of milliseconds. A missing Python library skips its test
// with the reason, or fails it when SAMSA_REQUIRE_CROSS_CLIENT=1.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from other processes, responses decoded at run time */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { ZERO_UUID, body, createTopic, latest, valuesOf } from '../helpers/kafka.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { PYTHON, pythonModuleMissing, runProcess } from '../helpers/processes.js';

const SCRIPT = fileURLToPath(new URL('./python/quota_client.py', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;
const COUNT = 8;
const SIZE = 1000;

async function py(command: string, req: unknown): Promise<any> {
  const r = await runProcess(PYTHON, [SCRIPT, command, broker.bootstrap], { input: JSON.stringify(req), timeoutMs: RUN_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`quota_client.py ${command} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-8000)}`);
  return JSON.parse(r.stdout);
}

const confluentMissing = await pythonModuleMissing('confluent_kafka');
const kafkaPythonMissing = await pythonModuleMissing('kafka');

const broker = await testBroker(t, { config: { 'quota.window.num': 2, 'quota.window.size.seconds': 1 } });
const raw = await testClient(t, broker);

/** Sets a client-id quota with a raw AlterClientQuotas v1 and checks DescribeClientQuotas v0 shows it. */
async function quota(t: Test, clientId: string, key: string, value: number): Promise<void> {
  const entity = [{ entityType: 'client-id', entityName: clientId }];
  const res = await raw.call(49, 1, { entries: [{ entity, ops: [{ key, value, remove: false }] }], validateOnly: false });
  t.same([res.entries[0].errorCode, res.entries[0].errorMessage], [0, null], `AlterClientQuotas: ${clientId} ${key}=${value}`);
  const d = await raw.call(48, 0, { components: [{ entityType: 'client-id', matchType: 0, match: clientId }], strict: true });
  t.same(
    d.entries.map((e: any) => e.values.map((v: any) => [v.key, v.value])),
    [[[key, value]]],
    'DescribeClientQuotas shows it',
  );
}

/** The values of partition 0 of `topic`, read with Samsa's own Fetch (no quota on this client). */
async function stored(topic: string): Promise<string[]> {
  const f = await raw.call(1, 12, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 0x7fffffff, replicaDirectoryId: ZERO_UUID }] }],
  });
  return valuesOf(f.responses[0].partitions[0].records).map(v => v.split(':')[0]!);
}

const expected = Array.from({ length: COUNT }, (_, i) => String(i));
const payload = (i: number) => `${i}:${'k'.repeat(SIZE - String(i).length - 1)}`;

t.test('kafkajs: its producer and consumer throttle themselves (KIP-219); nothing is lost', async t => {
  const topic = 'quota-kafkajs';
  await createTopic(raw, topic, 1);
  await quota(t, 'kjs-producer', 'producer_byte_rate', 3000);
  await quota(t, 'kjs-consumer', 'consumer_byte_rate', 2000);
  const throttles: number[] = [];
  const logCreator = () => (entry: { log: { message: string } }) => {
    const m = /Client side throttling in effect for (\d+)ms/.exec(entry.log.message);
    if (m) throttles.push(Number(m[1]));
  };
  const kafka = (clientId: string) => new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.DEBUG, logCreator, retry: { retries: 3 } });

  const producer = kafka('kjs-producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  for (let i = 0; i < COUNT; i++) await producer.send({ topic, messages: [{ value: payload(i), partition: 0 }] });
  t.ok(throttles.length > 0 && throttles.every(ms => ms > 0), `the producer was throttled ${throttles.length} times (${throttles.join(', ')} ms)`);
  t.equal(await latest(raw, topic), COUNT, 'every send was appended');
  t.same(await stored(topic), expected);

  throttles.length = 0;
  const consumer = kafka('kjs-consumer').consumer({ groupId: 'quota-kjs', maxBytes: 1 << 20 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const read: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void read.push(message.value!.toString().split(':')[0]!) });
  await waitFor(() => read.length >= COUNT, 30_000, 'kafkajs to read every record');
  t.same(read, expected, 'the consumer read every record once, in order');
  t.ok(throttles.length > 0, `the consumer was throttled ${throttles.length} times`);
});

crossClientTest(t, 'confluent-kafka-python: throttle_cb reports the broker\'s throttle time; nothing is lost', 'confluent-kafka-python', confluentMissing, async t => {
  const topic = 'quota-confluent';
  await createTopic(raw, topic, 1);
  await quota(t, 'rdk-producer', 'producer_byte_rate', 3000);
  await quota(t, 'rdk-consumer', 'consumer_byte_rate', 2000);
  const produced = await py('confluent_produce', { topic, client_id: 'rdk-producer', count: COUNT, size: SIZE });
  t.equal(produced.delivered, COUNT);
  t.ok(produced.throttles.some((ms: number) => ms > 0), `throttle_cb: ${produced.throttles.join(', ')} ms`);
  t.same(await stored(topic), expected, 'every record stored once, in order');
  const consumed = await py('confluent_consume', { topic, client_id: 'rdk-consumer', count: COUNT });
  t.same(consumed.values, expected, 'the consumer read every record');
  t.ok(consumed.throttles.some((ms: number) => ms > 0), `the consumer's throttle_cb: ${consumed.throttles.join(', ')} ms`);
});

crossClientTest(t, 'kafka-python: the producer records the broker\'s throttle time; nothing is lost', 'kafka-python', kafkaPythonMissing, async t => {
  const topic = 'quota-kafka-python';
  await createTopic(raw, topic, 1);
  await quota(t, 'kp-producer', 'producer_byte_rate', 3000);
  const produced = await py('kafka_python_produce', { topic, client_id: 'kp-producer', count: COUNT, size: SIZE });
  t.equal(produced.delivered, COUNT);
  t.ok(produced.throttle_max > 0, `produce-throttle-time-max ${produced.throttle_max} ms`);
  t.same(await stored(topic), expected, 'every record stored once, in order');
});

t.test('a client no quota names is not throttled', async t => {
  const topic = 'quota-none';
  await createTopic(raw, topic, 1);
  const p = await raw.call(0, 9, body(0, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: null }] }] }));
  t.equal(p.throttleTimeMs, 0, 'a client no quota names');
});
