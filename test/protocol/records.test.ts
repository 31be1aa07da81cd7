// Record batches (src/protocol/records.ts): encode/decode round trips, CRC32C, validation of a
// produced batch for every outcome, the broker-assigned fields, gzip and unreadable codecs.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import {
  ATTRIBUTES, BASE_OFFSET, BASE_SEQUENCE, BASE_TIMESTAMP, BATCH_LENGTH, CONTROL_BIT, CRC, Compression, HEADER_SIZE,
  LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC, MAX_TIMESTAMP, PARTITION_LEADER_EPOCH, PRODUCER_EPOCH, PRODUCER_ID,
  RECORDS_COUNT, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT, assignBatch, decodeBatch, decodeBatches, encodeRecordBatch,
  isBatchProblem, readInt64, recordTimestamps, validateProducedBatch, writeInt64, type BatchHeader, type BatchProblem,
} from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const T0 = 1_700_000_000_000;

/** Recomputes a batch's CRC after a test edits CRC-covered bytes. */
function recrc(b: Buffer): Buffer {
  b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES)), CRC);
  return b;
}

const crcValid = (b: Buffer) => crc32c(b.subarray(ATTRIBUTES)) === b.readUInt32BE(CRC);

const simple = (n = 3, ts = T0) =>
  encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: ts + i })));

/** A gzip batch with the same records as `plain`: the records section gzipped, codec bits and CRC set. */
function gzipped(plain: Buffer): Buffer {
  const section = gzipSync(plain.subarray(HEADER_SIZE));
  const b = Buffer.concat([plain.subarray(0, HEADER_SIZE), section]);
  b.writeInt32BE(b.length - LOG_OVERHEAD, BATCH_LENGTH);
  b.writeInt16BE((b.readInt16BE(ATTRIBUTES) & ~0x07) | Compression.gzip, ATTRIBUTES);
  return recrc(b);
}

t.test('CRC32C: the check value of "123456789", and a batch\'s CRC covers attributes to the end', async t => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const b = simple();
  t.equal(b.readUInt32BE(CRC), crc32c(b.subarray(ATTRIBUTES)));
  t.equal(b[MAGIC], 2);
  t.equal(b.readInt32BE(BATCH_LENGTH), b.length - LOG_OVERHEAD);
  // bytes before the attributes (base offset, length, epoch, magic) are outside the CRC
  const c = Buffer.from(b);
  c.writeInt32BE(99, PARTITION_LEADER_EPOCH);
  writeInt64(c, BASE_OFFSET, 12345);
  t.ok(crcValid(c));
  c[c.length - 1] ^= 1;
  t.notOk(crcValid(c), 'the last byte is covered');
});

