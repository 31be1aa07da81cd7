// The __transaction_state record formats (src/coordinator/transaction/txn-records.ts): golden bytes
// built field by field from Kafka's TransactionLogKey/TransactionLogValue schemas, the value version
// Kafka 4.1 picks, round trips at both versions, tagged fields, and decoders that answer truncated
// or mutated bytes with TxnRecordError only.
import t, { type Test } from 'tap';
import {
  TRANSACTION_STATE_TOPIC,
  TXN_STATE_NAMES,
  TxnRecordError,
  TxnState,
  decodeTxnKey,
  decodeTxnValue,
  encodeTxnKey,
  encodeTxnValue,
  javaStringHashCode,
  partitionForTransactionalId,
  type TxnLogValue,
  type TxnStateId,
} from '../../src/coordinator/transaction/txn-records.js';
import { rng } from '../helpers/engines.js';

// ---- an independent byte builder, for layouts written out field by field -------------------------

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const i8 = (v: number) => Buffer.from([v & 0xff]);
const i16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const i32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const i64 = (v: bigint | number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
};
const uvarint = (v: number) => {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
};
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const cstr = (s: string) => Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]);
const NO_TAGS = uvarint(0);
const tags = (fields: [number, Buffer][]) => Buffer.concat([uvarint(fields.length), ...fields.flatMap(([tag, p]) => [uvarint(tag), uvarint(p.length), p])]);
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

function throwsTxnError(t: Test, fn: () => unknown, message: string): TxnRecordError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TxnRecordError) {
      t.pass(message);
      return err;
    }
    t.fail(`${message}: threw ${String(err)}`);
    return undefined;
  }
  t.fail(`${message}: did not throw`);
  return undefined;
}

const value = (over: Partial<TxnLogValue> = {}): TxnLogValue => ({
  producerId: 1000,
  previousProducerId: -1,
  nextProducerId: -1,
  producerEpoch: 5,
  transactionTimeoutMs: 60000,
  state: TxnState.Ongoing,
  partitions: [{ topic: 'orders', partitionIds: [0, 2] }],
  transactionLastUpdateTimestampMs: 1700000000123,
  transactionStartTimestampMs: 1700000000000,
  clientTransactionVersion: 0,
  ...over,
});

// ---- constants ----------------------------------------------------------------------------------

t.test('topic name, state ids and the names DescribeTransactions shows', async t => {
  t.equal(TRANSACTION_STATE_TOPIC, '__transaction_state');
  t.same(TxnState, { Empty: 0, Ongoing: 1, PrepareCommit: 2, PrepareAbort: 3, CompleteCommit: 4, CompleteAbort: 5, Dead: 6, PrepareEpochFence: 7 });
  for (const [name, id] of Object.entries(TxnState)) t.equal(TXN_STATE_NAMES[id], name);
});

// ---- golden bytes -------------------------------------------------------------------------------

t.test('key: int16 0, then the transactional id as an int16-length string', async t => {
  const golden = hex(`0000 0006 ${Buffer.from('my-txn').toString('hex')}`);
  t.same(encodeTxnKey('my-txn'), golden);
  t.equal(decodeTxnKey(golden), 'my-txn');
  const unicode = encodeTxnKey('日本');
  t.same(unicode, cat(i16(0), i16(6), Buffer.from('日本')));
  t.equal(decodeTxnKey(unicode), '日本');
  t.same(encodeTxnKey(''), hex('0000 0000'));
  // Bytes after the last field are ignored, as Kafka's generated readers do.
  t.equal(decodeTxnKey(cat(golden, hex('ff'))), 'my-txn');
});

t.test('value v0: every field at its width and in schema order', async t => {
  const golden = cat(
    hex('0000'), // version 0
    hex('00000000000003e8'), // ProducerId 1000
    hex('0005'), // ProducerEpoch
    hex('0000ea60'), // TransactionTimeoutMs 60000
    hex('01'), // TransactionStatus Ongoing
    hex('00000001'), // TransactionPartitions: 1 entry
    hex(`0006 ${Buffer.from('orders').toString('hex')}`), // Topic
    hex('00000002 00000000 00000002'), // PartitionIds [0, 2]
    i64(1700000000123), // TransactionLastUpdateTimestampMs
    i64(1700000000000), // TransactionStartTimestampMs
  );
  t.equal(golden.length, 2 + 8 + 2 + 4 + 1 + 4 + 8 + 12 + 8 + 8);
  t.same(encodeTxnValue(value()), golden);
  t.same(encodeTxnValue(value(), 0), golden);
  t.same(decodeTxnValue(golden), value());
});

