// kafkajs (a real client, 2.2.4) against Samsa: the admin API, the producer with keys, headers,
// gzip and every acks setting, offsets by time, and the data read back record by record, both
// through kafkajs's own broker connection (its Fetch decoder) and through a raw Fetch decoded by
// Samsa's decodeBatches. kafkajs's consumer needs consumer groups, which are not built yet, so the
// read-back goes below it.
import t, { type Test } from 'tap';
import { CompressionTypes, Kafka, logLevel, type Message } from 'kafkajs';
import { adminFor, producerFor } from '../helpers/kafkajs-admin.js';
import type { RunningBroker } from '../../src/index.js';
import { decodeBatches, Compression, COMPRESSION_MASK } from '../../src/protocol/records.js';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- kafkajs internals are untyped CommonJS */

const kafkaFor = (broker: RunningBroker, clientId = 'samsa-kafkajs-test'): Kafka =>
  new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 } });

/** An error kafkajs raised, reduced to what a caller inspects: its class, Kafka error type and nested errors. */
async function kafkajsError(
  p: Promise<unknown>,
): Promise<{ name: string; type?: string; retriable?: boolean; errors?: { name: string; type?: string }[]; cause?: { name: string; type?: string }; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return {
      name: err.name,
      type: err.type,
      retriable: err.retriable,
      message: err.message,
      errors: err.errors?.map((e: any) => ({ name: e.name, type: e.type })),
      cause: err.cause ? { name: err.cause.name, type: err.cause.type } : undefined,
    };
  }
  throw new Error('expected kafkajs to throw');
}

interface ReadRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Reads a whole partition through kafkajs's low-level Broker (its Fetch request and record batch
 * decoder), from the offset to the high watermark. The cluster comes from the client's private
 * factory, found by its symbol's description, as kafkajs's producer and admin make theirs.
 */
async function kafkajsReader(t: Test, kafka: Kafka) {
  const factory = Object.getOwnPropertySymbols(kafka).find(s => s.description === 'private:Kafka:createCluster');
  if (!factory) throw new Error('kafkajs internals changed: no createCluster symbol');
  const cluster = (kafka as any)[factory]({ metadataMaxAge: 300000, allowAutoTopicCreation: false });
  await cluster.connect();
  t.teardown(() => cluster.disconnect());
  return async (topic: string, partition: number, fromOffset = 0): Promise<ReadRecord[]> => {
    await cluster.addTargetTopic(topic);
    await cluster.refreshMetadata();
    const meta = cluster.findTopicPartitionMetadata(topic).find((p: any) => p.partitionId === partition);
    const broker = await cluster.findBroker({ nodeId: meta.leader });
    const out: ReadRecord[] = [];
    let offset = fromOffset;
    for (;;) {
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: 1 << 20 }] }],
      });
      const p = res.responses[0].partitions[0];
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
      for (const m of p.messages) {
        if (Number(m.offset) < offset) continue; // kafkajs hands back whole batches
        out.push({
          partition,
          offset: Number(m.offset),
          timestamp: Number(m.timestamp),
          key: m.key === null ? null : m.key.toString(),
          value: m.value === null ? null : m.value.toString(),
          headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      }
      const next = out.length ? out[out.length - 1]!.offset + 1 : offset;
      if (next >= Number(p.highWatermark) || next === offset) return out;
      offset = next;
    }
  };
}

