// Produce (0): acks, per-partition errors in one request (and that every refused batch leaves its
// log as it was while the good partitions of the same request are appended), acks=0 closing on
// errors, old versions, topic ids (v13), LogAppendTime topics, and the stored bytes.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient, requestFrame } from '../helpers/client.js';
import { batch, batchesOf, body, createTopic, fetchOne, latest, produce, valuesOf, ZERO_UUID } from '../helpers/kafka.js';
import { ManualClock } from '../../src/broker/clock.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CONTROL_BIT, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT } from '../../src/protocol/records.js';

const HOUR = 3_600_000;

/** A ProduceRequest body for several topics and partitions. */
function request(acks: number, topics: [string, [number, Buffer | null][]][], version = 9): Record<string, unknown> {
  return body(0, {
    acks,
    timeoutMs: 5000,
    topicData: topics.map(([name, parts]) => ({ name, topicId: ZERO_UUID, partitionData: parts.map(([index, records]) => ({ index, records })) })),
  });
}

const answers = (res: any) => res.responses.flatMap((x: any) => x.partitionResponses.map((p: any) => [x.name, p.index, p.errorCode]));

t.test('acks 1 and -1: base offsets, consecutive across batches; every version 3-13', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const id = await createTopic(c, 'acks');
  let next = 0;
  for (const [acks, sizes] of [[1, [3, 1, 5]], [-1, [2, 4]]] as const) {
    for (const n of sizes) {
      const p = await produce(c, 'acks', 0, batch(Array.from({ length: n }, (_, i) => `v${next + i}`)), { acks });
      t.same([p.errorCode, p.baseOffset, p.logAppendTimeMs, p.logStartOffset, p.errorMessage, p.recordErrors], [0, next, -1, 0, null, []], `acks=${acks}: ${n} records at ${next}`);
      next += n;
    }
  }
  t.equal(await latest(c, 'acks'), next, 'the log end offset');
  for (let v = 3; v <= 13; v++) {
    const p = await produce(c, 'acks', 0, batch([`at v${v}`]), { version: v, topicId: v >= 13 ? id : ZERO_UUID });
    t.equal(p.errorCode, 0, `v${v}: appended`);
    t.equal(p.baseOffset, next++, `v${v}: base offset`);
    t.equal(p.logAppendTimeMs, -1, `v${v}: no log append time`);
    if (v >= 5) t.equal(p.logStartOffset, 0, `v${v}: log start offset`);
  }
  const fetched = await fetchOne(c, 'acks', 0, 0);
  t.equal(valuesOf(fetched.records).length, next, 'every record fetches back');
  t.same(batchesOf(fetched.records).map(x => x.baseOffset), [0, 3, 4, 9, 11, ...Array.from({ length: 11 }, (_, i) => 15 + i)], 'base offsets as answered');
});

