// Idempotent producers over the wire: InitProducerId hands out producer ids (never reused, also
// across restarts in --data-dir mode), and Produce tracks each producer's sequence per partition
// from the batch header — a retried batch gets its first offsets again and is not appended twice,
// a gap is OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch INVALID_PRODUCER_EPOCH — and kafkajs's
// idempotent producer writes through it.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { createTopic, latest, produce, readContiguous } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker } from '../../src/index.js';
import { ManualClock } from '../../src/broker/clock.js';

const INIT_PRODUCER_ID = 22;

const initProducerId = (c: TestClient, body: Partial<{ transactionalId: string | null; producerId: number; producerEpoch: number }> = {}, version = 4): Promise<any> =>
  c.call(INIT_PRODUCER_ID, version, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, ...body });

/** A batch of `n` records from producer `pid` at `epoch`, starting at sequence `seq`. */
const batch = (pid: number, epoch: number, seq: number, n = 2, timestamp = Date.now()): Buffer =>
  encodeRecordBatch(
    Array.from({ length: n }, (_, i) => ({ value: `p${pid}-e${epoch}-s${seq + i}`, timestamp })),
    { producerId: pid, producerEpoch: epoch, baseSequence: seq, baseTimestamp: timestamp, maxTimestamp: timestamp },
  );

t.test('ApiVersions advertises InitProducerId v0-5', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const r = await c.call(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  const k = r.apiKeys.find((x: any) => x.apiKey === INIT_PRODUCER_ID);
  t.same([k.minVersion, k.maxVersion], [0, 5]);
});

t.test('InitProducerId: a new id at epoch 0 for every idempotent producer; Kafka\'s errors otherwise', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const a = await initProducerId(c, {}, 0);
  const b2 = await initProducerId(c);
  t.same([a.errorCode, a.producerId, a.producerEpoch], [ErrorCode.NONE, 0, 0], 'v0: the first id');
  t.same([b2.errorCode, b2.producerId, b2.producerEpoch], [ErrorCode.NONE, 1, 0], 'the next id');
  const again = await initProducerId(c, { producerId: b2.producerId, producerEpoch: 0 });
  t.same([again.errorCode, again.producerId, again.producerEpoch], [ErrorCode.NONE, 2, 0], 'v3+ with its id and epoch: an idempotent producer gets a new id');
  const bad = await initProducerId(c, { producerId: 5, producerEpoch: -1 });
  t.same([bad.errorCode, bad.producerId, bad.producerEpoch], [ErrorCode.INVALID_REQUEST, -1, -1], 'an id without an epoch');
  t.equal((await initProducerId(c, { transactionalId: '' })).errorCode, ErrorCode.INVALID_REQUEST, 'an empty transactional id');
  t.equal((await initProducerId(c, { transactionalId: 'txn-1' })).errorCode, ErrorCode.NOT_COORDINATOR, 'a transactional id before FindCoordinator created __transaction_state');
});

