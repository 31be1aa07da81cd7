// kafkajs (2.2.4) producers and consumers on Samsa's idempotence, transactions and transactional
// offset commits: an idempotent producer's many sends read back exactly once and in order (with
// the log's producer id and sequence numbers checked underneath); a transactional producer
// commits one transaction across two partitions and aborts another, and kafkajs's read_committed
// consumer (its default) sees only the committed records while `readUncommitted: true` sees them
// all; a consume-transform-produce loop (eachBatch, autoCommit off) commits its output and its
// input offsets in one transaction with `transaction.sendOffsets`, so the output holds each input
// record once and the group's committed offsets (admin.fetchOffsets) reach the input's end, while
// a round that sends offsets and then aborts leaves the committed offsets where they were (and
// OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT while it is open), so the next
// consumer of the group starts again from the old position; and a second producer with the same
// transactionalId fences the first, whose commit fails.
//
// Reading a topic to its end with a kafkajs consumer: a plain producer appends a sentinel record to
// each partition, and the consumer reads until it has seen every partition's sentinel, so every
// record before it has been delivered (or skipped) by then. Nothing waits a fixed time or asserts
// a duration.
/* eslint-disable @typescript-eslint/no-explicit-any -- kafkajs errors and raw responses are untyped */
import t, { type Test } from 'tap';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import type { RunningBroker } from '../../src/index.js';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { adminFor, committed, logEnds } from '../helpers/kafkajs-admin.js';
import type { TestClient } from '../helpers/client.js';
import { readContiguous } from '../helpers/kafka.js';
import { CONTROL_BIT, TRANSACTIONAL_BIT } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const WAIT_MS = 20_000;
const SENTINEL = '__samsa_end__';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const kafkaFor = (broker: RunningBroker, clientId: string): Kafka =>
  new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 } });

/** A connected producer, disconnected when the test ends; transactional when given an id. */
async function producerFor(t: Teardown, kafka: Kafka, opts: { idempotent?: boolean; transactionalId?: string } = {}): Promise<Producer> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    ...(opts.idempotent || opts.transactionalId ? { idempotent: true, maxInFlightRequests: 1 } : {}),
    ...(opts.transactionalId ? { transactionalId: opts.transactionalId } : {}),
  });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  return producer;
}

function consumerFor(t: Teardown, kafka: Kafka, groupId: string, readUncommitted = false): Consumer {
  const consumer = kafka.consumer({
    groupId,
    readUncommitted,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 200,
    maxWaitTimeInMs: 50,
    retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 },
  });
  let connected = true;
  t.teardown(() => (connected ? consumer.disconnect() : undefined));
  const disconnect = consumer.disconnect.bind(consumer);
  consumer.disconnect = async () => {
    connected = false;
    await disconnect();
  };
  return consumer;
}

/** An error kafkajs raised, reduced to its class, Kafka error type and cause. */
async function kafkajsError(p: Promise<unknown>): Promise<{ name: string; type?: string; retriable?: boolean; message: string; cause?: { name: string; type?: string } }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, type: err.type, retriable: err.retriable, message: err.message, cause: err.cause ? { name: err.cause.name, type: err.cause.type } : undefined };
  }
  throw new Error('expected kafkajs to throw');
}

interface Rec {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

const recOf = (partition: number, m: KafkaMessage): Rec => ({ partition, offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value?.toString() ?? '<null>' });
const byPosition = (a: Rec, b: Rec) => a.partition - b.partition || a.offset - b.offset;

let readers = 0;

/**
 * Every record of `topic` a fresh kafkajs consumer group reads from the beginning, sentinels left
 * out, in partition and offset order. `plain` appends this read's sentinel to each partition first.
 */
async function readAll(t: Teardown, kafka: Kafka, plain: Producer, topic: string, partitions: number, readUncommitted: boolean): Promise<Rec[]> {
  const tag = `${SENTINEL}${++readers}`;
  for (let p = 0; p < partitions; p++) await plain.send({ topic, acks: -1, messages: [{ partition: p, value: tag }] });
  const consumer = consumerFor(t, kafka, `reader-${readers}-${topic}`, readUncommitted);
  const seen: Rec[] = [];
  const ended = new Set<number>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const r = recOf(partition, message);
      if (r.value === tag) ended.add(partition);
      else if (!r.value.startsWith(SENTINEL)) seen.push(r);
    },
  });
  await waitFor(() => ended.size === partitions, WAIT_MS, `${topic}: a consumer (readUncommitted ${readUncommitted}) reaching every partition's sentinel; ended ${JSON.stringify([...ended])}`);
  await consumer.disconnect();
  return seen.sort(byPosition);
}

