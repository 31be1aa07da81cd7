// The worked examples in the javadoc of Kafka's RangeAssignor, RoundRobinAssignor and
// StickyAssignor (clients/src/main/java/org/apache/kafka/clients/consumer/), and the cooperative
// hold-back of CooperativeStickyAssignor.
import t from 'tap';
import {
  cooperativeSticky,
  range,
  roundRobin,
  serverRange,
  sticky,
  uniform,
  withholdTransferringPartitions,
  type Assignment,
  type MemberSpec,
  type TopicSpec,
} from '../../../src/coordinator/group/assignors/index.js';

function plain(a: Assignment): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const [m, perTopic] of a) out[m] = Object.fromEntries(perTopic);
  return out;
}

const topics = (spec: Record<string, number>): TopicSpec[] => Object.entries(spec).map(([name, partitions]) => ({ name, partitions }));
const members = (spec: Record<string, string[]>): MemberSpec[] => Object.entries(spec).map(([memberId, subscribed]) => ({ memberId, topics: subscribed }));
const owning = (a: Assignment, list: MemberSpec[]): MemberSpec[] => list.map(m => ({ ...m, owned: a.get(m.memberId) ?? new Map(), generation: 1 }));

t.test('range: the javadoc example', async t => {
  const a = range.assign(members({ C1: ['t0', 't1'], C0: ['t0', 't1'] }), topics({ t0: 3, t1: 3 }));
  t.same(plain(a), { C0: { t0: [0, 1], t1: [0, 1] }, C1: { t0: [2], t1: [2] } });
  t.equal(serverRange, range, 'the server-side range assignor computes the same layout');
});

t.test('range: static members are ordered by instance id, ahead of dynamic ones', async t => {
  // After a rolling bounce C0 -> C3 and C1 -> C2: with instance ids, I0 keeps the first ranges.
  const a = range.assign(
    [
      { memberId: 'C2', topics: ['t0', 't1'], groupInstanceId: 'I1' },
      { memberId: 'C3', topics: ['t0', 't1'], groupInstanceId: 'I0' },
    ],
    topics({ t0: 3, t1: 3 }),
  );
  t.same(plain(a), { C2: { t0: [2], t1: [2] }, C3: { t0: [0, 1], t1: [0, 1] } });
  const mixed = range.assign(
    [
      { memberId: 'a', topics: ['t'] },
      { memberId: 'z', topics: ['t'], groupInstanceId: 'static' },
    ],
    topics({ t: 3 }),
  );
  t.same(plain(mixed), { a: { t: [2] }, z: { t: [0, 1] } });
});

t.test('range: differing subscriptions split each topic among its own subscribers', async t => {
  const a = range.assign(members({ C0: ['t0'], C1: ['t0', 't1'], C2: ['t1'] }), topics({ t0: 5, t1: 2 }));
  t.same(plain(a), { C0: { t0: [0, 1, 2] }, C1: { t0: [3, 4], t1: [0] }, C2: { t1: [1] } });
});

t.test('roundrobin: the javadoc examples', async t => {
  const a = roundRobin.assign(members({ C0: ['t0', 't1'], C1: ['t0', 't1'] }), topics({ t0: 3, t1: 3 }));
  t.same(plain(a), { C0: { t0: [0, 2], t1: [1] }, C1: { t0: [1], t1: [0, 2] } });

  const b = roundRobin.assign(members({ C0: ['t0'], C1: ['t0', 't1'], C2: ['t0', 't1', 't2'] }), topics({ t0: 1, t1: 2, t2: 3 }));
  t.same(plain(b), { C0: { t0: [0] }, C1: { t1: [0] }, C2: { t1: [1], t2: [0, 1, 2] } });

  const c = roundRobin.assign(members({ C0: ['t0', 't1'], C1: ['t0', 't1'], C2: ['t0', 't1'] }), topics({ t0: 3, t1: 3 }));
  t.same(plain(c), { C0: { t0: [0], t1: [0] }, C1: { t0: [1], t1: [1] }, C2: { t0: [2], t1: [2] } });

  // Static members: I0..I2 keep their layout whatever their (new) member ids.
  const d = roundRobin.assign(
    [
      { memberId: 'C5', topics: ['t0', 't1'], groupInstanceId: 'I0' },
      { memberId: 'C3', topics: ['t0', 't1'], groupInstanceId: 'I1' },
      { memberId: 'C4', topics: ['t0', 't1'], groupInstanceId: 'I2' },
    ],
    topics({ t0: 3, t1: 3 }),
  );
  t.same(plain(d), { C5: { t0: [0], t1: [0] }, C3: { t0: [1], t1: [1] }, C4: { t0: [2], t1: [2] } });
});

