// Kafka's client-side sticky assignors (`sticky`, `cooperative-sticky`): balanced, then as little
// movement from what members own as balance allows (see balanced.ts for the rules).
//
// The two differ in Kafka in how a member reports what it owns - `sticky` members (eager protocol)
// carry their previous assignment and generation in the subscription's user data
// (StickyAssignorUserData), `cooperative-sticky` members in the subscription's ownedPartitions and
// generationId - and in one step after the computation: Kafka's CooperativeStickyAssignor leaves
// out of this round's assignment every partition that moves from one member to another, so the old
// owner revokes it first and its rejoin starts a second round that hands it over. `assign` below
// computes the target assignment for both (identical for both names); the cooperative step is
// `withholdTransferringPartitions`, which whoever acts as the group leader applies (the kafkajs
// adapter does, using only ownership members declared themselves).
import { assignBalanced } from './balanced.js';
import type { Assignment, MemberSpec, PartitionAssignor, TopicSpec } from './types.js';

export const sticky: PartitionAssignor = {
  name: 'sticky',
  assign: (members: readonly MemberSpec[], topics: readonly TopicSpec[]) => assignBalanced(members, topics, { fill: 'round-robin' }),
};

export const cooperativeSticky: PartitionAssignor = {
  name: 'cooperative-sticky',
  assign: (members: readonly MemberSpec[], topics: readonly TopicSpec[]) => assignBalanced(members, topics, { fill: 'round-robin' }),
};

/**
 * Kafka's cooperative adjustment: a partition assigned to a member that does not claim it, while
 * another member does claim it in `owned`, is removed from the new owner's assignment for this
 * round (it stays unassigned until the old owner has revoked it and rejoined). Returns a new
 * assignment; `assignment` is not changed.
 */
export function withholdTransferringPartitions(assignment: Assignment, owners: readonly MemberSpec[]): Assignment {
  const claimedBy = new Map<string, Map<number, Set<string>>>();
  for (const m of owners) {
    if (m.owned === undefined) continue;
    for (const [topic, partitions] of m.owned) {
      let perPartition = claimedBy.get(topic);
      if (perPartition === undefined) claimedBy.set(topic, (perPartition = new Map()));
      for (const partition of partitions) {
        let who = perPartition.get(partition);
        if (who === undefined) perPartition.set(partition, (who = new Set()));
        who.add(m.memberId);
      }
    }
  }
  const out: Assignment = new Map();
  for (const [memberId, perTopic] of assignment) {
    const kept = new Map<string, number[]>();
    for (const [topic, partitions] of perTopic) {
      const claims = claimedBy.get(topic);
      const list = claims === undefined ? partitions.slice() : partitions.filter(p => {
        const who = claims.get(p);
        return who === undefined || who.has(memberId);
      });
      if (list.length > 0) kept.set(topic, list);
    }
    out.set(memberId, kept);
  }
  return out;
}