/** The values seen more than once and those expected but not seen. */
function exactlyOnce(want: string[], got: string[]): { duplicated: string[]; missing: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const v of got) counts.set(v, (counts.get(v) ?? 0) + 1);
  const wanted = new Set(want);
  return {
    duplicated: [...counts].filter(([, n]) => n > 1).map(([v, n]) => `${v} x${n}`),
    missing: want.filter(v => !counts.has(v)),
    unexpected: [...counts.keys()].filter(v => !wanted.has(v)),
  };
}

/** Samsa's OffsetFetch v7 of the group's `topic` partitions with require_stable: [offset, error code] by partition. */
async function stableFetch(raw: TestClient, groupId: string, topic: string, partitions: number): Promise<[number, number][]> {
  const r = await raw.call(9, 7, { groupId, topics: [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, i) => i) }], requireStable: true });
  return [...r.topics[0].partitions].sort((a: any, b: any) => a.partitionIndex - b.partitionIndex).map((p: any) => [Number(p.committedOffset), p.errorCode]);
}

async function setup(t: Test): Promise<{ broker: RunningBroker; kafka: Kafka; admin: Admin; raw: TestClient }> {
  const broker = await testBroker(t, { config: { 'group.min.session.timeout.ms': 500, 'group.initial.rebalance.delay.ms': 0 } });
  const kafka = kafkaFor(broker, 'samsa-kafkajs-txn-test');
  const admin = await adminFor(t, kafka);
  const raw = await testClient(t, broker);
  return { broker, kafka, admin, raw };
}

// ---------------------------------------------------------------------------------------------

t.test('idempotent producer: many sends, each record once and in order, sequences without gaps', async t => {
  const { kafka, admin, raw } = await setup(t);
  const topic = 'idempotent';
  const PARTITIONS = 3;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  const producer = await producerFor(t, kafka, { idempotent: true });

  const SENDS = 150;
  const PER_SEND = 8;
  const want: string[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let s = 0; s < SENDS; s++) {
    const messages = Array.from({ length: PER_SEND }, (_, i) => {
      const partition = (s + i) % PARTITIONS;
      const value = `idem-${s}-${i}`;
      want[partition]!.push(value);
      return { partition, key: `k${s}`, value };
    });
    await producer.send({ topic, acks: -1, messages });
  }

  // underneath: data batches of one producer id and epoch, sequences from 0 with no gap or repeat
  for (let p = 0; p < PARTITIONS; p++) {
    const { batches, end, problems } = await readContiguous(raw, topic, p);
    t.same(problems, [], `${topic}-${p}: offsets contiguous to ${end}`);
    t.equal(end, want[p]!.length, `${topic}-${p}: the high watermark counts each record once`);
    const ids = new Set(batches.map(b => `${b.producerId}/${b.producerEpoch}`));
    t.equal(ids.size, 1, `${topic}-${p}: one producer id and epoch (${[...ids].join(', ')})`);
    t.ok(batches.every(b => b.producerId >= 0), `${topic}-${p}: the batches carry the producer id`);
    let next = 0;
    const gaps: string[] = [];
    for (const b of batches) {
      if (b.baseSequence !== next) gaps.push(`batch at ${b.baseOffset}: sequence ${b.baseSequence}, expected ${next}`);
      next = b.baseSequence + b.records.length;
    }
    t.same(gaps, [], `${topic}-${p}: ${batches.length} batches, sequences from 0 without gap or repeat`);
  }

  const plain = await producerFor(t, kafka);
  const got = await readAll(t, kafka, plain, topic, PARTITIONS, false);
  for (let p = 0; p < PARTITIONS; p++) {
    const values = got.filter(r => r.partition === p).map(r => r.value);
    t.same(exactlyOnce(want[p]!, values), { duplicated: [], missing: [], unexpected: [] }, `${topic}-${p}: each record exactly once`);
    t.ok(values.length === want[p]!.length && values.every((v, i) => v === want[p]![i]), `${topic}-${p}: all ${want[p]!.length} in the order sent (read ${values.length})`);
    t.same(
      got.filter(r => r.partition === p).map(r => r.offset),
      want[p]!.map((_, i) => i),
      `${topic}-${p}: at offsets 0..${want[p]!.length - 1}`,
    );
  }
});