t.test('value v1: compact strings and arrays, tagged sections, ClientTransactionVersion tag 2', async t => {
  const golden = cat(
    hex('0001'), // version 1
    hex('00000000000003e8'), // ProducerId
    hex('0005'), // ProducerEpoch
    hex('0000ea60'), // TransactionTimeoutMs
    hex('01'), // TransactionStatus Ongoing
    hex('02'), // compact array: 1 entry
    hex(`07 ${Buffer.from('orders').toString('hex')}`), // compact Topic
    hex('03 00000000 00000002'), // compact PartitionIds [0, 2]
    hex('00'), // the entry's tagged fields
    i64(1700000000123),
    i64(1700000000000),
    hex('01 02 02 0002'), // 1 tagged field: tag 2, size 2, int16 2
  );
  const v = value({ clientTransactionVersion: 2 });
  t.same(encodeTxnValue(v), golden);
  t.same(encodeTxnValue(v, 2), golden);
  t.same(decodeTxnValue(golden), v);
});

t.test('value v1 with PreviousProducerId and NextProducerId: tags 0, 1, 2 in order', async t => {
  const v = value({ previousProducerId: 999, nextProducerId: 2 ** 40 + 7, clientTransactionVersion: 2, state: TxnState.PrepareCommit });
  const golden = cat(
    hex('0001'),
    i64(1000),
    i16(5),
    i32(60000),
    i8(TxnState.PrepareCommit),
    hex('02'),
    cstr('orders'),
    hex('03 00000000 00000002'),
    NO_TAGS,
    i64(1700000000123),
    i64(1700000000000),
    tags([
      [0, i64(999)],
      [1, i64(2 ** 40 + 7)],
      [2, i16(2)],
    ]),
  );
  t.same(encodeTxnValue(v), golden);
  t.same(decodeTxnValue(golden), v);
});

t.test('value v1 with no tagged fields (transaction.version 1+, clientTransactionVersion 0)', async t => {
  const v = value();
  const golden = cat(hex('0001'), i64(1000), i16(5), i32(60000), i8(1), hex('02'), cstr('orders'), hex('03 00000000 00000002'), NO_TAGS, i64(1700000000123), i64(1700000000000), NO_TAGS);
  t.same(encodeTxnValue(v, 2), golden);
  t.same(encodeTxnValue(v, 1), golden);
  t.same(decodeTxnValue(golden), v);
});

t.test('Empty writes null partitions; other states with none write an empty array', async t => {
  const empty = value({ state: TxnState.Empty, partitions: [], transactionStartTimestampMs: -1 });
  const v0 = encodeTxnValue(empty);
  t.same(v0, cat(hex('0000'), i64(1000), i16(5), i32(60000), i8(0), i32(-1), i64(1700000000123), i64(-1)));
  t.same(decodeTxnValue(v0), empty);
  const v1 = encodeTxnValue(empty, 2);
  t.same(v1, cat(hex('0001'), i64(1000), i16(5), i32(60000), i8(0), uvarint(0), i64(1700000000123), i64(-1), NO_TAGS));
  t.same(decodeTxnValue(v1), empty);

  const done = value({ state: TxnState.CompleteCommit, partitions: [] });
  t.same(encodeTxnValue(done).subarray(17, 21), i32(0), 'v0: array of 0 entries');
  t.same(encodeTxnValue(done, 2).subarray(17, 18), uvarint(1), 'v1: compact array of 0 entries');
  t.same(decodeTxnValue(encodeTxnValue(done)), done);
  t.same(decodeTxnValue(encodeTxnValue(done, 2)), done);

  // Kafka ignores the partitions of an Empty value; a null array elsewhere reads as none.
  const emptyWithPartitions = cat(hex('0000'), i64(1), i16(0), i32(1), i8(0), i32(1), str('t'), i32(1), i32(3), i64(0), i64(0));
  t.same(decodeTxnValue(emptyWithPartitions)!.partitions, []);
  const ongoingWithNull = cat(hex('0000'), i64(1), i16(0), i32(1), i8(1), i32(-1), i64(0), i64(0));
  t.same(decodeTxnValue(ongoingWithNull)!.partitions, []);
});

