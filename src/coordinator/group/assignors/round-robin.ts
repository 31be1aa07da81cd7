// Kafka's RoundRobinAssignor: every partition of every subscribed topic, by topic name then
// partition number, dealt in turn to the members (static members first by instance id, then the
// others by member id); a member not subscribed to the partition's topic is skipped, and the turn
// passes on from whoever took the partition.
import { addPartition, compareMembersByInstanceId, emptyAssignment, normalise, prepare } from './common.js';
import type { Assignment, MemberSpec, PartitionAssignor, TopicSpec } from './types.js';

function assignRoundRobin(members: readonly MemberSpec[], topics: readonly TopicSpec[]): Assignment {
  const p = prepare(members, topics);
  const out = emptyAssignment(p.members);
  const ordered = p.members.map((m, i) => ({ m, i })).sort((a, b) => compareMembersByInstanceId(a.m, b.m));
  const n = ordered.length;
  let turn = 0;
  for (const topic of p.topics) {
    const count = p.partitionCount.get(topic)!;
    for (let partition = 0; partition < count; partition++) {
      // Someone subscribes to `topic` (it is in the union), so this stops within one lap.
      while (!p.subscribed[ordered[turn % n]!.i]!.has(topic)) turn++;
      addPartition(out, ordered[turn % n]!.m.memberId, topic, partition);
      turn++;
    }
  }
  return normalise(out);
}

export const roundRobin: PartitionAssignor = { name: 'roundrobin', assign: assignRoundRobin };