t.test('transactions: commit across two partitions, abort another; read_committed sees only the committed', async t => {
  const { kafka, admin, raw } = await setup(t);
  const topic = 'txn-isolation';
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const producer = await producerFor(t, kafka, { transactionalId: 'kafkajs-isolation' });
  const msgs = (tag: string, counts: number[]) => counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, key: `${tag}-${partition}-${i}`, value: `${tag}-${partition}-${i}` })));

  const first = msgs('committed', [5, 4]);
  const aborted = msgs('aborted', [3, 6]);
  const last = msgs('committed-again', [2, 2]);
  const run = async (messages: typeof first, end: 'commit' | 'abort') => {
    const txn = await producer.transaction();
    // two sends: the transaction spans more than one Produce request
    const half = Math.ceil(messages.length / 2);
    await txn.send({ topic, messages: messages.slice(0, half) });
    await txn.send({ topic, messages: messages.slice(half) });
    await (end === 'commit' ? txn.commit() : txn.abort());
  };
  await run(first, 'commit');
  await run(aborted, 'abort');
  await run(last, 'commit');

  // the log: each transaction's data then its marker, in both partitions
  const kinds: string[][] = [];
  for (let p = 0; p < 2; p++) {
    await waitFor(async () => {
      const { batches } = await readContiguous(raw, topic, p);
      return batches.filter(b => b.attributes & CONTROL_BIT).length === 3;
    }, WAIT_MS, `${topic}-${p}: three markers`);
    const { batches, problems } = await readContiguous(raw, topic, p);
    t.same(problems, [], `${topic}-${p}: contiguous`);
    const rows: string[] = [];
    for (const b of batches) {
      const kind = b.attributes & CONTROL_BIT ? (b.records[0]!.key!.readInt16BE(2) === 1 ? 'commit' : 'abort') : b.attributes & TRANSACTIONAL_BIT ? 'txn' : 'data';
      if (kind !== 'txn' || rows[rows.length - 1] !== 'txn') rows.push(kind);
    }
    kinds.push(rows);
  }
  t.same(kinds, [
    ['txn', 'commit', 'txn', 'abort', 'txn', 'commit'],
    ['txn', 'commit', 'txn', 'abort', 'txn', 'commit'],
  ], 'each partition: transactional data and commit/abort markers');

  const plain = await producerFor(t, kafka);
  const values = (rs: Rec[]) => rs.map(r => r.value);

  const rc = await readAll(t, kafka, plain, topic, 2, false);
  t.same(values(rc), [0, 1].flatMap(p => [...first, ...last].filter(m => m.partition === p).map(m => m.value)), 'read_committed (kafkajs default): only the committed records, each partition in order');
  t.same(exactlyOnce([...first, ...last].map(m => m.value), values(rc)), { duplicated: [], missing: [], unexpected: [] }, 'read_committed: each committed record once, no aborted one');
  t.same(
    rc.filter(r => r.partition === 0).map(r => r.offset),
    [0, 1, 2, 3, 4, 10, 11],
    'read_committed offsets in partition 0: the first transaction, then past its marker, the aborted records and their marker',
  );

  const ru = await readAll(t, kafka, plain, topic, 2, true);
  t.same(exactlyOnce([...first, ...aborted, ...last].map(m => m.value), values(ru)), { duplicated: [], missing: [], unexpected: [] }, 'readUncommitted: every record, the aborted ones included');
  t.same(
    ru.filter(r => r.partition === 1).map(r => r.value),
    [...first, ...aborted, ...last].filter(m => m.partition === 1).map(m => m.value),
    'readUncommitted: partition 1 in the order written, markers skipped',
  );
});

