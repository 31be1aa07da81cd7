// The consumer protocol's embedded formats (src/coordinator/group/consumer-protocol.ts): byte
// layouts of Kafka's ConsumerProtocolSubscription/Assignment (non-flexible at every version),
// round trips, interoperation with kafkajs's own AssignerProtocol, and decoders that answer bad
// bytes with ConsumerProtocolError only.
import t from 'tap';
import { AssignerProtocol } from 'kafkajs';
import {
  CONSUMER_PROTOCOL_VERSION,
  ConsumerProtocolError,
  decodeAssignment,
  decodeCooperativeStickyUserData,
  decodeStickyUserData,
  decodeSubscription,
  encodeAssignment,
  encodeCooperativeStickyUserData,
  encodeStickyUserData,
  encodeSubscription,
  type TopicPartitions,
} from '../../src/coordinator/group/consumer-protocol.js';
import { rng } from '../helpers/engines.js';

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function randomTopic(r: Rand): string {
  const names = ['orders', 'payments', 'héllo-wörld', 'a', 't.1_x', '日本'];
  return `${names[int(r, 0, names.length - 1)]}-${int(r, 0, 999)}`;
}

function randomPartitions(r: Rand): TopicPartitions[] {
  return Array.from({ length: int(r, 0, 4) }, () => ({ topic: randomTopic(r), partitions: Array.from({ length: int(r, 0, 6) }, () => int(r, 0, 2 ** 31 - 1)) }));
}

function randomBytes(r: Rand): Buffer | null {
  if (r() < 0.3) return null;
  return Buffer.from(Array.from({ length: int(r, 0, 20) }, () => int(r, 0, 255)));
}

function randomSubscription(r: Rand, version: number) {
  return {
    version,
    topics: Array.from({ length: int(r, 0, 5) }, () => randomTopic(r)),
    userData: randomBytes(r),
    ownedPartitions: randomPartitions(r),
    generationId: int(r, -1, 1000),
    rackId: r() < 0.5 ? null : `rack-${int(r, 0, 9)}`,
  };
}

/** Calls `fn`; returns 'ok', or 'cpe' for a ConsumerProtocolError; anything else thrown is rethrown. */
function outcome(fn: () => unknown): 'ok' | 'cpe' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ConsumerProtocolError) return 'cpe';
    throw err;
  }
}

t.test('subscription: byte layout of each version', async t => {
  const base = { topics: ['a', 'b'], userData: hex('0102'), ownedPartitions: [{ topic: 'a', partitions: [1, 2] }], generationId: 7, rackId: 'r' };
  const v0 = '0000 00000002 0001 61 0001 62 00000002 0102';
  const owned = '00000001 0001 61 00000002 00000001 00000002';
  t.equal(encodeSubscription({ ...base, version: 0 }).toString('hex'), hex(v0).toString('hex'));
  t.equal(encodeSubscription({ ...base, version: 1 }).toString('hex'), hex(`0001${v0.slice(4)} ${owned}`).toString('hex'));
  t.equal(encodeSubscription({ ...base, version: 2 }).toString('hex'), hex(`0002${v0.slice(4)} ${owned} 00000007`).toString('hex'));
  t.equal(encodeSubscription({ ...base, version: 3 }).toString('hex'), hex(`0003${v0.slice(4)} ${owned} 00000007 0001 72`).toString('hex'));
  // Defaults: null user data, no owned partitions, generation -1, null rack; the newest version.
  t.equal(encodeSubscription({ topics: ['a'] }).toString('hex'), hex('0003 00000001 0001 61 ffffffff 00000000 ffffffff ffff').toString('hex'));
  // A version newer than we know is written as the newest we know, as Kafka does.
  t.equal(encodeSubscription({ topics: [], version: 9 }).readInt16BE(0), CONSUMER_PROTOCOL_VERSION);
  t.throws(() => encodeSubscription({ topics: [], version: -1 }), RangeError);
});

t.test('subscription: round trips at every version; fields a version lacks read as defaults', async t => {
  const r = rng(5);
  for (let version = 0; version <= 3; version++) {
    for (let i = 0; i < 50; i++) {
      const s = randomSubscription(r, version);
      const d = decodeSubscription(encodeSubscription(s));
      t.same(
        d,
        {
          version,
          topics: s.topics,
          userData: s.userData,
          ownedPartitions: version >= 1 ? s.ownedPartitions : [],
          generationId: version >= 2 ? s.generationId : -1,
          rackId: version >= 3 ? s.rackId : null,
        },
        `v${version} #${i}`,
        { diagnostic: false },
      );
    }
  }
});

