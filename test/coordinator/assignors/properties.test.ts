// Properties every assignor must keep, over many seeded random groups (1–20 members, 1–10 topics
// of 0–50 partitions, identical and differing subscriptions, unknown topics, static members):
// validity (each subscribed partition to exactly one subscriber, nothing else), balance, results
// independent of input order, and, for the sticky ones, that a rebalance moves no more partitions
// than balance requires.
import t from 'tap';
import {
  ASSIGNORS,
  cooperativeSticky,
  range,
  roundRobin,
  serverRange,
  sticky,
  uniform,
  type Assignment,
  type MemberSpec,
  type PartitionAssignor,
  type TopicSpec,
} from '../../../src/coordinator/group/assignors/index.js';
import { rng } from '../../helpers/engines.js';

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

interface Case {
  members: MemberSpec[];
  topics: TopicSpec[];
}

function shuffle<T>(r: Rand, list: readonly T[]): T[] {
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = int(r, 0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function randomCase(r: Rand, homogeneous: boolean): Case {
  const topics: TopicSpec[] = [];
  for (let i = int(r, 1, 10) - 1; i >= 0; i--) topics.push({ name: `topic-${i}`, partitions: int(r, 0, 50) });
  // Subscriptions may name topics that do not exist: they must be ignored.
  const names = [...topics.map(x => x.name), 'ghost-a', 'ghost-b'];
  const pick = (): string[] => {
    const s = names.filter(() => r() < 0.5);
    return s.length > 0 || !homogeneous ? s : [names[0]!];
  };
  const common = pick();
  const members: MemberSpec[] = [];
  const n = int(r, 1, 20);
  for (let i = 0; i < n; i++) {
    const memberId = `consumer-${Math.floor(r() * 1e9).toString(36)}-${i}`;
    members.push({ memberId, topics: homogeneous ? shuffle(r, common) : pick(), groupInstanceId: r() < 0.3 ? `instance-${int(r, 0, 99)}-${i}` : null });
  }
  return { members: shuffle(r, members), topics };
}

function plain(a: Assignment): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const m of [...a.keys()].sort()) {
    const perTopic: Record<string, number[]> = {};
    for (const [topic, ps] of [...a.get(m)!].sort(([x], [y]) => (x < y ? -1 : 1))) perTopic[topic] = ps.slice().sort((x, y) => x - y);
    out[m] = perTopic;
  }
  return out;
}

/** Each problem found, as text (empty when the assignment is valid). */
function validity(c: Case, a: Assignment): string[] {
  const problems: string[] = [];
  const count = new Map(c.topics.filter(x => x.partitions > 0).map(x => [x.name, x.partitions]));
  const subs = new Map(c.members.map(m => [m.memberId, new Set(m.topics)]));
  if (a.size !== c.members.length) problems.push(`${a.size} members in the result, ${c.members.length} given`);
  for (const m of c.members) if (!a.has(m.memberId)) problems.push(`${m.memberId} missing`);
  const owner = new Map<string, string>();
  for (const [memberId, perTopic] of a) {
    if (!subs.has(memberId)) problems.push(`unknown member ${memberId}`);
    for (const [topic, ps] of perTopic) {
      if (!count.has(topic)) problems.push(`${memberId} got unknown topic ${topic}`);
      if (!subs.get(memberId)?.has(topic)) problems.push(`${memberId} got ${topic}, which it does not subscribe to`);
      for (let i = 0; i < ps.length; i++) {
        const p = ps[i]!;
        if (i > 0 && ps[i - 1]! >= p) problems.push(`${memberId} ${topic}: partitions not ascending/unique`);
        if (!Number.isInteger(p) || p < 0 || p >= (count.get(topic) ?? 0)) problems.push(`${memberId} got ${topic}-${p}, out of range`);
        const key = `${topic}-${p}`;
        if (owner.has(key)) problems.push(`${key} given to ${owner.get(key)} and ${memberId}`);
        owner.set(key, memberId);
      }
    }
  }
  for (const [topic, n] of count) {
    if (!c.members.some(m => m.topics.includes(topic))) continue;
    for (let p = 0; p < n; p++) if (!owner.has(`${topic}-${p}`)) problems.push(`${topic}-${p} unassigned`);
  }
  return problems;
}

function load(a: Assignment): Map<string, number> {
  const out = new Map<string, number>();
  for (const [m, perTopic] of a) {
    let n = 0;
    for (const ps of perTopic.values()) n += ps.length;
    out.set(m, n);
  }
  return out;
}

function spread(values: Iterable<number>): number {
  const v = [...values];
  return v.length === 0 ? 0 : Math.max(...v) - Math.min(...v);
}

