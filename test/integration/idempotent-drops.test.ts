// Idempotent producers whose connections drop after the broker appended a batch but before its
// answer arrived: the retry on a new connection must not append the records again. A DropProxy
// (test/helpers/drop-proxy.ts) stands between client and broker and loses chosen Produce
// responses, cutting the connection; the broker advertises the proxy (advertised.listeners), so
// the clients' every connection goes through it. Each test produces thousands of distinct values
// while dozens of responses are lost, then reads the partitions directly from the broker: every
// value exactly once, in the order sent, in batches of one producer whose sequence numbers run on
// without a gap or a repeat. Clients: kafkajs (idempotent, one request in flight), librdkafka
// through confluent-kafka-python (enable.idempotence, up to five in flight; skipped when the
// library is missing unless SAMSA_REQUIRE_CROSS_CLIENT=1), and the raw protocol, which replays
// batches whose answers were lost and checks each retry is answered with its original offset.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { DropProxy, everyKth, seeded } from '../helpers/drop-proxy.js';
import { ZERO_UUID, batch, body, createTopic, readContiguous } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CONTROL_BIT, type DecodedBatch } from '../../src/protocol/records.js';
import type { RunningBroker } from '../../src/index.js';
import { crossClientTest } from '../helpers/cross-client.js';

const PYTHON = '/usr/bin/python3';
const WAIT_MS = 45_000;

/** A broker that tells clients to connect through `proxy`, which forwards to it. */
async function behindProxy(t: Test, proxy: DropProxy): Promise<{ broker: RunningBroker; direct: TestClient }> {
  const broker = await testBroker(t, { config: { 'advertised.listeners': `PLAINTEXT://${proxy.address}` } });
  proxy.forwardTo(broker.bootstrap);
  return { broker, direct: await testClient(t, broker) };
}

/**
 * Reads every partition directly from the broker and checks it against what was sent: each
 * partition's values exactly once and in sending order, in data batches of one producer id and
 * epoch whose sequences start at 0 and run on without gap or repeat.
 */
async function checkExactlyOnce(t: Test, c: TestClient, topic: string, expected: string[][]): Promise<void> {
  for (const [p, want] of expected.entries()) {
    const { batches, end, problems } = await readContiguous(c, topic, p);
    t.same(problems, [], `${topic}-${p}: offsets contiguous up to ${end}`);
    const data = batches.filter(b => (b.attributes & CONTROL_BIT) === 0);
    const values = data.flatMap(b => b.records.map(r => r.value?.toString() ?? '<null>'));
    const seen = new Map<string, number>();
    for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([v, n]) => `${v} x${n}`);
    t.same(duplicated.slice(0, 10), [], `${topic}-${p}: no value appended twice (${duplicated.length} duplicated)`);
    const missing = want.filter(v => !seen.has(v));
    t.same(missing.slice(0, 10), [], `${topic}-${p}: no value lost (${missing.length} missing)`);
    t.ok(values.length === want.length && values.every((v, i) => v === want[i]), `${topic}-${p}: all ${want.length} values exactly once, in the order sent (read ${values.length})`);
    t.same(sequenceProblems(data).slice(0, 10), [], `${topic}-${p}: ${data.length} batches of one producer, sequences from 0 without gap or repeat`);
  }
}