t.test('admin: create (and validate only), list, describe, add partitions, delete', async t => {
  const broker = await testBroker(t);
  const admin = await adminFor(t, kafkaFor(broker));

  // validateOnly checks and creates nothing (waitForLeaders would look the topic up and fail)
  t.equal(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'validated', numPartitions: 4 }] }), true);
  t.notOk((await admin.listTopics()).includes('validated'), 'validateOnly created nothing');

  t.equal(
    await admin.createTopics({
      topics: [
        { topic: 'orders', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '60000' }] },
        { topic: 'payments' },
      ],
    }),
    true,
  );
  // kafkajs answers false when every topic already exists
  t.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false, 'existing topic → false');
  t.same((await admin.listTopics()).sort(), ['orders', 'payments']);

  // a client's mistakes come back as kafkajs protocol errors with Kafka's error types
  const rf = await kafkajsError(admin.createTopics({ topics: [{ topic: 'too-replicated', replicationFactor: 3 }] }));
  t.equal(rf.name, 'KafkaJSAggregateError');
  t.same(rf.errors, [{ name: 'KafkaJSCreateTopicError', type: 'INVALID_REPLICATION_FACTOR' }]);
  const badName = await kafkajsError(admin.createTopics({ topics: [{ topic: 'no spaces allowed' }] }));
  t.same(badName.errors?.map(e => e.type), ['INVALID_TOPIC_EXCEPTION']);
  const badPartitions = await kafkajsError(admin.createTopics({ topics: [{ topic: 'zero', numPartitions: 0 }] }));
  t.same(badPartitions.errors?.map(e => e.type), ['INVALID_PARTITIONS']);
  const badConfig = await kafkajsError(admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'cleanup.policy', value: 'bogus' }] }] }));
  t.same(badConfig.errors?.map(e => e.type), ['INVALID_CONFIG']);
  // more partitions than Kafka's controller writes records for in one request
  const tooMany = await kafkajsError(admin.createTopics({ topics: [{ topic: 'enormous', numPartitions: 50_000 }] }));
  t.same(tooMany.errors?.map(e => e.type), ['POLICY_VIOLATION']);
  // one good and one bad topic: the good one is created, the bad one reported
  const mixed = await kafkajsError(admin.createTopics({ topics: [{ topic: 'good-one' }, { topic: 'bad-one', replicationFactor: 5 }] }));
  t.same(mixed.errors?.map(e => e.type), ['INVALID_REPLICATION_FACTOR']);
  t.ok((await admin.listTopics()).includes('good-one'));
  t.notOk((await admin.listTopics()).includes('bad-one'));

  const meta = await admin.fetchTopicMetadata({ topics: ['orders', 'payments'] });
  const orders = meta.topics.find(x => x.name === 'orders')!;
  t.same(
    orders.partitions.sort((a, b) => a.partitionId - b.partitionId).map(p => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, err: p.partitionErrorCode })),
    [0, 1, 2].map(id => ({ id, leader: broker.nodeId, replicas: [broker.nodeId], isr: [broker.nodeId], err: 0 })),
  );
  t.equal(meta.topics.find(x => x.name === 'payments')!.partitions.length, 1, 'num.partitions default');
  const unknown = await kafkajsError(admin.fetchTopicMetadata({ topics: ['never-created'] }));
  t.equal(unknown.type, 'UNKNOWN_TOPIC_OR_PARTITION', 'the admin client does not auto-create');

  // partitions
  t.equal(await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'orders', count: 8 }] }), undefined);
  t.equal((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions.length, 3, 'validateOnly added nothing');
  await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
  t.equal((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions.length, 5);
  const shrink = await kafkajsError(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] }));
  t.equal(shrink.type, 'INVALID_PARTITIONS');
  const same = await kafkajsError(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] }));
  t.equal(same.type, 'INVALID_PARTITIONS');
  const missing = await kafkajsError(admin.createPartitions({ topicPartitions: [{ topic: 'nope', count: 5 }] }));
  t.equal(missing.type, 'UNKNOWN_TOPIC_OR_PARTITION');

  // delete
  await admin.deleteTopics({ topics: ['payments', 'good-one'] });
  t.same((await admin.listTopics()).sort(), ['orders']);
  // kafkajs retries UNKNOWN_TOPIC_OR_PARTITION on delete (the topic may be on its way), then gives up
  const gone = await kafkajsError(admin.deleteTopics({ topics: ['payments'] }));
  t.equal(gone.name, 'KafkaJSNumberOfRetriesExceeded');
  t.same(gone.cause, { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  // a deleted name can be created again, empty
  t.equal(await admin.createTopics({ topics: [{ topic: 'payments', numPartitions: 2 }] }), true);
  t.same((await admin.fetchTopicOffsets('payments')).map(o => [o.partition, o.low, o.high]).sort(), [[0, '0', '0'], [1, '0', '0']]);
});