/** Range's guarantee: per topic, the subscribers' shares differ by at most one. */
function perTopicSpread(c: Case, a: Assignment): number {
  let worst = 0;
  for (const topic of c.topics) {
    const shares = c.members.filter(m => m.topics.includes(topic.name)).map(m => a.get(m.memberId)!.get(topic.name)?.length ?? 0);
    worst = Math.max(worst, spread(shares));
  }
  return worst;
}

/**
 * Members that could shed load to one at least two behind them: directly or along a chain in
 * which each member hands on one partition of a topic the next subscribes to. None may remain.
 */
function improvableChains(c: Case, a: Assignment): string[] {
  const known = new Set(c.topics.filter(x => x.partitions > 0).map(x => x.name));
  const subs = new Map(c.members.map(m => [m.memberId, new Set(m.topics.filter(x => known.has(x)))]));
  const loads = load(a);
  const out: string[] = [];
  for (const from of a.keys()) {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length > 0) {
      const x = queue.shift()!;
      for (const [topic, ps] of a.get(x)!) {
        if (ps.length === 0) continue;
        for (const [y, s] of subs) {
          if (seen.has(y) || !s.has(topic)) continue;
          seen.add(y);
          queue.push(y);
          if (loads.get(y)! <= loads.get(from)! - 2) out.push(`${from} (${loads.get(from)}) could pass load to ${y} (${loads.get(y)})`);
        }
      }
    }
  }
  return out;
}

function ownedOf(a: Assignment, memberId: string): Map<string, number[]> {
  return new Map([...(a.get(memberId) ?? new Map<string, number[]>())].map(([k, v]) => [k, v.slice()]));
}

/** Owner of every partition in `a`, as "topic-partition" -> member. */
function owners(a: Assignment): Map<string, string> {
  const out = new Map<string, string>();
  for (const [m, perTopic] of a) for (const [topic, ps] of perTopic) for (const p of ps) out.set(`${topic}-${p}`, m);
  return out;
}

/**
 * The fewest partitions any balanced assignment must take from their owners, for identical
 * subscriptions: with quota q = floor(P/M) and r = P % M members allowed q + 1, each member loses
 * what it owns beyond its quota, and the r larger quotas are best spent on members owning more than q.
 */
function minimumMoves(ownedCounts: number[], total: number): number {
  const m = ownedCounts.length;
  const q = Math.floor(total / m);
  const r = total % m;
  let excess = 0;
  let over = 0;
  for (const o of ownedCounts) {
    excess += Math.max(0, o - q);
    if (o > q) over++;
  }
  return excess - Math.min(r, over);
}

const ALL: PartitionAssignor[] = [range, roundRobin, sticky, cooperativeSticky, uniform];
const STICKY: PartitionAssignor[] = [sticky, cooperativeSticky, uniform];
const CASES = 150;

t.test('the registry knows every assignor by its Kafka protocol name', async t => {
  t.same([...ASSIGNORS.keys()].sort(), ['cooperative-sticky', 'range', 'roundrobin', 'sticky', 'uniform']);
  t.equal(serverRange.name, 'range');
  for (const a of ALL) t.equal(ASSIGNORS.get(a.name), a);
});

for (const assignor of ALL) {
  t.test(`${assignor.name}: valid, balanced and independent of input order`, async t => {
    for (const homogeneous of [true, false]) {
      const r = rng(homogeneous ? 11 : 23);
      const problems: string[] = [];
      for (let i = 0; i < CASES; i++) {
        const c = randomCase(r, homogeneous);
        const a = assignor.assign(c.members, c.topics);
        for (const p of validity(c, a)) problems.push(`case ${i}: ${p}`);
        const again = assignor.assign(shuffle(r, c.members), shuffle(r, c.topics));
        if (JSON.stringify(plain(again)) !== JSON.stringify(plain(a))) problems.push(`case ${i}: depends on input order`);
        if (assignor === range) {
          if (perTopicSpread(c, a) > 1) problems.push(`case ${i}: a topic's shares differ by ${perTopicSpread(c, a)}`);
        } else if (homogeneous) {
          if (spread(load(a).values()) > 1) problems.push(`case ${i}: member loads differ by ${spread(load(a).values())}`);
        } else if (STICKY.includes(assignor)) {
          for (const p of improvableChains(c, a)) problems.push(`case ${i}: ${p}`);
        }
      }
      t.same(problems.slice(0, 10), [], `${homogeneous ? 'identical' : 'differing'} subscriptions, ${CASES} groups`);
    }
  });
}

