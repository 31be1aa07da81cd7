// The balanced, sticky assignment behind `sticky`, `cooperative-sticky` and `uniform`.
//
// Order of concerns, as in Kafka's AbstractStickyAssignor and UniformAssignor: balance first, then
// stickiness (keep what members own), then a deterministic layout of whatever is left.
//
// 1. Claims. A member's `owned` partitions count only for topics it still subscribes to that exist
//    with that partition. A partition claimed by several members goes to the claimant with the
//    highest generation; when the highest generation is shared, no claim survives (Kafka treats
//    such a partition as invalid previous ownership and reassigns it from scratch).
// 2. Identical subscriptions (the common case). With P partitions and M members every member gets
//    floor(P/M) and `P % M` of them one more. The larger quotas go to the members that own the most,
//    so the number of partitions taken from their owners is the least any balanced assignment
//    needs. Members keep owned partitions up to their quota; the rest is dealt out.
// 3. Different subscriptions. Every valid claim is kept; each free partition (topics with the
//    fewest subscribers first) goes to the least-loaded subscriber; then, while some member holds
//    two or more partitions more than a member it can pass load to - directly, or along a chain of
//    members each handing one partition of a topic the next subscribes to - one partition moves
//    along the shortest such chain. When no chain is left the assignment is as balanced as the
//    subscriptions allow (no member's load can drop without another's rising to it), which is
//    at least Kafka's own criterion (no single partition can move to a member two or more behind).
import { compareStrings, prepare } from './common.js';
import type { Assignment, MemberSpec, TopicSpec } from './types.js';

export interface BalancedOptions {
  /**
   * How free partitions are dealt when subscriptions are identical: one at a time in turn, like
   * Kafka's sticky assignors (a fresh group gets round-robin's layout), or each member's share as
   * one contiguous run, like Kafka's server-side uniform assignor.
   */
  fill: 'round-robin' | 'contiguous';
}

interface Claim {
  /** Owner member index per partition, -1 for none. */
  owner: Int32Array;
  generation: Float64Array;
  tied: Uint8Array;
}

export function assignBalanced(members: readonly MemberSpec[], topics: readonly TopicSpec[], options: BalancedOptions): Assignment {
  const p = prepare(members, topics);
  const m = p.members.length;
  // held[i]: topic -> partitions member i will get
  const held: Map<string, number[]>[] = p.members.map(() => new Map());
  if (m === 0) return new Map();

  // 1. Claims.
  const claims = new Map<string, Claim>();
  for (const t of p.topics) {
    const n = p.partitionCount.get(t)!;
    claims.set(t, { owner: new Int32Array(n).fill(-1), generation: new Float64Array(n).fill(-Infinity), tied: new Uint8Array(n) });
  }
  for (let i = 0; i < m; i++) {
    const spec = p.members[i]!;
    if (spec.owned === undefined) continue;
    const g = spec.generation;
    const generation = typeof g === 'number' && !Number.isNaN(g) ? g : -1;
    for (const [topic, partitions] of spec.owned) {
      if (!p.subscribed[i]!.has(topic)) continue;
      const c = claims.get(topic)!;
      for (const partition of partitions) {
        if (!Number.isInteger(partition) || partition < 0 || partition >= c.owner.length) continue;
        if (generation > c.generation[partition]!) {
          c.owner[partition] = i;
          c.generation[partition] = generation;
          c.tied[partition] = 0;
        } else if (generation === c.generation[partition] && c.owner[partition] !== i) {
          c.tied[partition] = 1;
        }
      }
    }
  }
  // previousOwner: the surviving claims, by topic.
  const previousOwner = new Map<string, Int32Array>();
  for (const [topic, c] of claims) {
    for (let k = 0; k < c.owner.length; k++) if (c.tied[k] === 1) c.owner[k] = -1;
    previousOwner.set(topic, c.owner);
  }

  const homogeneous = p.subscribed.every(s => s.size === p.subscribed[0]!.size && [...s].every(t => p.subscribed[0]!.has(t)));
  if (homogeneous) assignHomogeneous(p.topics, p.partitionCount, previousOwner, held, options);
  else assignHeterogeneous(p.topics, p.partitionCount, p.subscribed, previousOwner, held);

  const out: Assignment = new Map();
  for (let i = 0; i < m; i++) {
    const perTopic = new Map<string, number[]>();
    for (const t of [...held[i]!.keys()].sort(compareStrings)) {
      const list = held[i]!.get(t)!;
      if (list.length > 0) perTopic.set(t, list.sort((a, b) => a - b));
    }
    out.set(p.members[i]!.memberId, perTopic);
  }
  return out;
}

