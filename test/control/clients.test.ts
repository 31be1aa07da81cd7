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
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, waitFor } from '../helpers/broker.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { decodeBatches } from '../../src/protocol/records.js';
import type { RunningBroker } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python/idempotent_producer.py', import.meta.url));
const RETRY = { retries: 10, initialRetryTime: 50, maxRetryTime: 500 };

/** Runs a command; resolves with its exit code and output. The child is killed by its PID after `timeoutMs`, and when the test file ends. */
const live = new Set<number>();
t.teardown(() => {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});
function run(cmd: string, args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const pid = child.pid!;
    live.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms; stdout ${stdout}; stderr ${stderr}`));
    }, timeoutMs);
    child.on('error', err => {
      clearTimeout(timer);
      live.delete(pid);
      reject(err);
    });
    child.on('close', code => {
      clearTimeout(timer);
      live.delete(pid);
      resolve({ code, stdout, stderr });
    });
  });
}

const confluentMissing = await run(PYTHON, ['-c', 'import confluent_kafka'], 10_000).then(
  r => (r.code === 0 ? null : `\`${PYTHON} -c "import confluent_kafka"\` exited with ${r.code}: ${r.stderr.trim().split('\n').pop()}`),
  err => `${PYTHON} cannot run: ${(err as Error).message}`,
);

/** Every value in the topic's log, read from the partitions' logs themselves. */
async function logValues(b: RunningBroker, topic: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of b.cluster.topic(topic)!.partitions) {
    let offset = p.log.logStartOffset;
    while (offset < p.log.highWatermark) {
      const read = await p.log.read(offset, 1 << 20, true, p.log.highWatermark);
      const before = offset;
      for (const bytes of read.records) {
        for (const batch of decodeBatches(bytes)) {
          offset = Math.max(offset, batch.baseOffset + batch.lastOffsetDelta + 1);
          for (const r of batch.records) out.push(r.value!.toString());
        }
      }
      if (offset === before) break;
    }
  }
  return out;
}

/** Values 0 … count-1 are each in the log exactly once, and nothing else is. */
async function checkExactlyOnce(t: Test, b: RunningBroker, topic: string, count: number): Promise<void> {
  const values = (await logValues(b, topic)).map(Number).sort((x, y) => x - y);
  t.same(values, Array.from({ length: count }, (_, i) => i), `${topic}: each of the ${count} values once`);
}

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
  const res = await run(PYTHON, [SCRIPT, b.bootstrapServers, topic, '12']);
  t.equal(res.code, 0, res.stderr);
  const report = JSON.parse(res.stdout.trim().split('\n').pop()!);
  t.same(report, { delivered: 12, errors: [] }, 'every message delivered, none failed');
  t.same(b.control.faults(), [], 'every injected fault was met');
  await checkExactlyOnce(t, b, topic, 12);
});