t.test('consume-transform-produce with sendOffsets: committed output and offsets; an aborted round changes nothing', async t => {
  const { kafka, admin, raw } = await setup(t);
  const IN = 'ctp-in';
  const OUT = 'ctp-out';
  const GROUP = 'ctp-group';
  const PARTITIONS = 3;
  await admin.createTopics({ topics: [{ topic: IN, numPartitions: PARTITIONS }, { topic: OUT, numPartitions: PARTITIONS }] });
  const plain = await producerFor(t, kafka);
  const producer = await producerFor(t, kafka, { transactionalId: 'kafkajs-ctp' });

  const input = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ partition: i % PARTITIONS, key: `${tag}-${i}`, value: `${tag}-${i}` }));
  const transform = (v: string) => `transformed(${v})`;
  const firstInput = input('first', 60);
  // several sends, so the consumer's fetches meet more than one batch per partition
  for (let i = 0; i < firstInput.length; i += 10) await plain.send({ topic: IN, acks: -1, messages: firstInput.slice(i, i + 10) });
  const firstEnds = await logEnds(admin, IN);
  t.same(firstEnds, [20, 20, 20], 'the input: 20 records in each partition');

  /**
   * Runs a member of GROUP that, for each batch, writes the transformed records to OUT and sends the
   * input offsets after the batch in one transaction, and then commits or aborts. `during` sees each
   * open transaction after sendOffsets.
   */
  async function transformer(end: 'commit' | 'abort', during?: (partition: number, next: number) => Promise<void>) {
    const consumer = consumerFor(t, kafka, GROUP);
    const processed: Rec[] = [];
    const errors: unknown[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [IN], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        const txn = await producer.transaction();
        try {
          await txn.send({ topic: OUT, messages: batch.messages.map(m => ({ partition: batch.partition, key: m.key, value: transform(m.value!.toString()) })) });
          const next = Number(batch.messages[batch.messages.length - 1]!.offset) + 1;
          await txn.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(next) }] }] });
          if (during) await during(batch.partition, next);
          await (end === 'commit' ? txn.commit() : txn.abort());
        } catch (err) {
          errors.push(err);
          if (txn.isActive()) await txn.abort();
          throw err;
        }
        processed.push(...batch.messages.map(m => recOf(batch.partition, m)));
      },
    });
    return { consumer, processed, errors };
  }

  // --- the committed round: every input record transformed once, the offsets at the input's end
  const one = await transformer('commit');
  let last: unknown = null;
  await waitFor(
    async () => {
      last = await committed(admin, GROUP, IN);
      return JSON.stringify(last) === JSON.stringify(firstEnds);
    },
    WAIT_MS,
    `the group's committed offsets reaching the input's end ${JSON.stringify(firstEnds)} (last ${JSON.stringify(last)})`,
  );
  await one.consumer.disconnect();
  t.same(one.errors, [], 'no transaction failed');
  t.same(exactlyOnce(firstInput.map(m => m.value), one.processed.map(r => r.value)), { duplicated: [], missing: [], unexpected: [] }, 'the transformer processed each input record once');
  t.same(await committed(admin, GROUP, IN), firstEnds, "admin.fetchOffsets: the group's committed offsets are the input's end offsets");
  t.same(await stableFetch(raw, GROUP, IN, PARTITIONS), firstEnds.map(o => [o, ErrorCode.NONE]), 'OffsetFetch require_stable: stable, at the end');

  const out1 = await readAll(t, kafka, plain, OUT, PARTITIONS, false);
  t.same(exactlyOnce(firstInput.map(m => transform(m.value)), out1.map(r => r.value)), { duplicated: [], missing: [], unexpected: [] }, 'read_committed output: each input record transformed, exactly once');
  t.same(
    [0, 1, 2].map(p => out1.filter(r => r.partition === p).map(r => r.value)),
    [0, 1, 2].map(p => firstInput.filter(m => m.partition === p).map(m => transform(m.value))),
    'the output keeps each partition\'s input order',
  );

  // --- the aborted round: new input, transformed and offsets sent, then aborted
  const secondInput = input('second', 30);
  await plain.send({ topic: IN, acks: -1, messages: secondInput });
  const secondEnds = await logEnds(admin, IN);
  t.same(secondEnds, [30, 30, 30], 'the input grew by 10 records in each partition');

  const whileOpen: { partition: number; next: number; stable: [number, number][]; committed: number[] }[] = [];
  const two = await transformer('abort', async (partition, next) => {
    whileOpen.push({ partition, next, stable: await stableFetch(raw, GROUP, IN, PARTITIONS), committed: await committed(admin, GROUP, IN) });
  });
  await waitFor(() => [0, 1, 2].every(p => two.processed.some(r => r.partition === p && r.offset === secondEnds[p]! - 1)), WAIT_MS, 'the aborting transformer reaching the input\'s end');
  await two.consumer.disconnect();
  t.same(two.errors, [], 'every abort succeeded');
  t.same(exactlyOnce(secondInput.map(m => m.value), two.processed.map(r => r.value)), { duplicated: [], missing: [], unexpected: [] }, 'the aborting transformer processed the new records (its own position moved on)');
  t.ok(whileOpen.length >= PARTITIONS, `${whileOpen.length} transactions held sent offsets`);
  for (const w of whileOpen) {
    t.equal(w.stable[w.partition]![1], ErrorCode.UNSTABLE_OFFSET_COMMIT, `while a transaction holds offset ${w.next} for ${IN}-${w.partition}: OffsetFetch require_stable answers UNSTABLE_OFFSET_COMMIT`);
    t.same(w.committed, firstEnds, 'meanwhile admin.fetchOffsets (no require_stable) answers the last committed offsets');
  }

  await waitFor(async () => (await stableFetch(raw, GROUP, IN, PARTITIONS)).every(([, e]) => e === ErrorCode.NONE), WAIT_MS, 'the abort markers: the offsets stable again');
  t.same(await stableFetch(raw, GROUP, IN, PARTITIONS), firstEnds.map(o => [o, ErrorCode.NONE]), 'OffsetFetch require_stable after the aborts: the first round\'s offsets');
  t.same(await committed(admin, GROUP, IN), firstEnds, 'admin.fetchOffsets after the aborts: unchanged');

  // --- a new member of the group starts from the old position and commits this time
  const three = await transformer('commit');
  await waitFor(async () => JSON.stringify(await committed(admin, GROUP, IN)) === JSON.stringify(secondEnds), WAIT_MS, "the group's committed offsets reaching the new end");
  await three.consumer.disconnect();
  t.same(three.errors, [], 'no transaction failed');
  t.same(
    [0, 1, 2].map(p => Math.min(...three.processed.filter(r => r.partition === p).map(r => r.offset))),
    firstEnds,
    'the new consumer of the group started at the committed offsets, not where the aborting one stopped',
  );
  t.same(exactlyOnce(secondInput.map(m => m.value), three.processed.map(r => r.value)), { duplicated: [], missing: [], unexpected: [] }, 'it processed exactly the records whose offsets were aborted');
  t.same(await committed(admin, GROUP, IN), secondEnds, 'admin.fetchOffsets: the input\'s new end offsets');

  const all = [...firstInput, ...secondInput].map(m => transform(m.value));
  const out2 = await readAll(t, kafka, plain, OUT, PARTITIONS, false);
  t.same(exactlyOnce(all, out2.map(r => r.value)), { duplicated: [], missing: [], unexpected: [] }, 'read_committed output: every input record transformed exactly once; the aborted copies invisible');
  const out2u = await readAll(t, kafka, plain, OUT, PARTITIONS, true);
  const counts = new Map<string, number>();
  for (const r of out2u) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
  t.ok(
    secondInput.every(m => counts.get(transform(m.value)) === 2) && firstInput.every(m => counts.get(transform(m.value)) === 1),
    'readUncommitted output: the second round twice (aborted copy and committed copy), the first once',
  );
});