function give(held: Map<string, number[]>[], member: number, topic: string, partition: number): void {
  let list = held[member]!.get(topic);
  if (list === undefined) {
    list = [];
    held[member]!.set(topic, list);
  }
  list.push(partition);
}

function assignHomogeneous(
  topics: readonly string[],
  partitionCount: ReadonlyMap<string, number>,
  previousOwner: ReadonlyMap<string, Int32Array>,
  held: Map<string, number[]>[],
  options: BalancedOptions,
): void {
  const m = held.length;
  const owned: { topic: string; partition: number }[][] = held.map(() => []);
  let total = 0;
  for (const t of topics) {
    const owners = previousOwner.get(t)!;
    total += owners.length;
    for (let k = 0; k < owners.length; k++) if (owners[k]! >= 0) owned[owners[k]!]!.push({ topic: t, partition: k });
  }
  const minQuota = Math.floor(total / m);
  const withExtra = total % m;
  const byOwned = owned.map((o, i) => i).sort((a, b) => owned[b]!.length - owned[a]!.length || a - b);
  const quota = new Array<number>(m);
  byOwned.forEach((i, rank) => (quota[i] = minQuota + (rank < withExtra ? 1 : 0)));

  // Keep up to the quota; like Kafka's sticky assignor, the lowest partition numbers (across topics) stay.
  const taken = new Map<string, Uint8Array>();
  for (const t of topics) taken.set(t, new Uint8Array(partitionCount.get(t)!));
  const room = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    const mine = owned[i]!.sort((a, b) => a.partition - b.partition || compareStrings(a.topic, b.topic));
    const keep = Math.min(mine.length, quota[i]!);
    for (let k = 0; k < keep; k++) {
      give(held, i, mine[k]!.topic, mine[k]!.partition);
      taken.get(mine[k]!.topic)![mine[k]!.partition] = 1;
    }
    room[i] = quota[i]! - keep;
  }

  const free: { topic: string; partition: number }[] = [];
  for (const t of topics) {
    const flags = taken.get(t)!;
    for (let k = 0; k < flags.length; k++) if (flags[k] === 0) free.push({ topic: t, partition: k });
  }
  if (options.fill === 'contiguous') {
    let next = 0;
    for (let i = 0; i < m; i++) {
      for (; room[i]! > 0; room[i]!--) {
        const f = free[next++]!;
        give(held, i, f.topic, f.partition);
      }
    }
    return;
  }
  const open: number[] = [];
  for (let i = 0; i < m; i++) if (room[i]! > 0) open.push(i);
  let turn = 0;
  for (const f of free) {
    const i = open[turn]!;
    give(held, i, f.topic, f.partition);
    if (--room[i]! === 0) open.splice(turn, 1);
    else turn++;
    if (turn >= open.length) turn = 0;
  }
}