t.test('encodeRecordBatch / decodeBatch round trip', async t => {
  const big = Buffer.alloc(5000, 7); // past the Writer's chunking threshold
  const b = encodeRecordBatch(
    [
      { key: 'a', value: 'one', timestamp: T0, headers: [{ key: 'h1', value: 'x' }, { key: 'ключ', value: null }] },
      { key: null, value: null, timestamp: T0 - 5, offsetDelta: 2 },
      { key: Buffer.alloc(0), value: big, timestamp: T0 + 1000, offsetDelta: 5, headers: [{ key: '', value: Buffer.alloc(0) }] },
    ],
    {
      baseOffset: 40,
      partitionLeaderEpoch: 3,
      attributes: TRANSACTIONAL_BIT,
      producerId: 2 ** 40,
      producerEpoch: 7,
      baseSequence: 11,
    },
  );
  t.equal(readInt64(b, BASE_OFFSET), 40);
  t.equal(b.readInt32BE(LAST_OFFSET_DELTA), 5, 'the largest offset delta, not the count');
  t.equal(b.readInt32BE(RECORDS_COUNT), 3);
  t.equal(readInt64(b, BASE_TIMESTAMP), T0, 'the first record\'s timestamp');
  t.equal(readInt64(b, MAX_TIMESTAMP), T0 + 1000);
  t.ok(crcValid(b));

  const d = decodeBatch(b);
  t.equal(d.baseOffset, 40);
  t.equal(d.partitionLeaderEpoch, 3);
  t.equal(d.attributes, TRANSACTIONAL_BIT);
  t.equal(d.lastOffsetDelta, 5);
  t.equal(d.baseTimestamp, T0);
  t.equal(d.maxTimestamp, T0 + 1000);
  t.equal(d.producerId, 2 ** 40);
  t.equal(d.producerEpoch, 7);
  t.equal(d.baseSequence, 11);
  t.equal(d.records.length, 3);
  const [r0, r1, r2] = d.records;
  t.equal(r0!.offset, 40);
  t.equal(r0!.timestamp, T0);
  t.equal(r0!.key!.toString(), 'a');
  t.equal(r0!.value!.toString(), 'one');
  t.same(r0!.headers.map(h => [h.key, h.value === null ? null : h.value.toString()]), [['h1', 'x'], ['ключ', null]]);
  t.equal(r1!.offset, 42);
  t.equal(r1!.timestamp, T0 - 5, 'a timestamp before the base one (negative delta)');
  t.equal(r1!.key, null);
  t.equal(r1!.value, null);
  t.same(r1!.headers, []);
  t.equal(r2!.offset, 45);
  t.equal(r2!.timestamp, T0 + 1000);
  t.equal(r2!.key!.length, 0, 'an empty key is not null');
  t.ok(r2!.value!.equals(big));
  t.same(r2!.headers.map(h => [h.key, h.value!.length]), [['', 0]]);
  // decoded keys/values are copies, not views of the batch
  t.not(r0!.value!.buffer, b.buffer);

  // defaults: base offset 0, epoch -1, no producer, max timestamp of the records
  const plain = decodeBatch(encodeRecordBatch([{ value: 'x', timestamp: 5 }, { value: 'y', timestamp: 3 }]));
  t.same(
    [plain.baseOffset, plain.partitionLeaderEpoch, plain.producerId, plain.producerEpoch, plain.baseSequence, plain.baseTimestamp, plain.maxTimestamp],
    [0, -1, -1, -1, -1, 5, 5],
  );
  t.same(plain.records.map(r => [r.offset, r.timestamp]), [[0, 5], [1, 3]]);
  // an empty batch
  const empty = encodeRecordBatch([], { baseTimestamp: T0 });
  t.equal(empty.length, HEADER_SIZE);
  t.equal(empty.readInt32BE(RECORDS_COUNT), 0);
  t.same(decodeBatch(empty).records, []);
});

t.test('validateProducedBatch: a valid batch and its header fields', async t => {
  const b = encodeRecordBatch(
    [{ value: 'a', timestamp: T0 + 3 }, { value: 'b', timestamp: T0 + 9 }, { value: 'c', timestamp: T0 + 1 }],
    { attributes: TRANSACTIONAL_BIT, producerId: 1234, producerEpoch: 5, baseSequence: 77, baseTimestamp: T0 },
  );
  const h = validateProducedBatch(b, 1_000_000);
  t.notOk(isBatchProblem(h));
  t.same(h as BatchHeader, {
    size: b.length,
    attributes: TRANSACTIONAL_BIT,
    lastOffsetDelta: 2,
    baseTimestamp: T0,
    maxTimestamp: T0 + 9,
    producerId: 1234,
    producerEpoch: 5,
    baseSequence: 77,
    recordCount: 3,
  });
  // max.message.bytes is inclusive
  t.notOk(isBatchProblem(validateProducedBatch(b, b.length)));
  // CRC-free fields may be anything but the base offset
  const e = Buffer.from(b);
  e.writeInt32BE(42, PARTITION_LEADER_EPOCH);
  t.notOk(isBatchProblem(validateProducedBatch(e, 1_000_000)), 'a partition leader epoch from the client is ignored');
  // every codec 0-4 is accepted (records are not decoded)
  for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
    const c = Buffer.from(b);
    c.writeInt16BE(codec, ATTRIBUTES);
    t.notOk(isBatchProblem(validateProducedBatch(recrc(c), 1_000_000)), `codec ${codec}`);
  }
});