t.test('producer: keys, headers, gzip, acks 0/1/-1, many topics; read back and offsets by time', async t => {
  const broker = await testBroker(t);
  const kafka = kafkaFor(broker);
  const admin = await adminFor(t, kafka);
  const producer = await producerFor(t, kafka);
  const read = await kafkajsReader(t, kafka);
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 4 }, { topic: 'audit', numPartitions: 2 }, { topic: 'plain', numPartitions: 1 }] });

  const base = Date.now() - 60_000;
  // expected contents per "topic/partition", in offset order
  const expected = new Map<string, Omit<ReadRecord, 'partition' | 'offset'>[]>();
  const expect = (topic: string, partition: number, m: { key?: string | null; value: string | null; timestamp?: string; headers?: Record<string, string> }) => {
    const k = `${topic}/${partition}`;
    if (!expected.has(k)) expected.set(k, []);
    expected.get(k)!.push({ timestamp: Number(m.timestamp), key: m.key ?? null, value: m.value, headers: m.headers ?? {} });
  };

  // 1. sendBatch to two topics at once, explicit partitions, gzip, acks=-1
  let ts = base;
  const batchMessages = (topic: string, partitions: number, n: number): Message[] =>
    Array.from({ length: n }, (_, i) => ({
      partition: i % partitions,
      key: `${topic}-key-${i}`,
      value: `${topic} value ${i} ${'x'.repeat(i * 7)}`,
      timestamp: String((ts += 10)),
      headers: { 'trace-id': `t-${i}`, source: 'kafkajs', 'ü-header': 'ünïcode' },
    }));
  const eventsBatch = batchMessages('events', 4, 40);
  const auditBatch = batchMessages('audit', 2, 10);
  const batchResult = await producer.sendBatch({
    acks: -1,
    compression: CompressionTypes.GZIP,
    topicMessages: [
      { topic: 'events', messages: eventsBatch },
      { topic: 'audit', messages: auditBatch },
    ],
  });
  for (const m of eventsBatch) expect('events', m.partition!, m as any);
  for (const m of auditBatch) expect('audit', m.partition!, m as any);
  t.same(
    batchResult.map(r => [r.topicName, r.partition, r.errorCode, r.baseOffset]).sort(),
    [['audit', 0, 0, '0'], ['audit', 1, 0, '0'], ['events', 0, 0, '0'], ['events', 1, 0, '0'], ['events', 2, 0, '0'], ['events', 3, 0, '0']],
    'every partition got its first batch at offset 0',
  );

  // 2. send with acks=1, uncompressed, keyed (the default partitioner places by murmur2 of the key), a null value
  const keyed: Message[] = ['alpha', 'beta', 'gamma', 'alpha', 'beta', 'alpha'].map((key, i) => ({
    key,
    value: i === 5 ? null : `keyed ${i}`,
    timestamp: String((ts += 10)),
  }));
  const keyedResult = await producer.send({ topic: 'events', acks: 1, messages: keyed });
  t.equal(keyedResult.every(r => r.errorCode === 0), true);
  // where did each key go? read it back below, and the same key must always land in one partition
  const partitionOfKey = new Map<string, number>();

  // 3. acks=0: no response is awaited, so wait for the high watermark instead
  const fireAndForget: Message[] = Array.from({ length: 5 }, (_, i) => ({ value: `no-ack ${i}`, partition: 0, timestamp: String((ts += 10)) }));
  const noAck = await producer.send({ topic: 'plain', acks: 0, messages: fireAndForget });
  t.same(noAck, [], 'kafkajs gets no produce response with acks=0');
  for (const m of fireAndForget) expect('plain', 0, m as any);
  await waitFor(async () => (await admin.fetchTopicOffsets('plain'))[0]!.high === '5', 5000, 'acks=0 records to land');

  // 4. a second gzip batch to events/2 after the keyed records: offsets keep counting
  const more: Message[] = Array.from({ length: 3 }, (_, i) => ({ partition: 2, key: null, value: `late ${i}`, timestamp: String((ts += 10)) }));
  await producer.send({ topic: 'events', acks: -1, compression: CompressionTypes.GZIP, messages: more });

  // read back every events partition through kafkajs
  const events: ReadRecord[] = [];
  for (let p = 0; p < 4; p++) events.push(...(await read('events', p)));
  for (const r of events) {
    if (r.key && ['alpha', 'beta', 'gamma'].includes(r.key)) {
      if (partitionOfKey.has(r.key)) t.equal(r.partition, partitionOfKey.get(r.key), `key ${r.key} always lands in one partition`);
      partitionOfKey.set(r.key, r.partition);
    }
  }
  t.equal(partitionOfKey.size, 3, 'every keyed record was read back');
  // rebuild the expectation with the keyed records where the producer put them (in send order)
  for (const [i, m] of keyed.entries()) {
    const p = keyedResult.find(r => r.partition === partitionOfKey.get(m.key as string));
    t.ok(p, `the produce response names partition ${partitionOfKey.get(m.key as string)} for key ${m.key} (#${i})`);
    expect('events', partitionOfKey.get(m.key as string)!, m as any);
  }
  for (const m of more) expect('events', 2, m as any);

  const check = (topic: string, partitions: number, got: ReadRecord[]) => {
    for (let p = 0; p < partitions; p++) {
      const want = (expected.get(`${topic}/${p}`) ?? []).map((w, offset) => ({ partition: p, offset, ...w }));
      t.same(
        got.filter(r => r.partition === p),
        want,
        `${topic}/${p}: ${want.length} records with keys, values, headers, offsets and timestamps intact`,
      );
    }
  };
  check('events', 4, events);
  const audit: ReadRecord[] = [];
  for (let p = 0; p < 2; p++) audit.push(...(await read('audit', p)));
  check('audit', 2, audit);
  check('plain', 1, await read('plain', 0));
  // reading from the middle of a (compressed) batch starts at the offset asked for
  t.same((await read('events', 0, 3)).map(r => r.offset), expected.get('events/0')!.map((_, i) => i).slice(3));

  // offsets
  const offsets = await admin.fetchTopicOffsets('events');
  t.same(
    offsets.map(o => [o.partition, o.low, o.high]).sort(),
    [0, 1, 2, 3].map(p => [p, '0', String(expected.get(`events/${p}`)!.length)]),
    'fetchTopicOffsets: low 0, high = record count',
  );
  // by timestamp: the first record at or after the time, or the end when none is
  const byTime = async (topic: string, time: number) =>
    Object.fromEntries((await admin.fetchTopicOffsetsByTimestamp(topic, time)).map(o => [o.partition, Number(o.offset)]));
  const firstAtOrAfter = (topic: string, p: number, time: number) => {
    const list = expected.get(`${topic}/${p}`) ?? [];
    const i = list.findIndex(r => r.timestamp >= time);
    return i < 0 ? list.length : i;
  };
  for (const time of [base - 1000, base + 10, base + 15, base + 205, base + 395, base + 400, ts - 25, ts, ts + 1]) {
    const got = await byTime('events', time);
    t.same(got, Object.fromEntries([0, 1, 2, 3].map(p => [p, firstAtOrAfter('events', p, time)])), `events by timestamp ${time - base}`);
  }
  t.same(await byTime('audit', base + 405), { 0: 0, 1: 0 }, 'audit records are later than their topic-mates in events');

  // the raw view of the same data: Samsa's decoder over a Fetch v12 response
  const client = await testClient(t, broker);
  const fetched = await client.call(1, 12, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'events', partitions: [0, 1, 2, 3].map(partition => ({ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })) }],
  });
  for (const p of fetched.responses[0].partitions) {
    t.equal(p.errorCode, 0);
    const batches = decodeBatches(Buffer.concat([].concat(p.records)));
    const first = batches[0]!;
    t.equal(first.attributes & COMPRESSION_MASK, Compression.gzip, `events/${p.partitionIndex}: the sendBatch batch is stored gzip-compressed, as sent`);
    t.equal(first.producerId, -1, 'not idempotent');
    const records = batches.flatMap(b => b.records);
    t.same(
      records.map(r => ({ offset: r.offset, timestamp: r.timestamp, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, headers: Object.fromEntries(r.headers.map(h => [h.key, h.value?.toString()])) })),
      expected.get(`events/${p.partitionIndex}`)!.map((w, offset) => ({ offset, ...w })),
      `events/${p.partitionIndex} decodes the same through Samsa's decoder`,
    );
    t.equal(p.highWatermark, records.length);
  }
});

