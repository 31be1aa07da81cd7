// The kafkajs adapters (src/coordinator/group/assignors/kafkajs.ts), driven as kafkajs's consumer
// group drives an assigner: protocol() for JoinGroup metadata, assign() as leader with members'
// metadata encoded by kafkajs's own AssignerProtocol (or by Java-style subscriptions), and a fake
// cluster for topic metadata.
import t from 'tap';
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import {
  cooperativeSticky,
  kafkajsAssigners,
  range,
  roundRobin,
  sticky,
  type Assignment,
  type KafkajsAssigner,
  type KafkajsPartitionAssigner,
  type MemberSpec,
  type TopicSpec,
} from '../../../src/coordinator/group/assignors/index.js';
import { decodeSubscription, encodeStickyUserData, encodeSubscription } from '../../../src/coordinator/group/consumer-protocol.js';

// Compile-time: the adapters are kafkajs PartitionAssigners.
const typed: PartitionAssigner[] = [kafkajsAssigners.range, kafkajsAssigners.roundRobin, kafkajsAssigners.sticky, kafkajsAssigners.cooperativeSticky];

interface FakeCluster {
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  loaded: Set<string>;
  added: string[][];
}

/** Topic metadata as kafkajs's cluster holds it: only for topics loaded into its targets. */
function fakeCluster(counts: Record<string, number>, loaded: string[]): FakeCluster {
  const c: FakeCluster = {
    loaded: new Set(loaded),
    added: [],
    findTopicPartitionMetadata(topic) {
      if (!c.loaded.has(topic) || counts[topic] === undefined) return [];
      return Array.from({ length: counts[topic]! }, (_, partitionId) => ({ partitionId }));
    },
    async addMultipleTargetTopics(topics) {
      c.added.push(topics);
      for (const x of topics) c.loaded.add(x);
    },
  };
  return c;
}

const logger = { debug() {}, info() {}, warn() {}, error() {} };

function make(factory: KafkajsPartitionAssigner, cluster: FakeCluster): KafkajsAssigner {
  return factory({ cluster, groupId: 'g', logger });
}

const kafkajsMember = (memberId: string, topics: string[]) => ({
  memberId,
  memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
});

/** What each member receives, decoded by kafkajs as its consumer does. */
function received(result: { memberId: string; memberAssignment: Buffer }[]): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const { memberId, memberAssignment } of result) out[memberId] = AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment;
  return out;
}

function plain(a: Assignment): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const [m, perTopic] of a) out[m] = Object.fromEntries(perTopic);
  return out;
}

t.test('names and JoinGroup metadata', async t => {
  t.equal(typed.length, 4);
  const cluster = fakeCluster({ b: 1, a: 1 }, ['a', 'b']);
  const names = [kafkajsAssigners.range, kafkajsAssigners.roundRobin, kafkajsAssigners.sticky, kafkajsAssigners.cooperativeSticky].map(f => make(f, cluster).name);
  t.same(names, ['range', 'roundrobin', 'sticky', 'cooperative-sticky']);
  const p = make(kafkajsAssigners.cooperativeSticky, cluster).protocol({ topics: ['b', 'a'] });
  t.equal(p.name, 'cooperative-sticky');
  const k = AssignerProtocol.MemberMetadata.decode(p.metadata)!;
  t.same(k.topics, ['a', 'b'], 'kafkajs reads the topics');
  const d = decodeSubscription(p.metadata);
  t.same([d.version, d.topics, d.ownedPartitions, d.generationId, d.rackId], [3, ['a', 'b'], [], -1, null], 'a v3 subscription declaring nothing owned');
});

t.test('assign() gives what the pure assignor computes, to every member', async t => {
  const counts = { orders: 5, payments: 3, audit: 2 };
  const members = [
    kafkajsMember('m-2', ['orders', 'payments']),
    kafkajsMember('m-1', ['orders', 'payments']),
    kafkajsMember('m-3', ['audit']),
    kafkajsMember('m-4', ['nothing-known']),
  ];
  const specs: MemberSpec[] = members.map(m => ({ memberId: m.memberId, topics: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)!.topics }));
  const topics: TopicSpec[] = Object.entries(counts).map(([name, partitions]) => ({ name, partitions }));
  for (const [factory, pure] of [
    [kafkajsAssigners.range, range],
    [kafkajsAssigners.roundRobin, roundRobin],
    [kafkajsAssigners.sticky, sticky],
    [kafkajsAssigners.cooperativeSticky, cooperativeSticky],
  ] as const) {
    const cluster = fakeCluster(counts, ['orders', 'payments']);
    // kafkajs passes only the leader's own topics; `audit` is fetched on demand.
    const result = await make(factory, cluster).assign({ members, topics: ['orders', 'payments'] });
    t.same(result.map(x => x.memberId), ['m-2', 'm-1', 'm-3', 'm-4'], `${pure.name}: one assignment per member, in order`);
    t.same(received(result), plain(pure.assign(specs, topics)), `${pure.name}: the pure assignor's result`);
    t.same(cluster.added, [['audit', 'nothing-known']], `${pure.name}: metadata loaded for other members' topics`);
    t.same(received(result)['m-4'], {}, `${pure.name}: a member of unknown topics gets an empty (but decodable) assignment`);
  }
});

