// The __consumer_offsets record formats (src/coordinator/group/offsets-records.ts): golden bytes
// built field by field from Kafka's schemas (and one value written by a real Kafka 4.1 broker),
// every value version Kafka ever wrote, round trips at the versions Kafka 4.1 writes, unknown
// tagged fields, and decoders that answer truncated or mutated bytes with OffsetsRecordError only.
import t, { type Test } from 'tap';
import {
  MEMBER_STATE,
  OffsetsRecordError,
  RECORD_TYPE,
  WRITTEN_VALUE_VERSION,
  decodeConsumerGroupCurrentMemberAssignmentValue,
  decodeConsumerGroupMemberMetadataValue,
  decodeConsumerGroupMetadataValue,
  decodeConsumerGroupPartitionMetadataValue,
  decodeConsumerGroupRegularExpressionValue,
  decodeConsumerGroupTargetAssignmentMemberValue,
  decodeConsumerGroupTargetAssignmentMetadataValue,
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  decodeRecord,
  encodeConsumerGroupCurrentMemberAssignmentValue,
  encodeConsumerGroupMemberMetadataValue,
  encodeConsumerGroupMetadataValue,
  encodeConsumerGroupPartitionMetadataValue,
  encodeConsumerGroupRegularExpressionValue,
  encodeConsumerGroupTargetAssignmentMemberValue,
  encodeConsumerGroupTargetAssignmentMetadataValue,
  encodeGroupMetadataValue,
  encodeKey,
  encodeOffsetCommitValue,
  encodeRecord,
  type ConsumerGroupCurrentMemberAssignmentValue,
  type ConsumerGroupMemberMetadataValue,
  type ConsumerGroupPartitionMetadataValue,
  type GroupMetadataValue,
  type GroupRecord,
  type GroupRecordKey,
  type OffsetCommitValue,
  type TopicPartitions,
} from '../../src/coordinator/group/offsets-records.js';
import { ZERO_UUID } from '../../src/protocol/wire.js';
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
/** int16-length string (null: -1). */
const str = (s: string | null) => (s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]));
/** Compact string: uvarint(length + 1), null as 0. */
const cstr = (s: string | null) => (s === null ? uvarint(0) : Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]));
const bytes = (b: Buffer) => Buffer.concat([i32(b.length), b]);
const cbytes = (b: Buffer) => Buffer.concat([uvarint(b.length + 1), b]);
const carray = (items: Buffer[]) => Buffer.concat([uvarint(items.length + 1), ...items]);
const NO_TAGS = uvarint(0);
const tags = (fields: [number, Buffer][]) => Buffer.concat([uvarint(fields.length), ...fields.flatMap(([tag, p]) => [uvarint(tag), uvarint(p.length), p])]);
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

// Two topic ids in Kafka's string form, with their bytes.
const FOO_ID_BYTES = hex('000102030405060708090a0b0c0d0e0f');
const FOO_ID = FOO_ID_BYTES.toString('base64url');
const BAR_ID_BYTES = hex('f0e1d2c3b4a5968778695a4b3c2d1e0f');
const BAR_ID = BAR_ID_BYTES.toString('base64url');

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, list: readonly T[]): T => list[int(r, 0, list.length - 1)]!;
const randomUuid = (r: Rand): string => {
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) b[i] = int(r, 0, 255);
  return b.toString('base64url');
};
const NAMES = ['', 'a', 'orders', 'héllo-wörld', '日本', 'consumer-1-3f9a', 'x'.repeat(300)];
const randomName = (r: Rand) => `${pick(r, NAMES)}${int(r, 0, 99)}`;
const nullable = <T>(r: Rand, f: () => T): T | null => (r() < 0.3 ? null : f());
const randomBytes = (r: Rand, max: number) => {
  const b = Buffer.alloc(int(r, 0, max));
  for (let i = 0; i < b.length; i++) b[i] = int(r, 0, 255);
  return b;
};
const list = <T>(r: Rand, max: number, f: () => T): T[] => Array.from({ length: int(r, 0, max) }, f);
const randomTopicPartitions = (r: Rand): TopicPartitions[] =>
  list(r, 3, () => ({ topicId: randomUuid(r), partitions: list(r, 5, () => int(r, 0, 1000)) }));

function throwsRecordError(t: Test, fn: () => unknown, message: string): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof OffsetsRecordError) {
      t.pass(message);
      return;
    }
    t.fail(`${message}: threw ${String(err)}`);
    return;
  }
  t.fail(`${message}: did not throw`);
}

// ---- golden bytes -------------------------------------------------------------------------------

t.test('OffsetCommitKey: record type 1, then group, topic, partition as int16 strings and an int32', async t => {
  const golden = hex(`
    0001
    0008 ${Buffer.from('my-group').toString('hex')}
    0006 ${Buffer.from('orders').toString('hex')}
    00000007`);
  const key: GroupRecordKey = { type: 'offset', group: 'my-group', topic: 'orders', partition: 7 };
  t.same(encodeKey(key), golden);
  t.same(decodeKey(golden), key);
  // The 0.8.2-era record type 0 has the same layout and reads as the same key.
  t.same(decodeKey(cat(i16(0), golden.subarray(2))), key);
});