t.test('subscription: a newer version is read with the newest layout we know, the rest ignored', async t => {
  const v3 = encodeSubscription({ version: 3, topics: ['x'], ownedPartitions: [{ topic: 'x', partitions: [0] }], generationId: 4, rackId: 'r1' });
  const v5 = Buffer.concat([v3, hex('00000001 deadbeef')]);
  v5.writeInt16BE(5, 0);
  const d = decodeSubscription(v5);
  t.equal(d.version, 5);
  t.same(d.topics, ['x']);
  t.same(d.ownedPartitions, [{ topic: 'x', partitions: [0] }]);
  t.equal(d.generationId, 4);
  t.equal(d.rackId, 'r1');
  // Trailing bytes after an older version's fields are ignored too.
  t.same(decodeSubscription(Buffer.concat([encodeSubscription({ version: 0, topics: ['y'] }), hex('ff')])).topics, ['y']);
});

t.test('assignment: layout and round trips', async t => {
  t.equal(
    encodeAssignment({ version: 0, assignedPartitions: [{ topic: 'a', partitions: [3] }] }).toString('hex'),
    hex('0000 00000001 0001 61 00000001 00000003 ffffffff').toString('hex'),
  );
  const r = rng(6);
  for (let version = 0; version <= 3; version++) {
    for (let i = 0; i < 30; i++) {
      const a = { version, assignedPartitions: randomPartitions(r), userData: randomBytes(r) };
      t.same(decodeAssignment(encodeAssignment(a)), a, `v${version} #${i}`, { diagnostic: false });
    }
  }
  t.equal(decodeAssignment(Buffer.concat([encodeAssignment({ version: 3, assignedPartitions: [] }), hex('0102')])).version, 3);
});

t.test('interoperates with kafkajs AssignerProtocol', async t => {
  const r = rng(7);
  for (let i = 0; i < 40; i++) {
    const topics = Array.from({ length: int(r, 0, 4) }, () => randomTopic(r));
    const userData = Buffer.from(`user-${i}`);
    // kafkajs -> us (kafkajs writes the v0 fields only, as its own assigners declare)
    const theirs = AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData });
    const d = decodeSubscription(theirs);
    t.same([d.version, d.topics, d.userData], [0, topics, userData], { diagnostic: false });
    // us -> kafkajs, at any version (kafkajs reads the v0 prefix)
    const ours = encodeSubscription({ version: i % 4, topics, userData, ownedPartitions: randomPartitions(r), generationId: 3, rackId: 'r' });
    const k = AssignerProtocol.MemberMetadata.decode(ours)!;
    t.same([k.version, k.topics, k.userData], [i % 4, topics, userData], { diagnostic: false });

    const assignment: Record<string, number[]> = {};
    for (const tp of randomPartitions(r)) assignment[tp.topic] = tp.partitions;
    const theirAssignment = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData });
    const da = decodeAssignment(theirAssignment);
    t.same(Object.fromEntries(da.assignedPartitions.map(x => [x.topic, x.partitions])), assignment, { diagnostic: false });
    t.same(da.userData, userData);
    const ourAssignment = encodeAssignment({ version: 3, assignedPartitions: Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })), userData: null });
    const ka = AssignerProtocol.MemberAssignment.decode(ourAssignment)!;
    t.same([ka.version, ka.assignment, ka.userData], [3, assignment, null], { diagnostic: false });
  }
});

t.test('a kafkajs assigner declaring v1 without writing its fields is refused, as Kafka refuses it', async t => {
  const v1 = AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ['t'], userData: Buffer.alloc(0) });
  t.throws(() => decodeSubscription(v1), ConsumerProtocolError);
});

t.test('sticky assignor user data', async t => {
  const v1 = encodeStickyUserData({ previousAssignment: [{ topic: 't', partitions: [0, 2] }], generation: 5 });
  t.equal(v1.toString('hex'), hex('00000001 0001 74 00000002 00000000 00000002 00000005').toString('hex'), 'v1 layout: no version prefix');
  t.same(decodeStickyUserData(v1), { previousAssignment: [{ topic: 't', partitions: [0, 2] }], generation: 5 });
  const v0 = encodeStickyUserData({ previousAssignment: [{ topic: 't', partitions: [1] }], generation: null });
  t.equal(v0.length, v1.length - 8, 'v0 has no generation');
  t.same(decodeStickyUserData(v0), { previousAssignment: [{ topic: 't', partitions: [1] }], generation: null });
  // As in Kafka, 1–3 stray bytes cannot be a generation: read as v0.
  t.same(decodeStickyUserData(Buffer.concat([v0, hex('0102')])).generation, null);
  const r = rng(8);
  for (let i = 0; i < 30; i++) {
    const d = { previousAssignment: randomPartitions(r), generation: r() < 0.5 ? null : int(r, -1, 1e6) };
    t.same(decodeStickyUserData(encodeStickyUserData(d)), d, { diagnostic: false });
  }
  t.equal(decodeCooperativeStickyUserData(encodeCooperativeStickyUserData(42)), 42);
  t.equal(encodeCooperativeStickyUserData(-1).toString('hex'), 'ffffffff');
  t.throws(() => decodeCooperativeStickyUserData(hex('0001')), ConsumerProtocolError);
});