t.test('one request, many partitions: each refused batch leaves its log unchanged, the good ones are appended', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'mixed', 8);
  await createTopic(c, 'small', 2, { 'max.message.bytes': '1000' });
  await createTopic(c, 'future', 1, { 'message.timestamp.after.max.ms': String(HOUR) });

  const badCrc = batch(['crc']);
  badCrc[badCrc.length - 1] ^= 0xff;
  const magic1 = batch(['old']);
  magic1[16] = 1;
  const now = Date.now();

  for (const acks of [1, -1]) {
    const before = new Map<string, number>();
    for (const [topic, n] of [['mixed', 8], ['small', 2], ['future', 1]] as const) for (let p = 0; p < n; p++) before.set(`${topic}-${p}`, await latest(c, topic, p));
    const res = await c.request(
      0,
      9,
      request(acks, [
        [
          'mixed',
          [
            [0, batch(['good'])],
            [1, badCrc],
            [2, magic1],
            [3, Buffer.concat([batch(['one']), batch(['two'])])],
            [4, batch(['ctl'], { attributes: CONTROL_BIT })],
            [5, batch(['offset'], { baseOffset: 5 })],
            [6, batch(['also good'])],
            [9, batch(['no such partition'])],
          ],
        ],
        [
          'small',
          [
            [0, batch([{ value: Buffer.alloc(2000) }])],
            [1, batch(['fits'])],
          ],
        ],
        ['future', [[0, batch([{ value: 'late', timestamp: now }, { value: 'early', timestamp: now + 2 * HOUR }])]]],
        ['nope', [[0, batch(['unknown topic'])]]],
      ]),
    );
    t.same(
      answers(res),
      [
        ['mixed', 0, 0],
        ['mixed', 1, ErrorCode.CORRUPT_MESSAGE],
        ['mixed', 2, ErrorCode.INVALID_RECORD],
        ['mixed', 3, ErrorCode.INVALID_RECORD],
        ['mixed', 4, ErrorCode.INVALID_RECORD],
        ['mixed', 5, ErrorCode.INVALID_RECORD],
        ['mixed', 6, 0],
        ['mixed', 9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['small', 0, ErrorCode.MESSAGE_TOO_LARGE],
        ['small', 1, 0],
        ['future', 0, ErrorCode.INVALID_TIMESTAMP],
        ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
      `acks=${acks}: each partition answered with its own error`,
    );
    for (const x of res.responses) {
      for (const p of x.partitionResponses) {
        if (p.errorCode === 0) continue;
        t.same([p.baseOffset, p.logAppendTimeMs, p.logStartOffset], [-1, -1, -1], `${x.name}-${p.index}: no offsets for a refused batch`);
        if (p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) t.type(p.errorMessage, 'string', `${x.name}-${p.index}: a message`);
      }
    }
    // Kafka's LogValidator names the offending records of an INVALID_TIMESTAMP batch
    const future = res.responses[2].partitionResponses[0];
    t.equal(future.errorMessage, 'One or more records have been rejected due to invalid timestamp');
    t.same(future.recordErrors.map((e: any) => e.batchIndex), [1], 'the second record is the one too far ahead');
    t.match(future.recordErrors[0].batchIndexErrorMessage, /^Timestamp \d+ of message with offset 1 is out of range/);

    const after = (topic: string, p: number) => latest(c, topic, p);
    for (const [key, was] of before) {
      const [topic, p] = [key.slice(0, key.lastIndexOf('-')), Number(key.slice(key.lastIndexOf('-') + 1))];
      const grew = ['mixed-0', 'mixed-6', 'small-1'].includes(key) ? 1 : 0;
      t.equal(await after(topic, p), was + grew, `${key}: ${grew ? 'appended' : 'unchanged'}`);
    }
  }
  t.same(valuesOf((await fetchOne(c, 'mixed', 0, 0)).records), ['good', 'good']);
});

t.test('timestamps: too far in the past or the future, per record; LogAppendTime topics take any', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'strict', 1, { 'message.timestamp.before.max.ms': String(HOUR), 'message.timestamp.after.max.ms': String(HOUR) });
  const now = Date.now();
  const cases: [string, { value: string; timestamp: number }[], number[]][] = [
    ['2 h ahead', [{ value: 'a', timestamp: now + 2 * HOUR }], [0]],
    ['2 h behind', [{ value: 'a', timestamp: now - 2 * HOUR }], [0]],
    // the first record sets the batch's base timestamp; a later record may still be too old
    ['a later record too old', [{ value: 'a', timestamp: now }, { value: 'b', timestamp: now - 2 * HOUR }, { value: 'c', timestamp: now - 3 * HOUR }], [1, 2]],
  ];
  for (const [what, records, bad] of cases) {
    const p = await produce(c, 'strict', 0, batch(records));
    t.equal(p.errorCode, ErrorCode.INVALID_TIMESTAMP, what);
    t.same(p.recordErrors.map((e: any) => e.batchIndex), bad, `${what}: the records named`);
  }
  t.equal(await latest(c, 'strict'), 0, 'nothing appended');
  t.equal((await produce(c, 'strict', 0, batch([{ value: 'ok', timestamp: now - HOUR / 2 }]))).errorCode, 0, 'within the window');

  await createTopic(c, 'appended', 1, { 'message.timestamp.type': 'LogAppendTime', 'message.timestamp.after.max.ms': String(HOUR) });
  const p = await produce(c, 'appended', 0, batch([{ value: 'far', timestamp: now + 10 * HOUR }]));
  t.equal(p.errorCode, 0, 'LogAppendTime: the producer timestamp is not checked');
});

t.test('invalid acks: INVALID_REQUIRED_ACKS for known partitions; nothing appended', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'acks', 2);
  for (const acks of [2, -2, 5]) {
    const res = await c.request(0, 9, request(acks, [['acks', [[0, batch(['x'])], [1, batch(['y'])], [4, batch(['z'])]]], ['nope', [[0, batch(['w'])]]]]));
    t.same(
      answers(res),
      [
        ['acks', 0, ErrorCode.INVALID_REQUIRED_ACKS],
        ['acks', 1, ErrorCode.INVALID_REQUIRED_ACKS],
        // Kafka answers unknown partitions before it looks at acks (KafkaApis.handleProduceRequest)
        ['acks', 4, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
      `acks=${acks}`,
    );
  }
  t.same([await latest(c, 'acks', 0), await latest(c, 'acks', 1)], [0, 0]);
});