t.test('OffsetCommitValue v4: bytes written by a Kafka 4.1.0 broker', async t => {
  // Reported from a 4.1.0 cluster's __consumer_offsets (franz-go issue #1105): version 4, offset
  // 2217128, leader epoch -1, metadata "" as a compact string, commit timestamp, no tagged fields.
  const real = hex('0004000000000021d4a8ffffffff010000019964f2d83600');
  const value: OffsetCommitValue = {
    offset: 2217128,
    leaderEpoch: -1,
    metadata: '',
    commitTimestamp: 1758335260726,
    expireTimestamp: -1,
    topicId: ZERO_UUID,
  };
  t.same(decodeOffsetCommitValue(real), value);
  t.same(encodeOffsetCommitValue(value), real, 'the encoder writes what Kafka 4.1 wrote');
  const { topicId: _none, ...withoutTopicId } = value;
  t.same(encodeOffsetCommitValue(withoutTopicId), real, 'an omitted topic id is no topic id');
});

t.test('OffsetCommitValue v4 with a topic id: tag 0, size 16, the uuid', async t => {
  const golden = cat(i16(4), i64(42), i32(5), cstr('meta'), i64(1_700_000_000_123), tags([[0, FOO_ID_BYTES]]));
  t.equal(golden.toString('hex'), '0004000000000000002a00000005056d657461' + '0000018bcfe5687b' + '010010' + FOO_ID_BYTES.toString('hex'));
  const value: OffsetCommitValue = { offset: 42, leaderEpoch: 5, metadata: 'meta', commitTimestamp: 1_700_000_000_123, expireTimestamp: -1, topicId: FOO_ID };
  t.same(encodeOffsetCommitValue(value), golden);
  t.same(decodeOffsetCommitValue(golden), value);
});

t.test('OffsetCommitValue with an expire timestamp is written as v1, the only version with one', async t => {
  const golden = cat(i16(1), i64(100), str('m'), i64(1234), i64(5678));
  const value: OffsetCommitValue = { offset: 100, leaderEpoch: -1, metadata: 'm', commitTimestamp: 1234, expireTimestamp: 5678, topicId: ZERO_UUID };
  t.same(encodeOffsetCommitValue(value), golden);
  t.same(decodeOffsetCommitValue(golden), value);
  t.equal(WRITTEN_VALUE_VERSION.offsetCommitWithExpireTimestamp, 1);
});

t.test('GroupMetadataKey: record type 2 and the group', async t => {
  const golden = hex(`0002 0008 ${Buffer.from('my-group').toString('hex')}`);
  t.same(encodeKey({ type: 'group', group: 'my-group' }), golden);
  t.same(decodeKey(golden), { type: 'group', group: 'my-group' });
});

const CLASSIC_GROUP: GroupMetadataValue = {
  protocolType: 'consumer',
  generation: 3,
  protocol: 'range',
  leader: 'm-1',
  currentStateTimestamp: 1_700_000_000_000,
  members: [
    {
      memberId: 'm-1',
      groupInstanceId: null,
      clientId: 'client',
      clientHost: '/127.0.0.1',
      rebalanceTimeout: 300000,
      sessionTimeout: 45000,
      subscription: hex('0001000000010003666f6fffffffff'),
      assignment: hex('0001000000010003666f6f000000010000000000000000'),
    },
    {
      memberId: 'm-2',
      groupInstanceId: 'static-2',
      clientId: 'client',
      clientHost: '/10.0.0.2',
      rebalanceTimeout: 60000,
      sessionTimeout: 10000,
      subscription: Buffer.alloc(0),
      assignment: hex('ff'),
    },
  ],
};

t.test('GroupMetadataValue v3 (what Kafka 4.1 writes): non-flexible, field by field', async t => {
  const member = (m: GroupMetadataValue['members'][number]) =>
    cat(str(m.memberId), str(m.groupInstanceId), str(m.clientId), str(m.clientHost), i32(m.rebalanceTimeout), i32(m.sessionTimeout), bytes(m.subscription), bytes(m.assignment));
  const golden = cat(
    i16(3),
    str('consumer'),
    i32(3),
    str('range'),
    str('m-1'),
    i64(1_700_000_000_000),
    i32(2),
    member(CLASSIC_GROUP.members[0]!),
    member(CLASSIC_GROUP.members[1]!),
  );
  // The start spelled out: version 3, "consumer", generation 3, "range", "m-1", the timestamp, 2 members.
  t.equal(golden.subarray(0, 47).toString('hex'), '0003' + '0008636f6e73756d6572' + '00000003' + '000572616e6765' + '00036d2d31' + '0000018bcfe56800' + '00000002' + '00036d2d31' + 'ffff');
  t.same(encodeGroupMetadataValue(CLASSIC_GROUP), golden);
  t.same(decodeGroupMetadataValue(golden), CLASSIC_GROUP);
  // An empty group as Kafka writes it after the last member leaves.
  const empty: GroupMetadataValue = { protocolType: '', generation: 0, protocol: null, leader: null, currentStateTimestamp: 99, members: [] };
  t.same(encodeGroupMetadataValue(empty), hex('0003 0000 00000000 ffff ffff 0000000000000063 00000000'));
});