t.test('bad lengths, versions and nulls are refused', async t => {
  const cases: [string, () => unknown][] = [
    ['empty', () => decodeSubscription(Buffer.alloc(0))],
    ['one byte', () => decodeAssignment(hex('00'))],
    ['negative version', () => decodeSubscription(hex('ffff 00000000 ffffffff'))],
    ['null topics array', () => decodeSubscription(hex('0000 ffffffff ffffffff'))],
    ['null topic name', () => decodeSubscription(hex('0000 00000001 ffff ffffffff'))],
    ['user data length -2', () => decodeSubscription(hex('0000 00000000 fffffffe'))],
    ['user data past the end', () => decodeSubscription(hex('0000 00000000 00000010 0102'))],
    ['rack length -2', () => decodeSubscription(hex('0003 00000000 ffffffff 00000000 ffffffff fffe'))],
    ['huge topic count', () => decodeSubscription(hex('0000 7fffffff ffffffff'))],
    ['huge partition count', () => decodeAssignment(hex('0000 00000001 0001 61 7fffffff'))],
    ['negative owned count', () => decodeSubscription(hex('0001 00000000 ffffffff ffffffff'))],
    ['assignment user data -5', () => decodeAssignment(hex('0000 00000000 fffffffb'))],
    ['sticky data truncated', () => decodeStickyUserData(hex('00000001 0001'))],
    ['not a buffer', () => decodeSubscription('0000' as unknown as Buffer)],
  ];
  for (const [name, fn] of cases) t.throws(fn, ConsumerProtocolError, name);
  t.equal(decodeSubscription(hex('0000 00000000 ffffffff')).userData, null, 'length -1 is null');
  t.equal(decodeSubscription(hex('0003 00000000 ffffffff 00000000 ffffffff ffff')).rackId, null);
});

t.test('every truncation of a valid encoding throws ConsumerProtocolError', async t => {
  const r = rng(9);
  let checked = 0;
  for (let i = 0; i < 40; i++) {
    const version = i % 4;
    const encodings: [string, Buffer, (b: Buffer) => unknown][] = [
      ['subscription', encodeSubscription(randomSubscription(r, version)), decodeSubscription],
      ['assignment', encodeAssignment({ version, assignedPartitions: randomPartitions(r), userData: randomBytes(r) }), decodeAssignment],
    ];
    for (const [name, full, decode] of encodings) {
      for (let n = 0; n < full.length; n++) {
        if (outcome(() => decode(full.subarray(0, n))) !== 'cpe') t.fail(`${name} v${version}: a ${n}-byte prefix of ${full.length} decoded`);
        checked++;
      }
    }
    // Sticky user data: any prefix shorter than the v0 part fails; longer ones fall back to v0.
    const d = { previousAssignment: randomPartitions(r), generation: 3 };
    const full = encodeStickyUserData(d);
    for (let n = 0; n < full.length; n++) {
      const expect = n >= full.length - 4 ? 'ok' : 'cpe';
      if (outcome(() => decodeStickyUserData(full.subarray(0, n))) !== expect) t.fail(`sticky: ${n}-byte prefix of ${full.length}`);
      checked++;
    }
  }
  t.ok(checked > 1000, `${checked} truncations`);
});

t.test('mutated bytes decode or throw ConsumerProtocolError, nothing else', async t => {
  const r = rng(10);
  const decoders = [decodeSubscription, decodeAssignment, decodeStickyUserData, decodeCooperativeStickyUserData];
  const counts = { ok: 0, cpe: 0 };
  for (let i = 0; i < 3000; i++) {
    const version = int(r, 0, 3);
    const base = [
      encodeSubscription(randomSubscription(r, version)),
      encodeAssignment({ version, assignedPartitions: randomPartitions(r), userData: randomBytes(r) }),
      encodeStickyUserData({ previousAssignment: randomPartitions(r), generation: 1 }),
    ][i % 3]!;
    const b = Buffer.from(base);
    for (let k = int(r, 1, 4); k > 0 && b.length > 0; k--) {
      const at = int(r, 0, b.length - 1);
      // favour the bytes of lengths and counts: 0x00, 0x7f, 0x80, 0xff
      b[at] = r() < 0.5 ? [0x00, 0x7f, 0x80, 0xff][int(r, 0, 3)]! : int(r, 0, 255);
    }
    for (const decode of decoders) counts[outcome(() => decode(b))]++;
  }
  t.ok(counts.ok > 0 && counts.cpe > 0, `decoded ${counts.ok}, refused ${counts.cpe}`);
});
