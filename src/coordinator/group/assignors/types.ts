// The shape every assignor shares: a pure function from members and topics (by name) to an
// assignment. The broker maps topic ids to names itself; nothing here knows of the network,
// the clock or randomness, so the same input always gives the same output.

export interface MemberSpec {
  memberId: string;
  /** Topics this member subscribes to (may differ per member: heterogeneous subscriptions). */
  topics: readonly string[];
  /** What the member owns now (its current/previous assignment), topic -> partitions; for sticky behaviour. */
  owned?: ReadonlyMap<string, readonly number[]>;
  /** Generation of `owned` (cooperative-sticky/sticky use it to settle conflicting claims); -1 if unknown. */
  generation?: number;
  /** The member's rack (client.rack); carried for callers, not used by these assignors. */
  rack?: string | null;
  /** Optional static instance id; range and round-robin order members by it when present, as Kafka's client assignors do. */
  groupInstanceId?: string | null;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Racks of each partition's replicas; carried for callers, not used by these assignors. */
  partitionRacks?: readonly (readonly string[])[];
}

/** memberId -> topic -> partitions (ascending). Every member given to `assign` has an entry, possibly empty. */
export type Assignment = Map<string, Map<string, number[]>>;

export interface PartitionAssignor {
  /** The protocol name Kafka's clients use (JoinGroup protocol name, or group.consumer.assignors). */
  readonly name: string;
  assign(members: readonly MemberSpec[], topics: readonly TopicSpec[]): Assignment;
}