t.test('KIP-848 keys: record types 3-8 and 16, group id then member id or regex', async t => {
  const g = str('grp');
  const m = str('mem');
  const cases: [GroupRecordKey, Buffer][] = [
    [{ type: 'consumerGroupMetadata', group: 'grp' }, cat(i16(3), g)],
    [{ type: 'consumerGroupPartitionMetadata', group: 'grp' }, cat(i16(4), g)],
    [{ type: 'consumerGroupMemberMetadata', group: 'grp', memberId: 'mem' }, cat(i16(5), g, m)],
    [{ type: 'consumerGroupTargetAssignmentMetadata', group: 'grp' }, cat(i16(6), g)],
    [{ type: 'consumerGroupTargetAssignmentMember', group: 'grp', memberId: 'mem' }, cat(i16(7), g, m)],
    [{ type: 'consumerGroupCurrentMemberAssignment', group: 'grp', memberId: 'mem' }, cat(i16(8), g, m)],
    [{ type: 'consumerGroupRegularExpression', group: 'grp', regex: '^orders-.*' }, cat(i16(16), g, str('^orders-.*'))],
  ];
  for (const [key, golden] of cases) {
    t.same(encodeKey(key), golden, `${key.type} encodes`);
    t.same(decodeKey(golden), key, `${key.type} decodes`);
  }
  t.equal(RECORD_TYPE.consumerGroupRegularExpression, 16);
});

t.test('share, streams and unknown record types decode as other', async t => {
  for (const recordType of [9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 1000, 32767, -1, -32768]) {
    t.same(decodeKey(cat(i16(recordType), str('grp'), str('whatever'))), { type: 'other', recordType });
  }
  // Even with no body at all: Kafka skips an unknown type without reading it.
  t.same(decodeKey(i16(12)), { type: 'other', recordType: 12 });
  throwsRecordError(t, () => encodeKey({ type: 'other', recordType: 12 }), 'an other key cannot be encoded');
});

t.test('ConsumerGroupMetadataValue v0: epoch, and the metadata hash as tag 0 when not 0', async t => {
  const noHash = cat(i16(0), i32(5), NO_TAGS);
  t.same(encodeConsumerGroupMetadataValue({ epoch: 5, metadataHash: 0n }), noHash);
  t.same(decodeConsumerGroupMetadataValue(noHash), { epoch: 5, metadataHash: 0n });
  // A full 64-bit hash (beyond 2^53) survives exactly.
  const hash = -0x1234567890abcdefn;
  const withHash = cat(i16(0), i32(5), tags([[0, i64(hash)]]));
  t.equal(withHash.toString('hex'), '0000' + '00000005' + '01' + '00' + '08' + 'edcba9876f543211');
  t.same(encodeConsumerGroupMetadataValue({ epoch: 5, metadataHash: hash }), withHash);
  t.same(decodeConsumerGroupMetadataValue(withHash), { epoch: 5, metadataHash: hash });
  // Kafka 4.0 wrote no hash at all: it reads as 0.
  t.same(decodeConsumerGroupMetadataValue(hex('0000 00000001 00')), { epoch: 1, metadataHash: 0n });
});

