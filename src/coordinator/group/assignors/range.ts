// Kafka's RangeAssignor: topic by topic, the subscribers (static members first, by instance id,
// then the others by member id) each take a contiguous range, and the first `partitions % members`
// of them one partition more. Members subscribed to the same topics with equal partition counts
// therefore get the same partition numbers of every topic (co-partitioning, for joins).
import { addPartition, compareMembersByInstanceId, emptyAssignment, normalise, prepare } from './common.js';
import type { Assignment, MemberSpec, PartitionAssignor, TopicSpec } from './types.js';

function assignRange(members: readonly MemberSpec[], topics: readonly TopicSpec[]): Assignment {
  const p = prepare(members, topics);
  const out = emptyAssignment(p.members);
  const ordered = p.members.map((m, i) => ({ m, i })).sort((a, b) => compareMembersByInstanceId(a.m, b.m));
  for (const topic of p.topics) {
    const subscribers = ordered.filter(x => p.subscribed[x.i]!.has(topic));
    const count = p.partitionCount.get(topic)!;
    const each = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach(({ m }, k) => {
      const end = next + each + (k < extra ? 1 : 0);
      for (; next < end; next++) addPartition(out, m.memberId, topic, next);
    });
  }
  return normalise(out);
}

/** The client-side `range` assignor (Java's RangeAssignor, without its optional rack matching). */
export const range: PartitionAssignor = { name: 'range', assign: assignRange };

/**
 * The server-side (KIP-848) `range` assignor. Since KAFKA-16944 (Kafka 3.9) Kafka's server-side
 * RangeAssignor computes exactly the client's layout - member order by instance id, then member id;
 * contiguous ranges; the first `n % m` subscribers get one more - and is no longer sticky to the
 * current assignment, so the same function serves both.
 */
export const serverRange: PartitionAssignor = range;