for (const assignor of STICKY) {
  t.test(`${assignor.name}: a rebalance moves only what balance requires`, async t => {
    const r = rng(assignor.name.length * 7919);
    const problems: string[] = [];
    let movedSomething = 0;
    for (let i = 0; i < CASES; i++) {
      const c = randomCase(r, true);
      const first = assignor.assign(c.members, c.topics);
      const total = c.topics.filter(x => c.members[0]!.topics.includes(x.name)).reduce((s, x) => s + x.partitions, 0);
      const withOwned = (list: MemberSpec[], prev: Assignment): MemberSpec[] => list.map(m => ({ ...m, owned: ownedOf(prev, m.memberId), generation: 1 }));

      // Nothing changed: nothing moves.
      const same = assignor.assign(withOwned(c.members, first), c.topics);
      if (JSON.stringify(plain(same)) !== JSON.stringify(plain(first))) problems.push(`case ${i}: an unchanged group was reassigned`);

      // One member joins.
      const joiner: MemberSpec = { memberId: `joiner-${i}`, topics: c.members[0]!.topics };
      const grown = [...withOwned(c.members, first), joiner];
      const afterJoin = assignor.assign(grown, c.topics);
      problems.push(...validity({ members: grown, topics: c.topics }, afterJoin).map(p => `case ${i} join: ${p}`));
      const before = owners(first);
      const after = owners(afterJoin);
      let moved = 0;
      for (const [tp, m] of before) if (after.get(tp) !== m) moved++;
      const need = minimumMoves(grown.map(m => (m === joiner ? 0 : load(first).get(m.memberId)!)), total);
      if (moved !== need) problems.push(`case ${i} join: ${moved} partitions moved, ${need} needed`);
      movedSomething += moved;

      // One member leaves: only its partitions move.
      if (c.members.length > 1) {
        const gone = c.members[int(r, 0, c.members.length - 1)]!;
        const rest = withOwned(c.members.filter(m => m !== gone), first);
        const afterLeave = assignor.assign(rest, c.topics);
        problems.push(...validity({ members: rest, topics: c.topics }, afterLeave).map(p => `case ${i} leave: ${p}`));
        const now = owners(afterLeave);
        for (const [tp, m] of before) if (now.get(tp) !== m && m !== gone.memberId) problems.push(`case ${i} leave: ${tp} moved from ${m}, who stayed`);
        if (spread(load(afterLeave).values()) > 1) problems.push(`case ${i} leave: unbalanced`);
      }

      // Owned partitions spread at random (unbalanced): still the fewest moves.
      const owned = new Map<string, Map<string, number[]>>(c.members.map(m => [m.memberId, new Map()]));
      for (const topic of c.topics) {
        for (let p = 0; p < topic.partitions; p++) {
          if (r() < 0.3) continue;
          // skewed towards the first members, so some own far more than their share
          const m = c.members[Math.floor(r() * r() * c.members.length)]!;
          const perTopic = owned.get(m.memberId)!;
          perTopic.set(topic.name, [...(perTopic.get(topic.name) ?? []), p]);
        }
      }
      const skewed = c.members.map(m => ({ ...m, owned: owned.get(m.memberId)!, generation: 3 }));
      const rebalanced = assignor.assign(skewed, c.topics);
      problems.push(...validity({ members: skewed, topics: c.topics }, rebalanced).map(p => `case ${i} skewed: ${p}`));
      if (spread(load(rebalanced).values()) > 1) problems.push(`case ${i} skewed: unbalanced`);
      const counted = new Set(c.members[0]!.topics);
      const ownedCounts = skewed.map(m => [...m.owned].filter(([topic]) => counted.has(topic) && c.topics.some(x => x.name === topic)).reduce((s, [, ps]) => s + ps.length, 0));
      const got = owners(rebalanced);
      let skewMoved = 0;
      for (const m of skewed) for (const [topic, ps] of m.owned) if (counted.has(topic)) for (const p of ps) if (got.get(`${topic}-${p}`) !== m.memberId) skewMoved++;
      const skewNeed = minimumMoves(ownedCounts, total);
      if (skewMoved !== skewNeed) problems.push(`case ${i} skewed: ${skewMoved} partitions moved, ${skewNeed} needed`);
    }
    t.same(problems.slice(0, 10), [], `${CASES} groups`);
    t.ok(movedSomething > 0, 'the cases include joins that must move partitions');
  });

  t.test(`${assignor.name}: differing subscriptions keep what stays valid`, async t => {
    const r = rng(assignor.name.length * 104729);
    const problems: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const c = randomCase(r, false);
      const first = assignor.assign(c.members, c.topics);
      const members = c.members.map(m => ({ ...m, owned: ownedOf(first, m.memberId), generation: 2 }));
      const again = assignor.assign(members, c.topics);
      if (JSON.stringify(plain(again)) !== JSON.stringify(plain(first))) problems.push(`case ${i}: an unchanged group was reassigned`);
      // A member drops a topic: what it and others kept elsewhere stays put unless balance needs it.
      const changed = members.map((m, k) => (k === 0 ? { ...m, topics: m.topics.slice(1) } : m));
      const next = assignor.assign(changed, c.topics);
      problems.push(...validity({ members: changed, topics: c.topics }, next).map(p => `case ${i}: ${p}`));
      problems.push(...improvableChains({ members: changed, topics: c.topics }, next).map(p => `case ${i}: ${p}`));
    }
    t.same(problems.slice(0, 10), [], `${CASES} groups`);
  });
}