t.test('record sizes match a dump of a real (post-4.1, KAFKA-20712) broker', async t => {
  // kafka-dump-log of __transaction_state (apache/kafka#22615): keySize 15, valueSize 45 for
  // "kafka-txn-0" at value version 1, Empty, previousProducerId 0 (written since KAFKA-20310),
  // clientTransactionVersion absent (0) although the value is v1: the version follows the
  // cluster's transaction.version, not the transaction's.
  t.equal(encodeTxnKey('kafka-txn-0').length, 15);
  const v = value({
    producerId: 0,
    previousProducerId: 0,
    producerEpoch: 0,
    state: TxnState.Empty,
    partitions: [],
    transactionLastUpdateTimestampMs: 1781778768194,
    transactionStartTimestampMs: -1,
  });
  t.equal(encodeTxnValue(v, 2).length, 45);
  // What 4.1 itself writes for it: no PreviousProducerId tag (its tag, size and 8 bytes: 10 fewer).
  t.equal(encodeTxnValue({ ...v, previousProducerId: -1 }, 2).length, 35);
});

t.test('tombstone', async t => {
  t.equal(decodeTxnValue(null), null);
});

// ---- the version Kafka 4.1 writes ---------------------------------------------------------------

t.test('value version: v1 from transaction.version 1, else v0; the level defaults to clientTransactionVersion', async t => {
  const versionOf = (b: Buffer) => b.readInt16BE(0);
  t.equal(versionOf(encodeTxnValue(value())), 0);
  t.equal(versionOf(encodeTxnValue(value({ clientTransactionVersion: 2 }))), 1);
  t.equal(versionOf(encodeTxnValue(value({ clientTransactionVersion: 1 }))), 1);
  t.equal(versionOf(encodeTxnValue(value(), 0)), 0);
  t.equal(versionOf(encodeTxnValue(value(), 1)), 1);
  t.equal(versionOf(encodeTxnValue(value(), 2)), 1);
  // v0 has no tagged fields: the producer ids are dropped (as Kafka does), a client version refused (as Kafka's writer does).
  const ids = value({ previousProducerId: 7, nextProducerId: 8 });
  t.same(encodeTxnValue(ids, 0), encodeTxnValue(value(), 0));
  t.same(decodeTxnValue(encodeTxnValue(ids, 0)), value());
  throwsTxnError(t, () => encodeTxnValue(value({ clientTransactionVersion: 2 }), 0), 'clientTransactionVersion 2 at v0');
});

// ---- tagged fields ------------------------------------------------------------------------------

t.test('v1: unknown tagged fields are skipped, in the partitions entries and the value', async t => {
  const bytes = cat(
    hex('0001'),
    i64(42),
    i16(3),
    i32(1000),
    i8(TxnState.PrepareAbort),
    hex('03'),
    cstr('a'),
    hex('02 00000001'),
    tags([[9, hex('aabbcc')]]),
    cstr('b'),
    hex('01'),
    tags([
      [0, hex('00')],
      [200, Buffer.alloc(300, 1)],
    ]),
    i64(5),
    i64(4),
    tags([
      [1, i64(43)],
      [2, i16(2)],
      [3, i16(7)], // a later Kafka's NextProducerEpoch
      [1000, hex('01020304')],
    ]),
  );
  t.same(decodeTxnValue(bytes), {
    producerId: 42,
    previousProducerId: -1,
    nextProducerId: 43,
    producerEpoch: 3,
    transactionTimeoutMs: 1000,
    state: TxnState.PrepareAbort,
    partitions: [
      { topic: 'a', partitionIds: [1] },
      { topic: 'b', partitionIds: [] },
    ],
    transactionLastUpdateTimestampMs: 5,
    transactionStartTimestampMs: 4,
    clientTransactionVersion: 2,
  });
});

// ---- round trips --------------------------------------------------------------------------------

