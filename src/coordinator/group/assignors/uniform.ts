// Kafka's server-side UniformAssignor (KIP-848), the default of group.consumer.assignors: balanced
// for identical and for different subscriptions, and sticky to each member's current target
// assignment, which the coordinator passes as `owned`. Like Kafka's server-side assignors since
// their 2024 rewrites, it is not rack-aware.
//
// Where Kafka's homogeneous builder hands the larger quotas to members in iteration order (and so
// can move a partition a member could have kept), this one gives them to the members that own the
// most, so no more partitions move than balance needs; its heterogeneous balancing is bounded by an
// iteration limit where this one runs until no chain of moves improves balance (see balanced.ts).
import { assignBalanced } from './balanced.js';
import type { MemberSpec, PartitionAssignor, TopicSpec } from './types.js';

export const uniform: PartitionAssignor = {
  name: 'uniform',
  assign: (members: readonly MemberSpec[], topics: readonly TopicSpec[]) => assignBalanced(members, topics, { fill: 'contiguous' }),
};