t.test('conflicting claims settle by generation', async t => {
  const topics: TopicSpec[] = [{ name: 't', partitions: 4 }];
  for (const assignor of STICKY) {
    // B's claim on t-1 is newer: B keeps 1 and 2, A keeps 0 and takes the free 3.
    const a = assignor.assign(
      [
        { memberId: 'A', topics: ['t'], owned: new Map([['t', [0, 1]]]), generation: 3 },
        { memberId: 'B', topics: ['t'], owned: new Map([['t', [1, 2]]]), generation: 5 },
      ],
      topics,
    );
    t.same(plain(a), { A: { t: [0, 3] }, B: { t: [1, 2] } }, `${assignor.name}: the higher generation wins`);
    // The same the other way round, and regardless of input order.
    const b = assignor.assign(
      [
        { memberId: 'B', topics: ['t'], owned: new Map([['t', [1, 2]]]), generation: 2 },
        { memberId: 'A', topics: ['t'], owned: new Map([['t', [0, 1]]]), generation: 7 },
      ],
      topics,
    );
    t.same(plain(b), { A: { t: [0, 1] }, B: { t: [2, 3] } }, `${assignor.name}: the higher generation wins, either way`);
    // Equal generations: neither claim on t-1 counts (Kafka invalidates it), the others do.
    const c = assignor.assign(
      [
        { memberId: 'A', topics: ['t'], owned: new Map([['t', [1, 0]]]), generation: 4 },
        { memberId: 'B', topics: ['t'], owned: new Map([['t', [1, 2]]]), generation: 4 },
      ],
      topics,
    );
    t.ok(c.get('A')!.get('t')!.includes(0) && c.get('B')!.get('t')!.includes(2), `${assignor.name}: tied claims leave the undisputed partitions in place`);
    t.same(validity({ members: [{ memberId: 'A', topics: ['t'] }, { memberId: 'B', topics: ['t'] }], topics }, c), []);
    // Differing subscriptions take the same rule: C (only t) and A (t and u) both claim t-0.
    const d = assignor.assign(
      [
        { memberId: 'A', topics: ['t', 'u'], owned: new Map([['t', [0]], ['u', [0]]]), generation: 9 },
        { memberId: 'C', topics: ['t'], owned: new Map([['t', [0, 1]]]), generation: 8 },
      ],
      [...topics, { name: 'u', partitions: 2 }],
    );
    t.ok(d.get('A')!.get('t')?.includes(0), `${assignor.name}: differing subscriptions, the higher generation keeps t-0`);
    t.ok(d.get('C')!.get('t')?.includes(1), `${assignor.name}: and the other claim survives`);
  }
});

t.test('owned partitions that are no longer valid are ignored', async t => {
  for (const assignor of STICKY) {
    const a = assignor.assign(
      [
        // t-7 does not exist, u is not subscribed, ghost is unknown
        { memberId: 'A', topics: ['t'], owned: new Map([['t', [0, 7, -1, 1.5]], ['u', [0]], ['ghost', [0]]]) },
        { memberId: 'B', topics: ['t'] },
      ],
      [{ name: 't', partitions: 2 }, { name: 'u', partitions: 1 }],
    );
    t.same(plain(a), { A: { t: [0] }, B: { t: [1] } }, assignor.name);
  }
});

t.test('edge cases: no members, no topics, more members than partitions', async t => {
  for (const assignor of ALL) {
    t.same(plain(assignor.assign([], [{ name: 't', partitions: 3 }])), {}, `${assignor.name}: no members`);
    t.same(plain(assignor.assign([{ memberId: 'a', topics: ['t'] }], [])), { a: {} }, `${assignor.name}: no topics`);
    const many = Array.from({ length: 5 }, (_, i) => ({ memberId: `m${i}`, topics: ['t'] }));
    const a = assignor.assign(many, [{ name: 't', partitions: 2 }]);
    t.same(validity({ members: many, topics: [{ name: 't', partitions: 2 }] }, a), [], `${assignor.name}: idle members`);
    t.equal([...load(a).values()].filter(n => n === 1).length, 2, `${assignor.name}: two members with one partition each`);
  }
});