t.test('round trips at both versions', async t => {
  const r = rng(20251);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const names = ['orders', '', 'héllo-wörld', '日本', 'x'.repeat(400)];
  for (let i = 0; i < 300; i++) {
    const state = int(0, 7) as TxnStateId;
    const partitions =
      state === TxnState.Empty
        ? []
        : Array.from({ length: int(0, 4) }, (_, k) => ({
            topic: `${names[int(0, names.length - 1)]}${k}`,
            partitionIds: Array.from({ length: int(0, 6) }, () => int(0, 2 ** 31 - 1)),
          }));
    const v0: TxnLogValue = {
      producerId: int(0, 2 ** 53 - 1),
      previousProducerId: -1,
      nextProducerId: -1,
      producerEpoch: int(-1, 32767),
      transactionTimeoutMs: int(1, 900000),
      state,
      partitions,
      transactionLastUpdateTimestampMs: int(0, 2 ** 45),
      transactionStartTimestampMs: r() < 0.2 ? -1 : int(0, 2 ** 45),
      clientTransactionVersion: 0,
    };
    const b0 = encodeTxnValue(v0);
    t.equal(b0.readInt16BE(0), 0);
    t.same(decodeTxnValue(b0), v0);
    const v1: TxnLogValue = {
      ...v0,
      previousProducerId: r() < 0.5 ? -1 : int(0, 2 ** 53 - 1),
      nextProducerId: r() < 0.5 ? -1 : int(0, 2 ** 53 - 1),
      clientTransactionVersion: int(0, 2),
    };
    const b1 = encodeTxnValue(v1, 2);
    t.equal(b1.readInt16BE(0), 1);
    t.same(decodeTxnValue(b1), v1);
    const id = `${names[int(0, names.length - 1)]}-${i}`;
    t.equal(decodeTxnKey(encodeTxnKey(id)), id);
  }
});

// ---- malformed input ----------------------------------------------------------------------------

t.test('truncated keys and values throw TxnRecordError', async t => {
  const key = encodeTxnKey('my-txn');
  for (let n = 0; n < key.length; n++) throwsTxnError(t, () => decodeTxnKey(key.subarray(0, n)), `key cut at ${n}`);
  const values = [
    encodeTxnValue(value()),
    encodeTxnValue(value({ clientTransactionVersion: 2, previousProducerId: 1, nextProducerId: 2 })),
    encodeTxnValue(value({ state: TxnState.Empty, partitions: [] }), 2),
  ];
  for (const v of values) {
    for (let n = 0; n < v.length; n++) throwsTxnError(t, () => decodeTxnValue(v.subarray(0, n)), `value v${v.readInt16BE(0)} cut at ${n}`);
  }
});

t.test('unknown versions, states and malformed fields throw TxnRecordError', async t => {
  const err = throwsTxnError(t, () => decodeTxnKey(cat(i16(1), str('x'))), 'key type 1');
  t.equal(err?.unknownKeyType, 1, 'a foreign key says so, so a loader can skip it as Kafka does');
  t.equal(throwsTxnError(t, () => decodeTxnKey(cat(i16(0), i16(-1))), 'null transactional id')?.unknownKeyType, undefined);
  throwsTxnError(t, () => decodeTxnKey(cat(i16(0), i16(100), Buffer.from('short'))), 'string longer than the key');
  throwsTxnError(t, () => decodeTxnKey('nope' as unknown as Buffer), 'not a buffer');

  const v0 = encodeTxnValue(value());
  const v1 = encodeTxnValue(value({ clientTransactionVersion: 2 }));
  const withVersion = (b: Buffer, version: number) => cat(i16(version), b.subarray(2));
  throwsTxnError(t, () => decodeTxnValue(withVersion(v0, 2)), 'value version 2');
  throwsTxnError(t, () => decodeTxnValue(withVersion(v0, -1)), 'value version -1');
  const withState = (b: Buffer, state: number) => {
    const c = Buffer.from(b);
    c.writeInt8(state, 16);
    return c;
  };
  throwsTxnError(t, () => decodeTxnValue(withState(v0, 8)), 'state 8');
  throwsTxnError(t, () => decodeTxnValue(withState(v1, -1)), 'state -1');

  const head0 = cat(hex('0000'), i64(1), i16(0), i32(1), i8(1));
  const tail0 = cat(i64(0), i64(0));
  throwsTxnError(t, () => decodeTxnValue(cat(head0, i32(0x7fffffff), tail0)), 'v0: huge partitions count');
  throwsTxnError(t, () => decodeTxnValue(cat(head0, i32(1), i16(-1), i32(0), tail0)), 'v0: null topic');
  throwsTxnError(t, () => decodeTxnValue(cat(head0, i32(1), str('t'), i32(-1), tail0)), 'v0: null partition ids');
  throwsTxnError(t, () => decodeTxnValue(cat(head0, i32(1), str('t'), i32(0x40000000), tail0)), 'v0: huge partition ids count');
  throwsTxnError(t, () => decodeTxnValue(cat(head0, i32(1), i16(0x7fff), tail0)), 'v0: topic longer than the value');

  const head1 = cat(hex('0001'), i64(1), i16(0), i32(1), i8(1));
  const tail1 = cat(i64(0), i64(0), NO_TAGS);
  throwsTxnError(t, () => decodeTxnValue(cat(head1, uvarint(0xffffffff), tail1)), 'v1: huge partitions count');
  throwsTxnError(t, () => decodeTxnValue(cat(head1, hex('02'), uvarint(0), hex('01'), NO_TAGS, tail1)), 'v1: null topic');
  throwsTxnError(t, () => decodeTxnValue(cat(head1, hex('02'), cstr('t'), uvarint(0), NO_TAGS, tail1)), 'v1: null partition ids');
  throwsTxnError(t, () => decodeTxnValue(cat(head1, hex('02'), uvarint(0x8001), Buffer.alloc(0x8000, 0x61), hex('01'), NO_TAGS, tail1)), 'v1: topic over 32767 bytes');
  throwsTxnError(t, () => decodeTxnValue(cat(head1, hex('01'), i64(0), i64(0), hex('01 05 ffffffff0f'))), 'v1: tagged field larger than the value');
  throwsTxnError(t, () => decodeTxnValue(cat(head1, hex('01'), i64(0), i64(0), hex('01 00 04 00000001'))), 'v1: PreviousProducerId of 4 bytes');
  throwsTxnError(t, () => decodeTxnValue(cat(head1, hex('01'), i64(0), i64(0), hex('01 ffffffffff'))), 'v1: overlong varint tag');
  throwsTxnError(t, () => decodeTxnValue(cat(head1, hex('01'), i64(0), i64(0), hex('05'))), 'v1: tag count past the end');
});