t.test('produce with sequences: retries are answered with the first offsets, gaps and old epochs refused', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 't', 1);
  const { producerId: pid } = await initProducerId(c);

  const first = await produce(c, 't', 0, batch(pid, 0, 0));
  t.same([first.errorCode, first.baseOffset], [ErrorCode.NONE, 0]);
  const retry = await produce(c, 't', 0, batch(pid, 0, 0));
  t.same([retry.errorCode, retry.baseOffset], [ErrorCode.NONE, 0], 'the same batch again: its first offset, no error');
  t.equal(await latest(c, 't'), 2, 'and nothing appended');

  for (let seq = 2; seq < 12; seq += 2) t.equal((await produce(c, 't', 0, batch(pid, 0, seq))).errorCode, ErrorCode.NONE, `sequence ${seq}`);
  t.equal(await latest(c, 't'), 12);
  const older = await produce(c, 't', 0, batch(pid, 0, 6));
  t.same([older.errorCode, older.baseOffset], [ErrorCode.NONE, 6], 'a retry of one of the last five batches gets its offsets');
  const tooOld = await produce(c, 't', 0, batch(pid, 0, 0));
  t.equal(tooOld.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a batch older than the last five is out of order');
  const gap = await produce(c, 't', 0, batch(pid, 0, 14));
  t.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a gap (12 expected)');
  t.match(gap.errorMessage, /14 \(incoming seq\. number\), 11 \(current end sequence number\)/);
  t.equal(await latest(c, 't'), 12, 'refused batches append nothing');

  const bumped = await produce(c, 't', 0, batch(pid, 1, 3));
  t.equal(bumped.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a new epoch must start at sequence 0');
  t.equal((await produce(c, 't', 0, batch(pid, 1, 0))).errorCode, ErrorCode.NONE, 'a new epoch at sequence 0');
  t.equal((await produce(c, 't', 0, batch(pid, 0, 12))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old epoch is fenced');

  const noSeq = await produce(c, 't', 0, encodeRecordBatch([{ value: 'x' }], { producerId: pid, producerEpoch: 1, baseSequence: -1 }));
  t.equal(noSeq.errorCode, ErrorCode.INVALID_RECORD, 'an idempotent batch without a sequence');
  const other = await produce(c, 't', 0, batch(pid + 100, 0, 7));
  t.equal(other.errorCode, ErrorCode.NONE, 'a producer with no state here starts at any sequence (Kafka 4: no UNKNOWN_PRODUCER_ID)');
  const { batches, problems } = await readContiguous(c, 't', 0);
  t.same(problems, []);
  t.equal(batches.reduce((n, x) => n + x.records.length, 0), 16, 'every accepted batch once');
});

t.test('producer state is swept away after producer.id.expiration.ms without a write, at the check interval', async t => {
  const clock = new ManualClock(1_700_000_000_000);
  const b = await testBroker(t, { clock, config: { 'producer.id.expiration.ms': 60_000, 'producer.id.expiration.check.interval.ms': 10_000 } });
  const c = await testClient(t, b);
  await createTopic(c, 't', 1);
  const old = clock.now() - 3_600_000;
  t.equal((await produce(c, 't', 0, batch(7, 0, 0, 2, old))).errorCode, ErrorCode.NONE, 'a batch with an hour-old timestamp');
  t.equal((await produce(c, 't', 0, batch(7, 0, 5, 2, old))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'still checked until the sweep comes round');
  t.equal((await produce(c, 't', 0, batch(8, 0, 0, 2, clock.now()))).errorCode, ErrorCode.NONE);
  clock.advance(10_000);
  t.equal((await produce(c, 't', 0, batch(7, 0, 5, 2, old))).errorCode, ErrorCode.NONE, 'swept: accepted as a new producer');
  t.equal((await produce(c, 't', 0, batch(8, 0, 5, 2, clock.now()))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a recent producer is kept');
});

t.test('producer ids are never reused across restarts in --data-dir mode', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-pid-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const start = () => startBroker({ port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir });
  let broker = await start();
  let c = await TestClient.connect(broker.bootstrap);
  const ids = [(await initProducerId(c)).producerId, (await initProducerId(c)).producerId];
  c.close();
  await broker.close();
  broker = await start();
  t.teardown(() => broker.close());
  c = await TestClient.connect(broker.bootstrap);
  t.teardown(() => c.close());
  const after = (await initProducerId(c)).producerId;
  t.same(ids, [0, 1]);
  t.equal(after, 1000, 'the next block: ids of the old one are skipped, never handed out twice');
});

t.test('kafkajs idempotent producer: every message once, in order', async t => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'idempotent', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < 10; i++) {
    await producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${j % 2}`, value: `v${i * 10 + j}`, partition: j % 2 })) });
  }
  await producer.disconnect();
  const c = await testClient(t, b);
  const values: string[] = [];
  for (const p of [0, 1]) {
    const { batches } = await readContiguous(c, 'idem', p);
    t.ok(batches.every(x => x.producerId >= 0), `partition ${p}: batches carry the producer id`);
    const mine = batches.flatMap(x => x.records.map((r: any) => r.value.toString()));
    const numbers = mine.map(v => Number(v.slice(1)));
    t.same(numbers, [...numbers].sort((x, y) => x - y), `partition ${p}: in the order sent`);
    values.push(...mine);
  }
  t.equal(values.length, 100);
  t.equal(new Set(values).size, 100, 'no message twice');
});