t.test('zombie fencing: a second producer with the same transactionalId fences the first', async t => {
  const { kafka, admin } = await setup(t);
  const topic = 'zombie';
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const a = await producerFor(t, kafka, { transactionalId: 'kafkajs-zombie' });
  const txnA = await a.transaction();
  await txnA.send({ topic, messages: [{ partition: 0, value: 'a-0' }, { partition: 1, value: 'a-1' }] });

  // B's InitProducerId bumps the epoch and aborts A's open transaction (kafkajs retries CONCURRENT_TRANSACTIONS meanwhile)
  const b = await producerFor(t, kafka, { transactionalId: 'kafkajs-zombie' });
  const txnB = await b.transaction();
  await txnB.send({ topic, messages: [{ partition: 0, value: 'b-0' }, { partition: 1, value: 'b-1' }] });
  await txnB.commit();

  const err = await kafkajsError(txnA.commit());
  t.comment(`A's commit: ${JSON.stringify(err)}`);
  t.equal(err.name, 'KafkaJSProtocolError', "A's commit fails with kafkajs's protocol error");
  t.equal(err.type, 'INVALID_PRODUCER_EPOCH', 'of type INVALID_PRODUCER_EPOCH (EndTxn v0/v1 has no PRODUCER_FENCED)');
  t.equal(err.retriable, false, 'not retriable');

  const plain = await producerFor(t, kafka);
  const rc = await readAll(t, kafka, plain, topic, 2, false);
  t.same(rc.map(r => r.value), ['b-0', 'b-1'], "read_committed: B's records, none of A's");
  const ru = await readAll(t, kafka, plain, topic, 2, true);
  t.same(ru.map(r => r.value), ['a-0', 'b-0', 'a-1', 'b-1'], "readUncommitted: A's records are in the log, aborted");
});