t.test('mutated values decode or throw TxnRecordError, never anything else', async t => {
  const r = rng(7);
  const seeds = [
    encodeTxnValue(value()),
    encodeTxnValue(value({ clientTransactionVersion: 2, previousProducerId: 3, nextProducerId: 4 })),
    encodeTxnValue(value({ state: TxnState.Empty, partitions: [] }), 2),
    encodeTxnKey('my-txn'),
  ];
  let other = 0;
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(seeds[i % seeds.length]!);
    const flips = 1 + Math.floor(r() * 4);
    for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    const cut = r() < 0.2 ? b.subarray(0, Math.floor(r() * b.length)) : b;
    for (const decode of [decodeTxnValue, decodeTxnKey] as ((b: Buffer) => unknown)[]) {
      try {
        decode(cut);
      } catch (err) {
        if (!(err instanceof TxnRecordError)) other++;
      }
    }
  }
  t.equal(other, 0);
});

t.test('values that cannot be encoded throw TxnRecordError', async t => {
  throwsTxnError(t, () => encodeTxnValue(value({ state: TxnState.Empty })), 'Empty with partitions');
  throwsTxnError(t, () => encodeTxnValue(value({ state: 8 as TxnStateId })), 'unknown state');
  throwsTxnError(t, () => encodeTxnValue(value({ producerEpoch: 40000 })), 'epoch beyond int16');
  throwsTxnError(t, () => encodeTxnValue(value({ partitions: [{ topic: 'x'.repeat(0x8000), partitionIds: [] }] }), 2), 'topic over 32767 bytes');
  throwsTxnError(t, () => encodeTxnValue(value(), -1), 'negative transaction.version level');
  throwsTxnError(t, () => encodeTxnKey('x'.repeat(0x8000)), 'transactional id over 32767 bytes');
});

// ---- partitioning -------------------------------------------------------------------------------

t.test("partitionForTransactionalId: Kafka's Utils.abs(String.hashCode) % partitions", async t => {
  // hashCode values and partitions computed with a JVM (String.hashCode, Utils.abs).
  const cases: [string, number, number, number][] = [
    // id, hashCode, partition of 50, partition of 7
    ['foo', 101574, 24, 4],
    ['hello', 99162322, 22, 0],
    ['my-txn', -1061187895, 45, 5],
    ['orders-producer', -1640734342, 42, 2],
    ['zzzzzz', -685785664, 14, 4],
    ['polygenelubricants', -2147483648, 0, 0], // Utils.abs(Integer.MIN_VALUE) is 0
    ['日本', 835047, 47, 3],
    ['😀-txn', 928373504, 4, 2], // UTF-16 code units, a surrogate pair for the emoji
  ];
  for (const [id, hash, p50, p7] of cases) {
    t.equal(javaStringHashCode(id), hash, `${id} hashCode`);
    t.equal(partitionForTransactionalId(id, 50), p50, `${id} of 50`);
    t.equal(partitionForTransactionalId(id, 7), p7, `${id} of 7`);
  }
  // "foo": 102*31^2 + 111*31 + 111, by hand.
  t.equal(102 * 961 + 111 * 31 + 111, 101574);
});