t.test('min.insync.replicas above the ISR: acks=-1 gets NOT_ENOUGH_REPLICAS, acks=1 is appended', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'isr', 1, { 'min.insync.replicas': '2' });
  const p = await produce(c, 'isr', 0, batch(['all']), { acks: -1 });
  t.equal(p.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  t.equal(p.baseOffset, -1);
  t.equal(await latest(c, 'isr'), 0, 'not appended');
  // checked before the batch itself: even a corrupt batch gets NOT_ENOUGH_REPLICAS
  const bad = batch(['crc']);
  bad[bad.length - 1] ^= 1;
  t.equal((await produce(c, 'isr', 0, bad, { acks: -1 })).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  const one = await produce(c, 'isr', 0, batch(['leader only']), { acks: 1 });
  t.same([one.errorCode, one.baseOffset], [0, 0], 'acks=1 does not wait for the ISR');

  // the broker default applies to topics without their own setting
  const b2 = await testBroker(t, { config: { 'min.insync.replicas': 2 } });
  const c2 = await testClient(t, b2);
  await createTopic(c2, 'dflt');
  t.equal((await produce(c2, 'dflt', 0, batch(['x']), { acks: -1 })).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS, 'broker min.insync.replicas');
});

t.test('acks=0: no response; an error closes the connection after the good partitions are appended', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'quiet', 2);
  c.send(0, 9, request(0, [['quiet', [[0, batch(['a'])], [1, batch(['b'])]]]]));
  // the next request's answer is the next frame: the produce had none
  const id = c.send(18, 3, body(18, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' }));
  const frame = (await c.nextFrame())!;
  t.equal(frame.readInt32BE(0), id, 'no response to the acks=0 produce');
  t.same([await latest(c, 'quiet', 0), await latest(c, 'quiet', 1)], [1, 1], 'appended');

  const bad = await TestClient.connect(b.bootstrap);
  t.teardown(() => bad.close());
  const corrupt = batch(['x']);
  corrupt[corrupt.length - 1] ^= 1;
  bad.send(0, 9, request(0, [['quiet', [[0, batch(['kept'])], [1, corrupt]]]]));
  bad.send(18, 3, body(18, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' }));
  t.equal(await bad.nextFrame(), null, 'closed, nothing answered');
  await bad.waitClosed();
  t.same([await latest(c, 'quiet', 0), await latest(c, 'quiet', 1)], [2, 1], 'the good partition was appended, the corrupt one not');

  const unknown = await TestClient.connect(b.bootstrap);
  t.teardown(() => unknown.close());
  unknown.send(0, 9, request(0, [['nope', [[0, batch(['x'])]]]]));
  await unknown.waitClosed();
  t.pass('an unknown topic with acks=0 closes the connection too');
  t.equal((await c.call(18, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' })).errorCode, 0, 'other connections unaffected');
});

t.test('transactional batches without a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition, with no authorizer too', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'txn-less', 2);
  const txnBatch = batch(['t'], { attributes: TRANSACTIONAL_BIT, producerId: 7, producerEpoch: 0, baseSequence: 0 });
  const res = await c.request(0, 9, request(1, [['txn-less', [[0, txnBatch], [1, batch(['plain'])]]]]));
  t.same(answers(res), [
    ['txn-less', 0, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
    ['txn-less', 1, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
  ]);
  t.same([await latest(c, 'txn-less', 0), await latest(c, 'txn-less', 1)], [0, 0], 'nothing appended, not even the plain batch');
  // acks=0: no response to carry the error, so the connection closes
  const quiet = await TestClient.connect(b.bootstrap);
  t.teardown(() => quiet.close());
  quiet.send(0, 9, request(0, [['txn-less', [[0, txnBatch]]]]));
  await quiet.waitClosed();
  t.equal(await latest(c, 'txn-less', 0), 0);
});

t.test('Produce v0-2 (message format v0/v1) is refused with UNSUPPORTED_VERSION', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'old');
  for (const v of [0, 1, 2]) {
    const res = await c.request(0, v, request(1, [['old', [[0, batch(['x'])]]]], v));
    t.same(answers(res), [['old', 0, ErrorCode.UNSUPPORTED_VERSION]], `v${v}`);
    t.equal(res.responses[0].partitionResponses[0].baseOffset, -1);
  }
  t.equal(await latest(c, 'old'), 0, 'nothing appended');
  // with acks=0 there is no response to carry the error: the connection is closed
  const quiet = await TestClient.connect(b.bootstrap);
  t.teardown(() => quiet.close());
  quiet.write(requestFrame(0, 2, 1, request(0, [['old', [[0, batch(['x'])]]]], 2)));
  await quiet.waitClosed();
  t.equal(await latest(c, 'old'), 0, 'nothing appended with acks=0 either');
});

t.test('v13 names topics by id', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const id = await createTopic(c, 'ided', 2);
  const unknown = 'AAAAAAAAAAAAAAAAAAAAAQ';
  const res = await c.call(0, 13, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      { name: '', topicId: id, partitionData: [{ index: 1, records: batch(['by id']) }, { index: 2, records: batch(['no partition']) }] },
      { name: '', topicId: unknown, partitionData: [{ index: 0, records: batch(['no topic']) }] },
    ],
  });
  t.same(
    res.responses.map((x: any) => [x.topicId, x.partitionResponses.map((p: any) => [p.index, p.errorCode, p.baseOffset])]),
    [
      [id, [[1, 0, 0], [2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1]]],
      [unknown, [[0, ErrorCode.UNKNOWN_TOPIC_ID, -1]]],
    ],
  );
  t.same(valuesOf((await fetchOne(c, 'ided', 1, 0)).records), ['by id']);
});