t.test('ConsumerGroupMemberMetadataValue v0, with the classic member metadata as a tagged nullable struct', async t => {
  const plain: ConsumerGroupMemberMetadataValue = {
    instanceId: 'i1',
    rackId: null,
    clientId: 'c1',
    clientHost: '/127.0.0.1',
    subscribedTopicNames: ['a', 'b'],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: 60000,
    serverAssignor: 'uniform',
    classicMemberMetadata: null,
  };
  const plainBytes = cat(i16(0), cstr('i1'), cstr(null), cstr('c1'), cstr('/127.0.0.1'), carray([cstr('a'), cstr('b')]), cstr(null), i32(60000), cstr('uniform'), NO_TAGS);
  t.equal(plainBytes.toString('hex'), '0000' + '036931' + '00' + '036331' + '0b2f3132372e302e302e31' + '03026102' + '62' + '00' + '0000ea60' + '08756e69666f726d' + '00');
  t.same(encodeConsumerGroupMemberMetadataValue(plain), plainBytes);
  t.same(decodeConsumerGroupMemberMetadataValue(plainBytes), plain);

  const converted: ConsumerGroupMemberMetadataValue = {
    ...plain,
    instanceId: null,
    subscribedTopicRegex: '^t.*',
    serverAssignor: null,
    classicMemberMetadata: { sessionTimeoutMs: 45000, supportedProtocols: [{ name: 'range', metadata: hex('0003') }, { name: 'cooperative-sticky', metadata: Buffer.alloc(0) }] },
  };
  // The tag's payload: the presence marker (uvarint 1) Kafka's generator writes for a nullable
  // struct in a tagged field, then the struct with its own tagged-field sections.
  const classic = cat(
    uvarint(1),
    i32(45000),
    carray([cat(cstr('range'), cbytes(hex('0003')), NO_TAGS), cat(cstr('cooperative-sticky'), cbytes(Buffer.alloc(0)), NO_TAGS)]),
    NO_TAGS,
  );
  const convertedBytes = cat(i16(0), cstr(null), cstr(null), cstr('c1'), cstr('/127.0.0.1'), carray([cstr('a'), cstr('b')]), cstr('^t.*'), i32(60000), cstr(null), tags([[0, classic]]));
  t.same(encodeConsumerGroupMemberMetadataValue(converted), convertedBytes);
  t.same(decodeConsumerGroupMemberMetadataValue(convertedBytes), converted);
  // A marker of 0 reads as null, as in Kafka.
  t.same(decodeConsumerGroupMemberMetadataValue(cat(plainBytes.subarray(0, -1), tags([[0, uvarint(0)]]))).classicMemberMetadata, null);
});

t.test('ConsumerGroupCurrentMemberAssignmentValue and TargetAssignmentMember v0, field by field', async t => {
  const tp = (idBytes: Buffer, parts: number[]) => cat(idBytes, carray(parts.map(i32)), NO_TAGS);
  const current: ConsumerGroupCurrentMemberAssignmentValue = {
    memberEpoch: 10,
    previousMemberEpoch: 9,
    state: MEMBER_STATE.unrevokedPartitions,
    assignedPartitions: [{ topicId: FOO_ID, partitions: [0, 2] }],
    partitionsPendingRevocation: [{ topicId: BAR_ID, partitions: [1] }],
  };
  const currentBytes = cat(i16(0), i32(10), i32(9), i8(1), carray([tp(FOO_ID_BYTES, [0, 2])]), carray([tp(BAR_ID_BYTES, [1])]), NO_TAGS);
  t.same(encodeConsumerGroupCurrentMemberAssignmentValue(current), currentBytes);
  t.same(decodeConsumerGroupCurrentMemberAssignmentValue(currentBytes), current);

  const targetBytes = cat(i16(0), carray([tp(FOO_ID_BYTES, [0, 1, 2]), tp(BAR_ID_BYTES, [])]), NO_TAGS);
  const target = { topicPartitions: [{ topicId: FOO_ID, partitions: [0, 1, 2] }, { topicId: BAR_ID, partitions: [] }] };
  t.same(encodeConsumerGroupTargetAssignmentMemberValue(target), targetBytes);
  t.same(decodeConsumerGroupTargetAssignmentMemberValue(targetBytes), target);

  t.same(encodeConsumerGroupTargetAssignmentMetadataValue({ assignmentEpoch: 7 }), hex('0000 00000007 00'));
  t.same(decodeConsumerGroupTargetAssignmentMetadataValue(hex('0000 00000007 00')), { assignmentEpoch: 7 });
});

t.test('ConsumerGroupRegularExpressionValue and ConsumerGroupPartitionMetadataValue v0, field by field', async t => {
  const regex = { topics: ['orders-1', 'orders-2'], version: 4242, timestamp: 1_700_000_000_000 };
  const regexBytes = cat(i16(0), carray([cstr('orders-1'), cstr('orders-2')]), i64(4242), i64(1_700_000_000_000), NO_TAGS);
  t.same(encodeConsumerGroupRegularExpressionValue(regex), regexBytes);
  t.same(decodeConsumerGroupRegularExpressionValue(regexBytes), regex);

  // As Kafka 3.7-4.0 wrote it (the racks were written empty from 4.0).
  const partitions: ConsumerGroupPartitionMetadataValue = {
    topics: [{ topicId: FOO_ID, topicName: 'foo', numPartitions: 3, partitionMetadata: [{ partition: 1, racks: ['r1', 'r2'] }] }],
  };
  const partitionsBytes = cat(
    i16(0),
    carray([cat(FOO_ID_BYTES, cstr('foo'), i32(3), carray([cat(i32(1), carray([cstr('r1'), cstr('r2')]), NO_TAGS)]), NO_TAGS)]),
    NO_TAGS,
  );
  t.same(encodeConsumerGroupPartitionMetadataValue(partitions), partitionsBytes);
  t.same(decodeConsumerGroupPartitionMetadataValue(partitionsBytes), partitions);
});

// ---- every version Kafka ever wrote -------------------------------------------------------------

