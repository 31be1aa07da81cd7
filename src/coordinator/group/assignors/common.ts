// What the assignors share: normalising their input (known topics, unique members, the
// subscriptions that can be served) and building the result.
import type { Assignment, MemberSpec, TopicSpec } from './types.js';

/** Java's String.compareTo: by UTF-16 code units, which is what `<` does (localeCompare is not). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Kafka's client member order (AbstractPartitionAssignor.MemberInfo): members with a group instance
 * id first, by instance id; then the others by member id.
 */
export function compareMembersByInstanceId(a: MemberSpec, b: MemberSpec): number {
  const ia = a.groupInstanceId ?? null;
  const ib = b.groupInstanceId ?? null;
  if (ia !== null && ib !== null) return compareStrings(ia, ib) || compareStrings(a.memberId, b.memberId);
  if (ia !== null) return -1;
  if (ib !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

export interface Prepared {
  /** Unique members (first occurrence of a member id wins), sorted by member id. */
  members: MemberSpec[];
  /** Partition counts of the known topics that have partitions. */
  partitionCount: Map<string, number>;
  /** Per member (same index as `members`): subscribed topics that are known and have partitions. */
  subscribed: Set<string>[];
  /** The union of `subscribed`, sorted by name. */
  topics: string[];
}

export function prepare(members: readonly MemberSpec[], topics: readonly TopicSpec[]): Prepared {
  const partitionCount = new Map<string, number>();
  for (const t of topics) {
    if (partitionCount.has(t.name)) continue;
    const n = Number.isInteger(t.partitions) && t.partitions > 0 ? t.partitions : 0;
    if (n > 0) partitionCount.set(t.name, n);
  }
  const seen = new Set<string>();
  const unique: MemberSpec[] = [];
  for (const m of members) {
    if (seen.has(m.memberId)) continue;
    seen.add(m.memberId);
    unique.push(m);
  }
  unique.sort((a, b) => compareStrings(a.memberId, b.memberId));
  const union = new Set<string>();
  const subscribed = unique.map(m => {
    const s = new Set<string>();
    for (const t of m.topics) {
      if (partitionCount.has(t)) {
        s.add(t);
        union.add(t);
      }
    }
    return s;
  });
  return { members: unique, partitionCount, subscribed, topics: [...union].sort(compareStrings) };
}

/** An empty assignment entry for every member, to be filled in. */
export function emptyAssignment(members: readonly MemberSpec[]): Assignment {
  const out: Assignment = new Map();
  for (const m of members) if (!out.has(m.memberId)) out.set(m.memberId, new Map());
  return out;
}

export function addPartition(assignment: Assignment, memberId: string, topic: string, partition: number): void {
  const perTopic = assignment.get(memberId)!;
  let list = perTopic.get(topic);
  if (list === undefined) {
    list = [];
    perTopic.set(topic, list);
  }
  list.push(partition);
}

/** Sorts every partition list, and every member's topics by name, so equal assignments look equal. */
export function normalise(assignment: Assignment): Assignment {
  for (const [memberId, perTopic] of assignment) {
    const topics = [...perTopic.keys()].sort(compareStrings);
    const sorted = new Map<string, number[]>();
    for (const t of topics) {
      const list = perTopic.get(t)!;
      if (list.length > 0) sorted.set(t, list.sort((a, b) => a - b));
    }
    assignment.set(memberId, sorted);
  }
  return assignment;
}