t.test('LogAppendTime topics: the broker time in the response and in the fetched batch', async t => {
  const clock = new ManualClock();
  const b = await testBroker(t, { clock });
  const c = await testClient(t, b);
  await createTopic(c, 'lat', 1, { 'message.timestamp.type': 'LogAppendTime' });
  const producerTime = clock.now() - 5000;
  const p = await produce(c, 'lat', 0, batch([{ value: 'a', timestamp: producerTime }, { value: 'b', timestamp: producerTime + 1 }]));
  t.same([p.errorCode, p.baseOffset, p.logAppendTimeMs], [0, 0, clock.now()], 'logAppendTimeMs is the broker clock');
  clock.advance(1000);
  const p2 = await produce(c, 'lat', 0, batch(['c']));
  t.equal(p2.logAppendTimeMs, clock.now(), 'the clock at the second append');

  const [b1, b2] = batchesOf((await fetchOne(c, 'lat', 0, 0)).records);
  t.ok(b1!.attributes & TIMESTAMP_TYPE_BIT, 'the batch is marked LogAppendTime');
  t.equal(b1!.maxTimestamp, p.logAppendTimeMs, 'max timestamp is the append time');
  t.same(b1!.records.map(r => r.timestamp), [p.logAppendTimeMs, p.logAppendTimeMs], 'every record reads the append time');
  t.equal(b2!.maxTimestamp, p2.logAppendTimeMs);

  // a CreateTime topic on the same broker keeps the producer's times, checked against the broker clock
  await createTopic(c, 'ct');
  const ct = await produce(c, 'ct', 0, batch([{ value: 'x', timestamp: producerTime }]));
  t.same([ct.errorCode, ct.logAppendTimeMs], [0, -1]);
  const [cb] = batchesOf((await fetchOne(c, 'ct', 0, 0)).records);
  t.equal(cb!.attributes & TIMESTAMP_TYPE_BIT, 0);
  t.equal(cb!.records[0]!.timestamp, producerTime);
  const ahead = await produce(c, 'ct', 0, batch([{ value: 'x', timestamp: clock.now() + HOUR + 1 }]));
  t.equal(ahead.errorCode, ErrorCode.INVALID_TIMESTAMP, 'an hour and a millisecond ahead of the broker clock');
  const edge = await produce(c, 'ct', 0, batch([{ value: 'x', timestamp: clock.now() + HOUR }]));
  t.equal(edge.errorCode, 0, 'exactly message.timestamp.after.max.ms ahead is accepted');
});

t.test('stored batches fetch back byte for byte, but for base offset and leader epoch', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'bytes');
  const sent = [
    batch([{ key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'x' }] }, { key: null, value: null }]),
    batch([{ value: Buffer.alloc(3000, 1) }], { producerId: -1, baseSequence: -1 }),
    batch(['a', 'b', 'c']),
  ];
  for (const s of sent) t.equal((await produce(c, 'bytes', 0, s)).errorCode, 0);
  const fetched = (await fetchOne(c, 'bytes', 0, 0)).records as Buffer;
  let pos = 0;
  let offset = 0;
  sent.forEach((s, i) => {
    const got = fetched.subarray(pos, pos + s.length);
    t.equal(got.readBigInt64BE(0), BigInt(offset), `batch ${i}: base offset assigned`);
    t.equal(got.readInt32BE(12), 0, `batch ${i}: partition leader epoch set to the leader's`);
    t.ok(got.subarray(8, 12).equals(s.subarray(8, 12)), `batch ${i}: same length`);
    t.ok(got.subarray(16).equals(s.subarray(16)), `batch ${i}: magic, CRC, attributes, timestamps, producer fields and records unchanged`);
    pos += s.length;
    offset += s.readInt32BE(57);
  });
  t.equal(pos, fetched.length, 'nothing else fetched');
});