function sequenceProblems(data: DecodedBatch[]): string[] {
  const out: string[] = [];
  if (data.length === 0) return out;
  const { producerId, producerEpoch } = data[0]!;
  let next = 0;
  for (const b of data) {
    if (b.producerId !== producerId || b.producerEpoch !== producerEpoch) out.push(`batch at ${b.baseOffset}: producer ${b.producerId}/${b.producerEpoch}, expected ${producerId}/${producerEpoch}`);
    if (b.baseSequence !== next) out.push(`batch at ${b.baseOffset}: sequence ${b.baseSequence}, expected ${next}`);
    next = b.baseSequence + b.records.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

t.test('kafkajs idempotent producer: lost Produce responses and cut connections append nothing twice', async t => {
  const proxy = await DropProxy.start(t, everyKth(5));
  const { direct } = await behindProxy(t, proxy);
  const TOPIC = 'kafkajs-drops';
  const PARTITIONS = 4;
  const MESSAGES = 2000;
  const PER_SEND = 20;
  await createTopic(direct, TOPIC, PARTITIONS);

  const kafka = new Kafka({
    clientId: 'samsa-drops',
    brokers: [proxy.address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 20, maxRetryTime: 300 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());

  const expected: string[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < MESSAGES; i += PER_SEND) {
    const messages = [];
    for (let j = i; j < Math.min(i + PER_SEND, MESSAGES); j++) {
      const value = `kafkajs-${j}`;
      messages.push({ partition: j % PARTITIONS, value });
      expected[j % PARTITIONS]!.push(value);
    }
    // each send is one Produce request for the four partitions, retried until answered
    const res = await producer.send({ topic: TOPIC, messages });
    if (res.some(r => r.errorCode !== 0)) throw new Error(`send at ${i}: ${JSON.stringify(res)}`);
  }
  t.comment(`kafkajs: ${proxy.produces} Produce requests through the proxy, ${proxy.dropped} responses lost, ${proxy.connections} connections`);
  t.ok(proxy.dropped >= 20, `the proxy lost ${proxy.dropped} Produce responses (at least 20) and cut as many connections`);
  t.ok(proxy.produces >= MESSAGES / PER_SEND + proxy.dropped, `every lost response was retried (${proxy.produces} Produce requests for ${MESSAGES / PER_SEND} sends)`);
  await checkExactlyOnce(t, direct, TOPIC, expected);
});

// ---------------------------------------------------------------------------------------------
// librdkafka through confluent-kafka-python

/** Produces `count` values `rdkafka-<i>` to partition i % partitions, flushing every `chunk`; prints a JSON summary. */
const RDKAFKA_PRODUCER = `
import json, sys
from confluent_kafka import Producer
req = json.loads(sys.stdin.readline())
p = Producer({
    'bootstrap.servers': sys.argv[1],
    'enable.idempotence': True,
    'linger.ms': 0,
    'batch.num.messages': req['chunk'],
    'retry.backoff.ms': 20,
    'reconnect.backoff.ms': 10,
    'reconnect.backoff.max.ms': 200,
    'message.timeout.ms': 60000,
    'log_level': 4,
})
failed = []
delivered = [0]
def report(err, msg):
    if err is not None:
        failed.append('%s: %s' % (msg.value().decode(), err))
    else:
        delivered[0] += 1
for i in range(req['count']):
    p.produce(req['topic'], value=('rdkafka-%d' % i).encode(), partition=i % req['partitions'], on_delivery=report)
    if (i + 1) % req['chunk'] == 0:
        left = p.flush(60)
        if left:
            raise SystemExit('%d messages not delivered' % left)
left = p.flush(60)
print(json.dumps({'delivered': delivered[0], 'failed': failed[:20], 'failedCount': len(failed), 'left': left}))
`;

/** Python processes still running: killed by their pid when the file's tests end. */
const live = new Set<ChildProcess>();
t.teardown(() => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Runs python with `input` on stdin; killed after `timeoutMs`. */
function python(args: string[], input: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    live.add(child);
    child.on('exit', () => live.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d));
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', err => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const confluentMissing = await python(['-c', 'import confluent_kafka'], '', 20_000).then(
  r => (r.code === 0 ? null : `\`${PYTHON} -c 'import confluent_kafka'\` exited with ${r.code}: ${r.stderr.trim().split('\n').pop()}`),
  (err: Error) => `${PYTHON} cannot run: ${err.message}`,
);

const withConfluent = (name: string, fn: (t: Test) => Promise<void>): void => crossClientTest(t, name, 'confluent-kafka-python', confluentMissing, fn);

withConfluent('librdkafka idempotent producer (up to five requests in flight): lost Produce responses and cut connections append nothing twice', async t => {
  // a seeded ~12% of the Produce requests lose their response
  const proxy = await DropProxy.start(t, seeded(0x5a45a, 0.12));
  const { direct } = await behindProxy(t, proxy);
  const TOPIC = 'rdkafka-drops';
  const PARTITIONS = 4;
  const MESSAGES = 2000;
  const CHUNK = 10;
  await createTopic(direct, TOPIC, PARTITIONS);

  const run = await python(['-c', RDKAFKA_PRODUCER, proxy.address], JSON.stringify({ topic: TOPIC, partitions: PARTITIONS, count: MESSAGES, chunk: CHUNK }) + '\n', WAIT_MS);
  if (run.code !== 0) throw new Error(`the librdkafka producer exited with ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr.slice(-8000)}`);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  t.comment(`librdkafka: ${proxy.produces} Produce requests through the proxy, ${proxy.dropped} responses lost, ${proxy.connections} connections`);
  t.same([summary.delivered, summary.failedCount, summary.failed, summary.left], [MESSAGES, 0, [], 0], `librdkafka reports all ${MESSAGES} messages delivered`);
  t.ok(proxy.dropped >= 10, `the proxy lost ${proxy.dropped} Produce responses (at least 10) and cut as many connections`);
  const expected: string[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < MESSAGES; i++) expected[i % PARTITIONS]!.push(`rdkafka-${i}`);
  await checkExactlyOnce(t, direct, TOPIC, expected);
});

// ---------------------------------------------------------------------------------------------
// The raw protocol: the retries a client makes, one by one

t.test('raw protocol: batches whose answers were lost, sent again on a new connection, get their original offsets', async t => {
  const proxy = await DropProxy.start(t);
  const { direct } = await behindProxy(t, proxy);
  const TOPIC = 'raw-drops';
  await createTopic(direct, TOPIC, 1);
  const init = await direct.call(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  t.equal(init.errorCode, ErrorCode.NONE, 'InitProducerId for an idempotent producer');
  const producerId = Number(init.producerId);
  const producerEpoch = init.producerEpoch;

  /** Batch i: three records at sequence 3i. */
  const batchAt = (i: number) =>
    batch([`raw-${i}-a`, `raw-${i}-b`, `raw-${i}-c`], { producerId, producerEpoch, baseSequence: 3 * i });
  const produceBody = (i: number) => body(0, { acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, topicId: ZERO_UUID, partitionData: [{ index: 0, records: batchAt(i) }] }] });
  const connections: TestClient[] = [];
  t.teardown(() => connections.forEach(c => c.close()));
  const viaProxy = async () => {
    const c = await TestClient.connect(proxy.address);
    connections.push(c);
    return c;
  };
  /** Sends batches `ids` pipelined on `c`; returns each answer's [error, base offset], null for those lost. */
  const pipeline = async (c: TestClient, ids: number[]): Promise<([number, number] | null)[]> => {
    const sent = ids.map(i => c.send(0, 9, produceBody(i)));
    const out: ([number, number] | null)[] = [];
    for (const id of sent) {
      const frame = await c.nextFrame(WAIT_MS);
      if (frame === null) {
        out.push(null);
        continue;
      }
      const p = TestClient.decode<any>(frame, 0, 9, id).responses[0].partitionResponses[0];
      out.push([p.errorCode, Number(p.baseOffset)]);
    }
    return out;
  };

  // five batches in flight on one connection; the answer to the third is lost, and the connection with it
  const base = proxy.produces;
  proxy.dropWhen = n => n === base + 3;
  const first = await pipeline(await viaProxy(), [0, 1, 2, 3, 4]);
  t.same(first, [[0, 0], [0, 3], null, null, null], 'the first two answered; the third\'s answer lost, the connection cut with the last two unanswered');
  t.equal(proxy.dropped, 1, 'the proxy lost one answer');
  // the third was appended (the broker answered it); the last two were on their way when the
  // connection went, and the broker may or may not have taken them: the offsets below are the same either way
  const { end: afterDrop } = await readContiguous(direct, TOPIC, 0);
  t.ok([9, 12, 15].includes(afterDrop), `the broker appended the three batches it answered, and perhaps the two unanswered (log end ${afterDrop})`);

  // the client retries the unanswered batches, in order, on a new connection
  proxy.dropWhen = () => false;
  const retried = await pipeline(await viaProxy(), [2, 3, 4]);
  t.same(retried, [[0, 6], [0, 9], [0, 12]], 'each retry answered NONE with the offset of its first append');
  // a retry of an answered batch still within the last five
  t.same(await pipeline(await viaProxy(), [1]), [[0, 3]], 'an older batch of the last five: its original offset');
  // the producer goes on
  t.same(await pipeline(await viaProxy(), [5]), [[0, 15]], 'the next batch appends at the log end');

  // a lost answer on every connection in turn: the same batch sent again and again
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = proxy.produces;
    proxy.dropWhen = n => n === before + 1;
    t.same(await pipeline(await viaProxy(), [6]), [null], `batch 6, attempt ${attempt + 1}: answer lost`);
  }
  proxy.dropWhen = () => false;
  t.same(await pipeline(await viaProxy(), [6]), [[0, 18]], 'batch 6 at last answered, at its first offset');

  const { batches, end } = await readContiguous(direct, TOPIC, 0);
  t.equal(end, 21, 'seven batches of three records: nothing appended twice');
  t.same(
    batches.map(b => [b.baseOffset, b.baseSequence, b.records.map(r => r.value!.toString())]),
    Array.from({ length: 7 }, (_, i) => [3 * i, 3 * i, [`raw-${i}-a`, `raw-${i}-b`, `raw-${i}-c`]]),
    'the log: each batch once, in order, at the offsets its answers gave',
  );
  t.equal(proxy.dropped, 4, 'four answers lost in all');
});