t.test('OffsetCommitValue v0-v3, hand-built', async t => {
  const base = { offset: 77, metadata: 'md', commitTimestamp: 1000 };
  t.same(decodeOffsetCommitValue(cat(i16(0), i64(77), str('md'), i64(1000))), { ...base, leaderEpoch: -1, expireTimestamp: -1, topicId: ZERO_UUID }, 'v0');
  t.same(decodeOffsetCommitValue(cat(i16(1), i64(77), str('md'), i64(1000), i64(2000))), { ...base, leaderEpoch: -1, expireTimestamp: 2000, topicId: ZERO_UUID }, 'v1');
  t.same(decodeOffsetCommitValue(cat(i16(2), i64(77), str('md'), i64(1000))), { ...base, leaderEpoch: -1, expireTimestamp: -1, topicId: ZERO_UUID }, 'v2');
  t.same(decodeOffsetCommitValue(cat(i16(3), i64(77), i32(12), str('md'), i64(1000))), { ...base, leaderEpoch: 12, expireTimestamp: -1, topicId: ZERO_UUID }, 'v3');
  // v4 with a tag from a future Kafka next to the topic id: skipped.
  t.same(
    decodeOffsetCommitValue(cat(i16(4), i64(77), i32(12), cstr('md'), i64(1000), tags([[0, BAR_ID_BYTES], [5, hex('deadbeef')]]))),
    { ...base, leaderEpoch: 12, expireTimestamp: -1, topicId: BAR_ID },
    'v4 with an unknown tag',
  );
  // Large offsets and negative timestamps keep their values.
  t.same(decodeOffsetCommitValue(cat(i16(3), i64(2 ** 53 - 1), i32(-1), str(''), i64(-1))).offset, 2 ** 53 - 1);
});

t.test('GroupMetadataValue v0-v2 and v4, hand-built', async t => {
  const sub = hex('0001');
  const asg = hex('0002');
  const v0 = cat(i16(0), str('consumer'), i32(1), str('range'), str('m'), i32(1), str('m'), str('c'), str('h'), i32(30000), bytes(sub), bytes(asg));
  const member = { memberId: 'm', groupInstanceId: null, clientId: 'c', clientHost: 'h', sessionTimeout: 30000, subscription: sub, assignment: asg };
  t.same(decodeGroupMetadataValue(v0), {
    protocolType: 'consumer',
    generation: 1,
    protocol: 'range',
    leader: 'm',
    currentStateTimestamp: -1,
    members: [{ ...member, rebalanceTimeout: -1 }],
  }, 'v0: no rebalance timeout (Kafka\'s default -1), no timestamp');
  const v1 = cat(i16(1), str('consumer'), i32(1), str(null), str(null), i32(1), str('m'), str('c'), str('h'), i32(60000), i32(30000), bytes(sub), bytes(asg));
  t.same(decodeGroupMetadataValue(v1), {
    protocolType: 'consumer',
    generation: 1,
    protocol: null,
    leader: null,
    currentStateTimestamp: -1,
    members: [{ ...member, rebalanceTimeout: 60000 }],
  }, 'v1: rebalance timeout');
  const v2 = cat(i16(2), str('connect'), i32(2), str('sessioned'), str('m'), i64(555), i32(0));
  t.same(decodeGroupMetadataValue(v2), { protocolType: 'connect', generation: 2, protocol: 'sessioned', leader: 'm', currentStateTimestamp: 555, members: [] }, 'v2: current state timestamp');
  // v4, flexible, with unknown tagged fields at both levels.
  const v4 = cat(
    i16(4),
    cstr('consumer'),
    i32(4),
    cstr('range'),
    cstr('m'),
    i64(777),
    carray([cat(cstr('m'), cstr('inst'), cstr('c'), cstr('h'), i32(60000), i32(30000), cbytes(sub), cbytes(asg), tags([[3, hex('01')]]))]),
    tags([[0, hex('aabbcc')], [9, Buffer.alloc(0)]]),
  );
  t.same(decodeGroupMetadataValue(v4), {
    protocolType: 'consumer',
    generation: 4,
    protocol: 'range',
    leader: 'm',
    currentStateTimestamp: 777,
    members: [{ ...member, groupInstanceId: 'inst', rebalanceTimeout: 60000 }],
  }, 'v4: flexible');
});

t.test('KIP-848 values from later Kafkas: their tagged fields are skipped', async t => {
  // Kafka 4.3's AssignmentTimestamp (tag 0) on the target assignment epoch.
  t.same(decodeConsumerGroupTargetAssignmentMetadataValue(cat(i16(0), i32(3), tags([[0, i64(123)]]))), { assignmentEpoch: 3 });
  // Kafka 4.3's per-partition AssignmentEpochs (tag 0 of each TopicPartitions).
  const epochs = carray([i32(5), i32(6)]);
  const current = cat(i16(0), i32(6), i32(5), i8(0), carray([cat(FOO_ID_BYTES, carray([i32(0), i32(1)]), tags([[0, epochs]]))]), carray([]), NO_TAGS);
  t.same(decodeConsumerGroupCurrentMemberAssignmentValue(current), {
    memberEpoch: 6,
    previousMemberEpoch: 5,
    state: MEMBER_STATE.stable,
    assignedPartitions: [{ topicId: FOO_ID, partitions: [0, 1] }],
    partitionsPendingRevocation: [],
  });
  // A tagged field larger than what Samsa reads of it: the rest is skipped.
  t.same(decodeConsumerGroupMetadataValue(cat(i16(0), i32(1), tags([[0, cat(i64(9), hex('ffff'))]]))), { epoch: 1, metadataHash: 9n });
});