t.test('validateProducedBatch: every refusal', async t => {
  const good = simple(3);
  const edit = (fn: (b: Buffer) => void, crc = true) => {
    const b = Buffer.from(good);
    fn(b);
    return crc ? recrc(b) : b;
  };
  const expect = (records: Buffer | null, code: number, message: string | RegExp, what: string, max = 1_000_000) => {
    const p = validateProducedBatch(records, max);
    t.ok(isBatchProblem(p), `${what}: refused`);
    t.equal((p as BatchProblem).code, code, `${what}: code`);
    if (typeof message === 'string') t.equal((p as BatchProblem).message, message, `${what}: message`);
    else t.match((p as BatchProblem).message, message, `${what}: message`);
  };
  const ONE = 'Produce requests with version 3 are only allowed to contain exactly one record batch';
  expect(null, ErrorCode.INVALID_RECORD, ONE, 'null records');
  expect(Buffer.alloc(0), ErrorCode.INVALID_RECORD, ONE, 'empty records');
  expect(good.subarray(0, LOG_OVERHEAD - 1), ErrorCode.INVALID_RECORD, ONE, '11 bytes');
  for (const magic of [0, 1]) {
    expect(
      edit(b => (b[MAGIC] = magic), false),
      ErrorCode.INVALID_RECORD,
      'Produce requests with version >= 3 are only allowed to contain record batches with magic version 2',
      `magic ${magic}`,
    );
  }
  expect(good.subarray(0, good.length - 1), ErrorCode.CORRUPT_MESSAGE, `Record batch size ${good.length} does not fit the ${good.length - 1} bytes sent`, 'one byte short');
  expect(edit(b => b.writeInt32BE(HEADER_SIZE - LOG_OVERHEAD - 1, BATCH_LENGTH), false), ErrorCode.CORRUPT_MESSAGE, /Record batch size 60 does not fit/, 'length below a header');
  expect(good.subarray(0, LOG_OVERHEAD + 2), ErrorCode.CORRUPT_MESSAGE, /does not fit/, 'only the length and a bit');
  expect(Buffer.concat([good, good]), ErrorCode.INVALID_RECORD, ONE, 'two batches');
  expect(Buffer.concat([good, Buffer.alloc(1)]), ErrorCode.INVALID_RECORD, ONE, 'a trailing byte');
  expect(edit(b => writeInt64(b, BASE_OFFSET, 5), false), ErrorCode.INVALID_RECORD, 'The baseOffset of the record batch in the append should be 0, but it is 5', 'base offset 5');
  expect(good, ErrorCode.MESSAGE_TOO_LARGE, `The record batch size ${good.length} exceeds max.message.bytes ${good.length - 1}`, 'over max.message.bytes', good.length - 1);
  expect(edit(b => (b[b.length - 1] ^= 0x40), false), ErrorCode.CORRUPT_MESSAGE, 'Record batch is corrupt (CRC mismatch)', 'a flipped bit in a value');
  expect(edit(b => (b[CRC] ^= 1), false), ErrorCode.CORRUPT_MESSAGE, 'Record batch is corrupt (CRC mismatch)', 'a flipped bit in the CRC');
  expect(edit(b => b.writeInt32BE(-1, LAST_OFFSET_DELTA)), ErrorCode.INVALID_RECORD, 'Batch has an invalid offset range: last offset delta -1', 'negative lastOffsetDelta');
  expect(edit(b => (b.writeInt32BE(0, RECORDS_COUNT), b.writeInt32BE(0, LAST_OFFSET_DELTA))), ErrorCode.INVALID_RECORD, 'Invalid reported count for record batch: 0', 'count 0');
  expect(edit(b => b.writeInt32BE(-3, RECORDS_COUNT)), ErrorCode.INVALID_RECORD, 'Invalid reported count for record batch: -3', 'negative count');
  expect(edit(b => b.writeInt32BE(4, RECORDS_COUNT)), ErrorCode.INVALID_RECORD, 'Inconsistent batch offset range (3) and record count (4)', 'count > lastOffsetDelta + 1');
  expect(edit(b => b.writeInt32BE(5, LAST_OFFSET_DELTA)), ErrorCode.INVALID_RECORD, 'Inconsistent batch offset range (6) and record count (3)', 'count < lastOffsetDelta + 1');
  for (const codec of [5, 6, 7]) {
    expect(edit(b => b.writeInt16BE(codec, ATTRIBUTES)), ErrorCode.INVALID_RECORD, `Unknown compression codec ${codec}`, `codec ${codec}`);
  }
  expect(edit(b => b.writeInt16BE(CONTROL_BIT, ATTRIBUTES)), ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records', 'control bit');
  expect(edit(b => b.writeInt16BE(CONTROL_BIT | TRANSACTIONAL_BIT, ATTRIBUTES)), ErrorCode.INVALID_RECORD, /control records/, 'transactional control batch');
});

t.test('assignBatch: CreateTime leaves CRC-covered bytes alone', async t => {
  const b = simple(2);
  const before = Buffer.from(b);
  assignBatch(b, 2 ** 40 + 3, 9, null);
  t.equal(readInt64(b, BASE_OFFSET), 2 ** 40 + 3);
  t.equal(b.readInt32BE(PARTITION_LEADER_EPOCH), 9);
  t.ok(b.subarray(CRC).equals(before.subarray(CRC)), 'CRC and everything after it unchanged');
  t.ok(crcValid(b));
  t.same(decodeBatch(b).records.map(r => [r.offset, r.timestamp]), [[2 ** 40 + 3, T0], [2 ** 40 + 4, T0 + 1]]);
});

t.test('assignBatch: LogAppendTime sets the type bit and max timestamp and recomputes the CRC', async t => {
  const b = encodeRecordBatch([{ value: 'a', timestamp: T0 }, { value: 'b', timestamp: T0 + 50 }], { attributes: TRANSACTIONAL_BIT });
  const oldCrc = b.readUInt32BE(CRC);
  const appendTime = T0 + 99_999;
  assignBatch(b, 10, 2, appendTime);
  t.equal(b.readInt16BE(ATTRIBUTES), TRANSACTIONAL_BIT | TIMESTAMP_TYPE_BIT, 'other attribute bits kept');
  t.equal(readInt64(b, MAX_TIMESTAMP), appendTime);
  t.equal(readInt64(b, BASE_TIMESTAMP), T0, 'base timestamp unchanged');
  t.equal(readInt64(b, BASE_OFFSET), 10);
  t.equal(b.readInt32BE(PARTITION_LEADER_EPOCH), 2);
  t.not(b.readUInt32BE(CRC), oldCrc);
  t.ok(crcValid(b), 'the CRC is valid again');
  t.notOk(isBatchProblem(validateProducedBatch((writeInt64(b, BASE_OFFSET, 0), b), 1e6)), 'and passes validation');
  t.same(decodeBatch(b).records.map(r => r.timestamp), [appendTime, appendTime], 'every record reads the append time');
});

t.test('decodeBatches: concatenated batches, a trailing partial batch', async t => {
  const a = encodeRecordBatch([{ value: 'a' }], { baseOffset: 0 });
  const b = encodeRecordBatch([{ value: 'b1' }, { value: 'b2' }], { baseOffset: 1 });
  const c = encodeRecordBatch([{ value: 'c' }], { baseOffset: 3 });
  const all = Buffer.concat([a, b, c]);
  t.same(decodeBatches(all).map(d => d.records.map(r => [r.offset, r.value!.toString()])), [[[0, 'a']], [[1, 'b1'], [2, 'b2']], [[3, 'c']]]);
  for (const cut of [1, LOG_OVERHEAD - 1, LOG_OVERHEAD, HEADER_SIZE, c.length - 1]) {
    const partial = all.subarray(0, a.length + b.length + cut);
    t.same(decodeBatches(partial).map(d => d.baseOffset), [0, 1], `the third batch cut to ${cut} bytes is left out`);
  }
  t.same(decodeBatches(Buffer.alloc(0)), []);
  t.same(decodeBatches(a.subarray(0, 5)), []);
});

t.test('gzip batches decode; recordTimestamps for each kind of batch', async t => {
  const plain = encodeRecordBatch(
    [{ key: 'k', value: 'x'.repeat(1000), timestamp: T0 + 7 }, { value: 'y', timestamp: T0 + 3, offsetDelta: 4 }],
    { baseOffset: 100, baseTimestamp: T0 },
  );
  const gz = gzipped(plain);
  t.ok(gz.length < plain.length, 'the gzip section is smaller');
  t.equal(gz.readInt16BE(ATTRIBUTES) & 0x07, Compression.gzip);
  t.notOk(isBatchProblem(validateProducedBatch(gzipped(simple(5)), 1e6)), 'a gzip batch passes validation');
  const d = decodeBatch(gz);
  t.same(d.records.map(r => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value!.toString().slice(0, 3)]), [
    [100, T0 + 7, 'k', 'xxx'],
    [104, T0 + 3, null, 'y'],
  ]);
  t.equal(d.records[0]!.value!.length, 1000);

  const expected = [{ offset: 100, timestamp: T0 + 7 }, { offset: 104, timestamp: T0 + 3 }];
  t.same(recordTimestamps(plain), expected, 'CreateTime, uncompressed');
  t.same(recordTimestamps(gz), expected, 'CreateTime, gzip');

  const lat = Buffer.from(plain);
  assignBatch(lat, 100, 0, T0 + 500);
  t.same(recordTimestamps(lat), [{ offset: 100, timestamp: T0 + 500 }], 'LogAppendTime: the first offset at the append time');

  for (const codec of [Compression.snappy, Compression.lz4, Compression.zstd]) {
    const other = Buffer.from(plain);
    other.writeInt16BE(codec, ATTRIBUTES);
    recrc(other);
    t.equal(recordTimestamps(other), null, `codec ${codec}: null, not readable here`);
    t.throws(() => decodeBatch(other), { message: `cannot decompress codec ${codec}` });
  }
  // an unreadable codec with LogAppendTime still answers from the header
  const snappyLat = Buffer.from(plain);
  snappyLat.writeInt16BE(Compression.snappy, ATTRIBUTES);
  assignBatch(snappyLat, 100, 0, T0 + 1);
  t.same(recordTimestamps(snappyLat), [{ offset: 100, timestamp: T0 + 1 }]);
});

t.test('readInt64 / writeInt64 at the edges of exact doubles', async t => {
  const b = Buffer.alloc(8);
  for (const v of [0, -1, 2 ** 32, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53)]) {
    writeInt64(b, 0, v);
    t.equal(b.readBigInt64BE(0), BigInt(v));
    t.equal(readInt64(b, 0), v);
  }
  // field offsets match the v2 batch layout
  t.same(
    [BASE_OFFSET, BATCH_LENGTH, PARTITION_LEADER_EPOCH, MAGIC, CRC, ATTRIBUTES, LAST_OFFSET_DELTA, BASE_TIMESTAMP, MAX_TIMESTAMP, PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE, RECORDS_COUNT, HEADER_SIZE],
    [0, 8, 12, 16, 17, 21, 23, 27, 35, 43, 51, 53, 57, 61],
  );
});