t.test('sticky: javadoc example 1 (identical subscriptions)', async t => {
  for (const assignor of [sticky, cooperativeSticky]) {
    const group = members({ C0: ['t0', 't1', 't2', 't3'], C1: ['t0', 't1', 't2', 't3'], C2: ['t0', 't1', 't2', 't3'] });
    const tps = topics({ t0: 2, t1: 2, t2: 2, t3: 2 });
    const first = assignor.assign(group, tps);
    t.same(plain(first), { C0: { t0: [0], t1: [1], t3: [0] }, C1: { t0: [1], t2: [0], t3: [1] }, C2: { t1: [0], t2: [1] } }, `${assignor.name}: fresh`);
    // C1 leaves: C0 and C2 keep everything and share C1's three partitions 4/4.
    const after = assignor.assign(owning(first, group.filter(m => m.memberId !== 'C1')), tps);
    const count = (m: string) => [...after.get(m)!.values()].reduce((s, ps) => s + ps.length, 0);
    t.equal(count('C0'), 4);
    t.equal(count('C2'), 4);
    for (const m of ['C0', 'C2']) for (const [topic, ps] of first.get(m)!) for (const p of ps) t.ok(after.get(m)!.get(topic)!.includes(p), `${assignor.name}: ${m} keeps ${topic}-${p}`);
  }
});

t.test('sticky: javadoc example 2 (differing subscriptions)', async t => {
  for (const assignor of [sticky, cooperativeSticky]) {
    const group = members({ C0: ['t0'], C1: ['t0', 't1'], C2: ['t0', 't1', 't2'] });
    const tps = topics({ t0: 1, t1: 2, t2: 3 });
    const first = assignor.assign(group, tps);
    t.same(plain(first), { C0: { t0: [0] }, C1: { t1: [0, 1] }, C2: { t2: [0, 1, 2] } }, `${assignor.name}: fresh`);
    const after = assignor.assign(owning(first, group.slice(1)), tps);
    t.same(plain(after), { C1: { t0: [0], t1: [0, 1] }, C2: { t2: [0, 1, 2] } }, `${assignor.name}: C0 left`);
  }
});

t.test('uniform: a fresh group gets contiguous shares; joins move the minimum', async t => {
  const group = members({ A: ['x', 'y'], B: ['x', 'y'] });
  const tps = topics({ x: 3, y: 3 });
  const first = uniform.assign(group, tps);
  t.same(plain(first), { A: { x: [0, 1, 2] }, B: { y: [0, 1, 2] } });
  const after = uniform.assign([...owning(first, group), { memberId: 'C', topics: ['x', 'y'] }], tps);
  t.same(plain(after), { A: { x: [0, 1] }, B: { y: [0, 1] }, C: { x: [2], y: [2] } });
});

t.test('cooperative-sticky: partitions changing owner are held back for one round', async t => {
  const tps = topics({ t: 4 });
  const round1: MemberSpec[] = [
    { memberId: 'A', topics: ['t'], owned: new Map([['t', [0, 1, 2, 3]]]), generation: 1 },
    { memberId: 'B', topics: ['t'] },
  ];
  const target = cooperativeSticky.assign(round1, tps);
  t.same(plain(target), { A: { t: [0, 1] }, B: { t: [2, 3] } }, 'the target assignment');
  const first = withholdTransferringPartitions(target, round1);
  t.same(plain(first), { A: { t: [0, 1] }, B: {} }, 'B waits until A has revoked 2 and 3');
  t.same(plain(target), { A: { t: [0, 1] }, B: { t: [2, 3] } }, 'the target is not changed');
  // A revoked 2 and 3 and rejoined: the second round hands them over.
  const round2: MemberSpec[] = [
    { memberId: 'A', topics: ['t'], owned: new Map([['t', [0, 1]]]), generation: 2 },
    { memberId: 'B', topics: ['t'], owned: new Map(), generation: 2 },
  ];
  t.same(plain(withholdTransferringPartitions(cooperativeSticky.assign(round2, tps), round2)), { A: { t: [0, 1] }, B: { t: [2, 3] } });
  // A member that keeps a partition it claims keeps it even when a stale claim exists elsewhere.
  const stale: MemberSpec[] = [
    { memberId: 'A', topics: ['t'], owned: new Map([['t', [0, 1]]]), generation: 5 },
    { memberId: 'B', topics: ['t'], owned: new Map([['t', [1, 2, 3]]]), generation: 4 },
  ];
  t.same(plain(withholdTransferringPartitions(cooperativeSticky.assign(stale, tps), stale)), { A: { t: [0, 1] }, B: { t: [2, 3] } });
});