// ---- round trips at the written versions --------------------------------------------------------

function randomRecord(r: Rand): GroupRecord {
  const group = randomName(r);
  const memberId = randomName(r);
  switch (int(r, 0, 8)) {
    case 0:
      return {
        key: { type: 'offset', group, topic: randomName(r), partition: int(r, 0, 10000) },
        value: r() < 0.1 ? null : {
          offset: int(r, 0, 2 ** 40),
          leaderEpoch: r() < 0.5 ? -1 : int(r, 0, 100),
          metadata: r() < 0.5 ? '' : randomName(r),
          commitTimestamp: int(r, 0, 2 ** 42),
          expireTimestamp: -1,
          topicId: r() < 0.5 ? ZERO_UUID : randomUuid(r),
        },
      };
    case 1:
      return {
        key: { type: 'group', group },
        value: {
          protocolType: pick(r, ['consumer', 'connect', '']),
          generation: int(r, 0, 1000),
          protocol: nullable(r, () => randomName(r)),
          leader: nullable(r, () => randomName(r)),
          currentStateTimestamp: int(r, -1, 2 ** 42),
          members: list(r, 4, () => ({
            memberId: randomName(r),
            groupInstanceId: nullable(r, () => randomName(r)),
            clientId: randomName(r),
            clientHost: randomName(r),
            rebalanceTimeout: int(r, 0, 600000),
            sessionTimeout: int(r, 0, 60000),
            subscription: randomBytes(r, 40),
            assignment: randomBytes(r, 40),
          })),
        },
      };
    case 2:
      return { key: { type: 'consumerGroupMetadata', group }, value: { epoch: int(r, 0, 1e6), metadataHash: r() < 0.3 ? 0n : BigInt.asIntN(64, BigInt(int(r, 0, 2 ** 31)) * 0x9e3779b97f4a7c15n) } };
    case 3:
      return {
        key: { type: 'consumerGroupPartitionMetadata', group },
        value: { topics: list(r, 3, () => ({ topicId: randomUuid(r), topicName: randomName(r), numPartitions: int(r, 1, 100), partitionMetadata: list(r, 3, () => ({ partition: int(r, 0, 99), racks: list(r, 3, () => randomName(r)) })) })) },
      };
    case 4:
      return {
        key: { type: 'consumerGroupMemberMetadata', group, memberId },
        value: {
          instanceId: nullable(r, () => randomName(r)),
          rackId: nullable(r, () => randomName(r)),
          clientId: randomName(r),
          clientHost: randomName(r),
          subscribedTopicNames: list(r, 4, () => randomName(r)),
          subscribedTopicRegex: nullable(r, () => randomName(r)),
          rebalanceTimeoutMs: int(r, 0, 600000),
          serverAssignor: nullable(r, () => pick(r, ['uniform', 'range'])),
          classicMemberMetadata: nullable(r, () => ({ sessionTimeoutMs: int(r, 0, 60000), supportedProtocols: list(r, 3, () => ({ name: randomName(r), metadata: randomBytes(r, 30) })) })),
        },
      };
    case 5:
      return { key: { type: 'consumerGroupTargetAssignmentMetadata', group }, value: { assignmentEpoch: int(r, 0, 1e6) } };
    case 6:
      return { key: { type: 'consumerGroupTargetAssignmentMember', group, memberId }, value: { topicPartitions: randomTopicPartitions(r) } };
    case 7:
      return {
        key: { type: 'consumerGroupCurrentMemberAssignment', group, memberId },
        value: {
          memberEpoch: int(r, 0, 1e6),
          previousMemberEpoch: int(r, -1, 1e6),
          state: pick(r, Object.values(MEMBER_STATE)),
          assignedPartitions: randomTopicPartitions(r),
          partitionsPendingRevocation: randomTopicPartitions(r),
        },
      };
    default:
      return { key: { type: 'consumerGroupRegularExpression', group, regex: randomName(r) }, value: r() < 0.2 ? null : { topics: list(r, 4, () => randomName(r)), version: int(r, 0, 2 ** 40), timestamp: int(r, 0, 2 ** 42) } };
  }
}

const SAMPLES: { key: Buffer; value: Buffer | null }[] = [];
{
  const r = rng(848);
  for (let i = 0; i < 300; i++) SAMPLES.push(encodeRecord(randomRecord(r)));
}