t.test('producer errors surface as kafkajs errors', async t => {
  const broker = await testBroker(t, { config: { 'auto.create.topics.enable': false } });
  const kafka = kafkaFor(broker);
  const admin = await adminFor(t, kafka);
  const producer = await producerFor(t, kafka);
  await admin.createTopics({ topics: [{ topic: 'small', configEntries: [{ name: 'max.message.bytes', value: '200' }] }] });
  const tooLarge = await kafkajsError(producer.send({ topic: 'small', acks: 1, messages: [{ value: 'x'.repeat(1000) }] }));
  t.equal(tooLarge.type, 'MESSAGE_TOO_LARGE');
  t.equal(tooLarge.retriable, false);
  const noTopic = await kafkajsError(producer.send({ topic: 'not-there', acks: 1, messages: [{ value: 'v' }] }));
  t.match(noTopic.message + (noTopic.type ?? ''), /UNKNOWN_TOPIC_OR_PARTITION|does not host this topic-partition/);
  // and the producer still works afterwards
  const ok = await producer.send({ topic: 'small', acks: 1, messages: [{ value: 'fits' }] });
  t.equal(ok[0]!.baseOffset, '0');
});

t.test('two brokers in one process at once', async t => {
  const [a, b] = await Promise.all([testBroker(t), testBroker(t)]);
  t.not(a.port, b.port);
  t.not(a.clusterId, b.clusterId);
  const kafkaA = kafkaFor(a, 'client-a');
  const kafkaB = kafkaFor(b, 'client-b');
  const [adminA, adminB] = await Promise.all([adminFor(t, kafkaA), adminFor(t, kafkaB)]);
  // the same topic name on both, with different partition counts
  await Promise.all([
    adminA.createTopics({ topics: [{ topic: 'shared', numPartitions: 2 }, { topic: 'only-a' }] }),
    adminB.createTopics({ topics: [{ topic: 'shared', numPartitions: 3 }] }),
  ]);
  t.same((await adminA.listTopics()).sort(), ['only-a', 'shared']);
  t.same(await adminB.listTopics(), ['shared']);
  const [pa, pb] = await Promise.all([producerFor(t, kafkaA), producerFor(t, kafkaB)]);
  // interleaved sends to both
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    sends.push(pa.send({ topic: 'shared', acks: -1, messages: [{ partition: i % 2, key: `a${i}`, value: `from a ${i}` }] }));
    sends.push(pb.send({ topic: 'shared', acks: -1, compression: CompressionTypes.GZIP, messages: [{ partition: i % 3, key: `b${i}`, value: `from b ${i}` }] }));
  }
  await Promise.all(sends);
  const [offA, offB] = await Promise.all([adminA.fetchTopicOffsets('shared'), adminB.fetchTopicOffsets('shared')]);
  t.same(offA.map(o => [o.partition, o.high]).sort(), [[0, '10'], [1, '10']]);
  t.same(offB.map(o => [o.partition, o.high]).sort(), [[0, '7'], [1, '7'], [2, '6']]);
  const [readA, readB] = await Promise.all([kafkajsReader(t, kafkaA), kafkajsReader(t, kafkaB)]);
  const valuesA = [...(await readA('shared', 0)), ...(await readA('shared', 1))].map(r => r.value);
  const valuesB = [...(await readB('shared', 0)), ...(await readB('shared', 1)), ...(await readB('shared', 2))].map(r => r.value);
  t.equal(valuesA.length, 20);
  t.ok(valuesA.every(v => v!.startsWith('from a')), 'broker A holds only A\'s records');
  t.equal(valuesB.length, 20);
  t.ok(valuesB.every(v => v!.startsWith('from b')), 'broker B holds only B\'s records');
  // closing one leaves the other serving
  await a.close();
  t.same(await adminB.listTopics(), ['shared']);
  const after = await pb.send({ topic: 'shared', acks: 1, messages: [{ partition: 0, value: 'after a closed' }] });
  t.equal(after[0]!.baseOffset, '7');
});