t.test('a member with unreadable metadata gets nothing; the others are assigned', async t => {
  const a = make(kafkajsAssigners.range, fakeCluster({ t: 2 }, ['t']));
  const result = await a.assign({ members: [kafkajsMember('ok', ['t']), { memberId: 'bad', memberMetadata: Buffer.from([0, 0, 0x7f]) }], topics: ['t'] });
  t.same(received(result), { ok: { t: [0, 1] }, bad: {} });
});

t.test('sticky: remembers its last assignment as leader, and honours StickyAssignorUserData', async t => {
  const cluster = fakeCluster({ t: 6 }, ['t']);
  const a = make(kafkajsAssigners.sticky, cluster);
  const first = received(await a.assign({ members: [kafkajsMember('A', ['t']), kafkajsMember('B', ['t'])], topics: ['t'] }));
  t.same(first, { A: { t: [0, 2, 4] }, B: { t: [1, 3, 5] } });
  // C joins: A and B (which declare nothing) keep two of their three each.
  const second = received(await a.assign({ members: [kafkajsMember('A', ['t']), kafkajsMember('B', ['t']), kafkajsMember('C', ['t'])], topics: ['t'] }));
  t.same(second, { A: { t: [0, 2] }, B: { t: [1, 3] }, C: { t: [4, 5] } });
  // A Java/librdkafka sticky member declares its previous assignment in its user data; a declaration beats the memory.
  const fresh = make(kafkajsAssigners.sticky, cluster);
  const declared = received(
    await fresh.assign({
      members: [
        { memberId: 'J', memberMetadata: encodeSubscription({ version: 3, topics: ['t'], userData: encodeStickyUserData({ previousAssignment: [{ topic: 't', partitions: [3, 4, 5] }], generation: 8 }) }) },
        kafkajsMember('K', ['t']),
      ],
      topics: ['t'],
    }),
  );
  t.same(declared, { J: { t: [3, 4, 5] }, K: { t: [0, 1, 2] } });
});

t.test('cooperative-sticky: declared owners revoke first, remembered ones are not held back', async t => {
  const cluster = fakeCluster({ t: 4 }, ['t']);
  const a = make(kafkajsAssigners.cooperativeSticky, cluster);
  const java = (memberId: string, owned: number[], generationId: number) => ({
    memberId,
    memberMetadata: encodeSubscription({ version: 3, topics: ['t'], ownedPartitions: owned.length ? [{ topic: 't', partitions: owned }] : [], generationId }),
  });
  // J owns everything; kafkajs member K joins. K's two partitions wait for J to revoke them.
  const round1 = received(await a.assign({ members: [java('J', [0, 1, 2, 3], 4), kafkajsMember('K', ['t'])], topics: ['t'] }));
  t.same(round1, { J: { t: [0, 1] }, K: {} });
  // J revoked 2 and 3 and rejoined: K gets them.
  const round2 = received(await a.assign({ members: [java('J', [0, 1], 5), kafkajsMember('K', ['t'])], topics: ['t'] }));
  t.same(round2, { J: { t: [0, 1] }, K: { t: [2, 3] } });
  // Only kafkajs members (eager: they give up everything before rejoining): a new member's share
  // comes from remembered owners at once.
  const b = make(kafkajsAssigners.cooperativeSticky, cluster);
  t.same(received(await b.assign({ members: [kafkajsMember('A', ['t'])], topics: ['t'] })), { A: { t: [0, 1, 2, 3] } });
  t.same(received(await b.assign({ members: [kafkajsMember('A', ['t']), kafkajsMember('B', ['t'])], topics: ['t'] })), { A: { t: [0, 1] }, B: { t: [2, 3] } });
  // A stale claim loses to a newer generation.
  const c = make(kafkajsAssigners.cooperativeSticky, cluster);
  t.same(received(await c.assign({ members: [java('X', [0, 1, 2], 2), java('Y', [2, 3], 3)], topics: ['t'] })), { X: { t: [0, 1] }, Y: { t: [2, 3] } });
});