t.test('every record type round-trips at the version Kafka 4.1 writes', async t => {
  const r = rng(848);
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const record = randomRecord(r);
    const { key, value } = encodeRecord(record);
    t.same(SAMPLES[i]!.key, key);
    const back = decodeRecord(key, value);
    if (JSON.stringify(back, replacer) !== JSON.stringify(record, replacer)) {
      t.same(back, record, `record ${i} (${record.key.type}) decodes to what was encoded`);
      return;
    }
    const again = encodeRecord(back);
    if (!again.key.equals(key) || (value === null ? again.value !== null : !again.value?.equals(value))) {
      t.fail(`record ${i} re-encodes differently`);
      return;
    }
    if (value !== null) {
      const expected = (WRITTEN_VALUE_VERSION as Record<string, number>)[record.key.type === 'offset' ? 'offsetCommit' : record.key.type === 'group' ? 'groupMetadata' : record.key.type];
      t.equal(value.readInt16BE(0), expected, `${record.key.type} written at v${expected}`);
    }
    seen.add(record.key.type);
  }
  t.equal(seen.size, 9, 'every type was drawn');
});

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `buf:${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
  return v;
}

t.test('decodeRecord: tombstones and undecoded other records', async t => {
  const key = encodeKey({ type: 'consumerGroupMemberMetadata', group: 'g', memberId: 'm' });
  t.same(decodeRecord(key, null), { key: { type: 'consumerGroupMemberMetadata', group: 'g', memberId: 'm' }, value: null });
  const other = cat(i16(11), str('share-group'));
  const raw = hex('0000 00000001 0000000000000000 00');
  const rec = decodeRecord(other, raw);
  t.same(rec, { key: { type: 'other', recordType: 11 }, value: raw });
  // The value's type follows the key's.
  const offsetRecord = decodeRecord(encodeKey({ type: 'offset', group: 'g', topic: 't', partition: 0 }), hex('0004000000000021d4a8ffffffff010000019964f2d83600'));
  if (offsetRecord.key.type === 'offset' && offsetRecord.value !== null) t.equal((offsetRecord.value as OffsetCommitValue).offset, 2217128);
  else t.fail('an offset record');
});

// ---- malformed input ----------------------------------------------------------------------------

t.test('specific malformations are refused with OffsetsRecordError', async t => {
  throwsRecordError(t, () => decodeKey(Buffer.alloc(0)), 'empty key');
  throwsRecordError(t, () => decodeKey(hex('00')), 'one-byte key');
  throwsRecordError(t, () => decodeKey(cat(i16(1), i16(-1), str('t'), i32(0))), 'null group in a key');
  throwsRecordError(t, () => decodeKey(cat(i16(2), i16(5), Buffer.from('ab'))), 'a group longer than the key');
  throwsRecordError(t, () => decodeOffsetCommitValue(cat(i16(5), i64(1), i32(1), cstr(''), i64(0), NO_TAGS)), 'OffsetCommitValue v5');
  throwsRecordError(t, () => decodeOffsetCommitValue(cat(i16(-1), i64(1))), 'negative value version');
  throwsRecordError(t, () => decodeGroupMetadataValue(cat(i16(3), str('consumer'), i32(1), str(null), str(null), i64(0), i32(-1))), 'null members array');
  throwsRecordError(t, () => decodeGroupMetadataValue(cat(i16(3), str('consumer'), i32(1), str(null), str(null), i64(0), i32(1_000_000))), 'a member count the bytes cannot hold');
  throwsRecordError(t, () => decodeGroupMetadataValue(cat(i16(3), str('c'), i32(1), str(null), str(null), i64(0), i32(1), str('m'), str(null), str('c'), str('h'), i32(1), i32(1), i32(-1), bytes(Buffer.alloc(0)))), 'null subscription bytes');
  throwsRecordError(t, () => decodeConsumerGroupMetadataValue(cat(i16(1), i32(1), NO_TAGS)), 'ConsumerGroupMetadataValue v1');
  throwsRecordError(t, () => decodeConsumerGroupMetadataValue(cat(i16(0), i32(1))), 'missing tagged-field section');
  throwsRecordError(t, () => decodeConsumerGroupMetadataValue(cat(i16(0), i32(1), tags([[0, hex('0102')]]))), 'a hash tag shorter than 8 bytes');
  throwsRecordError(t, () => decodeConsumerGroupMetadataValue(cat(i16(0), i32(1), uvarint(1), uvarint(0), uvarint(100), hex('00'))), 'a tag longer than the value');
  throwsRecordError(t, () => decodeConsumerGroupRegularExpressionValue(cat(i16(0), uvarint(2), uvarint(0x7fff + 2), Buffer.alloc(0x7fff + 1, 0x61), i64(0), i64(0), NO_TAGS)), 'a compact string over 32767 bytes');
  throwsRecordError(t, () => decodeConsumerGroupMemberMetadataValue(cat(i16(0), cstr(null), cstr(null), cstr(null), cstr('h'), carray([]), cstr(null), i32(0), cstr(null), NO_TAGS)), 'null client id');
  throwsRecordError(t, () => decodeConsumerGroupTargetAssignmentMemberValue(cat(i16(0), uvarint(0), NO_TAGS)), 'null topic partitions');
  throwsRecordError(t, () => decodeConsumerGroupTargetAssignmentMemberValue(cat(i16(0), carray([cat(FOO_ID_BYTES, uvarint(1000), i32(1))]), NO_TAGS)), 'a partition count the bytes cannot hold');
  throwsRecordError(t, () => decodeConsumerGroupCurrentMemberAssignmentValue(cat(i16(0), i32(1), i32(0), i8(0), carray([FOO_ID_BYTES.subarray(0, 10)]))), 'a truncated topic id');
  throwsRecordError(t, () => decodeOffsetCommitValue(cat(i16(4), i64(1), i32(1), cstr(''), i64(0), uvarint(1), hex('ffffffffff7f'))), 'an overlong varint tag');
  throwsRecordError(t, () => decodeOffsetCommitValue('not a buffer' as unknown as Buffer), 'not a buffer');
});

t.test('values that cannot be encoded are refused with OffsetsRecordError', async t => {
  const offset: OffsetCommitValue = { offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 0, expireTimestamp: -1, topicId: 'not-a-uuid' };
  throwsRecordError(t, () => encodeOffsetCommitValue(offset), 'an invalid topic id');
  throwsRecordError(t, () => encodeOffsetCommitValue({ ...offset, topicId: ZERO_UUID, metadata: 'x'.repeat(0x8000) }), 'metadata over 32767 bytes');
  throwsRecordError(t, () => encodeKey({ type: 'group', group: 'é'.repeat(0x4000) }), 'a group id over 32767 bytes');
  throwsRecordError(t, () => encodeConsumerGroupMetadataValue({ epoch: 1, metadataHash: 2n ** 63n }), 'a hash beyond int64');
  throwsRecordError(t, () => encodeConsumerGroupTargetAssignmentMetadataValue({ assignmentEpoch: 2 ** 31 }), 'an epoch beyond int32');
});

/** Decodes a record's key and value the way the loader will, returning what went wrong, if anything. */
function tryDecode(key: Buffer, value: Buffer | null): unknown {
  try {
    decodeRecord(key, value);
    return null;
  } catch (err) {
    return err;
  }
}

t.test('every truncation of every sample is refused with OffsetsRecordError', async t => {
  let checked = 0;
  for (const { key, value } of SAMPLES.slice(0, 120)) {
    for (let n = 0; n < key.length; n++) {
      const err = tryDecode(key.subarray(0, n), value);
      if (!(err instanceof OffsetsRecordError)) {
        t.fail(`key prefix of ${n}/${key.length} bytes: ${err === null ? 'decoded' : String(err)}`);
        return;
      }
      checked++;
    }
    if (value === null) continue;
    for (let n = 0; n < value.length; n++) {
      const err = tryDecode(key, value.subarray(0, n));
      if (!(err instanceof OffsetsRecordError)) {
        t.fail(`value prefix of ${n}/${value.length} bytes: ${err === null ? 'decoded' : String(err)}`);
        return;
      }
      checked++;
    }
  }
  t.ok(checked > 1000, `${checked} truncations refused`);
});

t.test('seeded mutations decode or throw OffsetsRecordError, never anything else', async t => {
  const r = rng(1101);
  let decoded = 0;
  let refused = 0;
  for (let i = 0; i < 20000; i++) {
    const sample = SAMPLES[int(r, 0, SAMPLES.length - 1)]!;
    const mutateKey = sample.value === null || r() < 0.25;
    const target = Buffer.from(mutateKey ? sample.key : sample.value!);
    let mutated: Buffer = target;
    const edits = int(r, 1, 4);
    for (let e = 0; e < edits; e++) {
      const op = int(r, 0, 3);
      if (mutated.length === 0) break;
      const at = int(r, 0, mutated.length - 1);
      if (op === 0) mutated[at] = int(r, 0, 255);
      else if (op === 1) mutated[at] = mutated[at]! ^ (1 << int(r, 0, 7));
      else if (op === 2) mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1)]);
      else mutated = Buffer.concat([mutated.subarray(0, at), Buffer.from([pick(r, [0x00, 0x01, 0x7f, 0x80, 0xff])]), mutated.subarray(at)]);
    }
    const err = mutateKey ? tryDecode(mutated, sample.value) : tryDecode(sample.key, mutated);
    if (err === null) decoded++;
    else if (err instanceof OffsetsRecordError) refused++;
    else {
      t.fail(`mutation ${i} threw ${String(err)}`);
      return;
    }
  }
  t.ok(refused > 1000, `${refused} refused`);
  t.ok(decoded > 100, `${decoded} still decoded`);
});