function assignHeterogeneous(
  topics: readonly string[],
  partitionCount: ReadonlyMap<string, number>,
  subscribed: readonly Set<string>[],
  previousOwner: ReadonlyMap<string, Int32Array>,
  held: Map<string, number[]>[],
): void {
  const m = held.length;
  const load = new Array<number>(m).fill(0);
  const subscribers = new Map<string, number[]>();
  for (const t of topics) subscribers.set(t, []);
  for (let i = 0; i < m; i++) for (const t of subscribed[i]!) subscribers.get(t)!.push(i);

  for (const t of topics) {
    const owners = previousOwner.get(t)!;
    for (let k = 0; k < owners.length; k++) {
      if (owners[k]! < 0) continue;
      give(held, owners[k]!, t, k);
      load[owners[k]!]++;
    }
  }
  // Free partitions: the most constrained topics first, each partition to the least-loaded subscriber.
  const order = [...topics].sort((a, b) => subscribers.get(a)!.length - subscribers.get(b)!.length || compareStrings(a, b));
  for (const t of order) {
    const owners = previousOwner.get(t)!;
    const candidates = subscribers.get(t)!;
    for (let k = 0; k < partitionCount.get(t)!; k++) {
      if (owners[k]! >= 0) continue;
      let best = candidates[0]!;
      for (const c of candidates) if (load[c]! < load[best]!) best = c;
      give(held, best, t, k);
      load[best]++;
    }
  }
  rebalance(topics, subscribers, previousOwner, held, load);
}

/**
 * Moves single partitions along chains of members until no member can shed load to one at least
 * two behind. Every move lowers the sum of squared loads, so this ends.
 */
function rebalance(
  topics: readonly string[],
  subscribers: ReadonlyMap<string, readonly number[]>,
  previousOwner: ReadonlyMap<string, Int32Array>,
  held: Map<string, number[]>[],
  load: number[],
): void {
  const m = held.length;
  const topicIndex = new Map<string, number>(topics.map((t, k) => [t, k]));
  const parent = new Int32Array(m);
  const via: string[] = new Array<string>(m);
  const visited = new Uint8Array(m);
  const expanded = new Uint8Array(topics.length);
  const queue = new Int32Array(m);
  for (;;) {
    const lowest = Math.min(...load);
    const byLoad = load.map((_, i) => i).sort((a, b) => load[b]! - load[a]! || a - b);
    let moved = false;
    for (const source of byLoad) {
      if (load[source]! - lowest < 2) break;
      // Breadth-first search over "holds a partition of a topic the next member subscribes to".
      visited.fill(0);
      expanded.fill(0);
      visited[source] = 1;
      parent[source] = -1;
      let head = 0;
      let tail = 0;
      queue[tail++] = source;
      let target = -1;
      while (head < tail) {
        const a = queue[head++]!;
        if (a !== source && (target < 0 || load[a]! < load[target]!)) target = a;
        for (const [t, list] of held[a]!) {
          if (list.length === 0) continue;
          const ti = topicIndex.get(t)!;
          if (expanded[ti] === 1) continue;
          expanded[ti] = 1;
          for (const b of subscribers.get(t)!) {
            if (visited[b] === 1) continue;
            visited[b] = 1;
            parent[b] = a;
            via[b] = t;
            queue[tail++] = b;
          }
        }
      }
      if (target < 0 || load[target]! > load[source]! - 2) continue;
      // Walk back from the target: each member on the chain gives before it receives, so it still
      // holds a partition of the topic it was reached through.
      for (let b = target; parent[b]! >= 0; b = parent[b]!) movePartition(held, parent[b]!, b, via[b]!, previousOwner.get(via[b]!)!);
      load[source]--;
      load[target]++;
      moved = true;
      break;
    }
    if (!moved) return;
  }
}

/** Moves one partition of `topic` from `from` to `to`, preferring one that returns to its previous owner, then one nobody owned. */
function movePartition(held: Map<string, number[]>[], from: number, to: number, topic: string, previousOwner: Int32Array): void {
  const list = held[from]!.get(topic)!;
  let pick = -1;
  let rank = -1;
  for (let k = 0; k < list.length; k++) {
    const owner = previousOwner[list[k]!]!;
    const r = owner === to ? 3 : owner < 0 ? 2 : owner === from ? 0 : 1;
    if (r > rank || (r === rank && list[k]! > list[pick]!)) {
      pick = k;
      rank = r;
    }
  }
  const partition = list[pick]!;
  list.splice(pick, 1);
  give(held, to, topic, partition);
}
