// A member of a KIP-848 consumer group, and its reconciliation: how the partitions it owns move
// towards its target assignment one safe step at a time. Modelled on Kafka's ConsumerGroupMember
// and CurrentAssignmentBuilder (group-coordinator/.../modern/consumer/), including the later
// refinements (revoking the partitions of topics a member unsubscribed from at once; a partition
// the member itself still holds pending revocation is not "unreleased" to it).
//
// A member is immutable: every change makes a new one, so the group can compare old and new to
// decide which records to write.
import { MEMBER_STATE, type ClassicMemberMetadata, type TopicPartitions } from './offsets-records.js';

/** topic id -> partitions; never holds an empty set. */
export type Partitions = ReadonlyMap<string, ReadonlySet<number>>;

export const EMPTY_PARTITIONS: Partitions = new Map();

/** Kafka's MemberState, by the names ConsumerGroupDescribe tools print. */
export type MemberState = 'stable' | 'unrevoked_partitions' | 'unreleased_partitions' | 'unknown';

export function memberStateFromByte(b: number): MemberState {
  switch (b) {
    case MEMBER_STATE.stable:
      return 'stable';
    case MEMBER_STATE.unrevokedPartitions:
      return 'unrevoked_partitions';
    case MEMBER_STATE.unreleasedPartitions:
      return 'unreleased_partitions';
    default:
      // A state from a newer Kafka: the member is fenced on its next heartbeat unless it owns nothing.
      return 'unknown';
  }
}

export function memberStateToByte(s: MemberState): number {
  switch (s) {
    case 'stable':
      return MEMBER_STATE.stable;
    case 'unrevoked_partitions':
      return MEMBER_STATE.unrevokedPartitions;
    case 'unreleased_partitions':
      return MEMBER_STATE.unreleasedPartitions;
    case 'unknown':
      return MEMBER_STATE.unknown;
  }
}

export interface ConsumerGroupMember {
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Sorted, without duplicates (Kafka keeps a set). */
  readonly subscribedTopicNames: readonly string[];
  /** As the client sent it: null when never set, '' when cleared; either means "no regex". */
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly assignedPartitions: Partitions;
  readonly partitionsPendingRevocation: Partitions;
  /** Set only by records of a member that joined through JoinGroup (written by Kafka); carried through. */
  readonly classicMemberMetadata: ClassicMemberMetadata | null;
}

/** A member as Kafka's ConsumerGroupMember.Builder(memberId) starts one. */
export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    memberEpoch: 0,
    previousMemberEpoch: -1,
    state: 'stable',
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    rebalanceTimeoutMs: -1,
    assignedPartitions: EMPTY_PARTITIONS,
    partitionsPendingRevocation: EMPTY_PARTITIONS,
    classicMemberMetadata: null,
  };
}

/** The regex a member is subscribed to, or null ('' and null both mean none). */
export function effectiveRegex(m: { subscribedTopicRegex: string | null }): string | null {
  return m.subscribedTopicRegex === null || m.subscribedTopicRegex === '' ? null : m.subscribedTopicRegex;
}

// ---- partitions -------------------------------------------------------------------------------

export function partitionsFromList(list: readonly TopicPartitions[]): Partitions {
  const out = new Map<string, Set<number>>();
  for (const tp of list) {
    if (tp.partitions.length === 0) continue;
    let set = out.get(tp.topicId);
    if (set === undefined) out.set(tp.topicId, (set = new Set()));
    for (const p of tp.partitions) set.add(p);
  }
  return out;
}

/** Sorted by topic id, partitions ascending: the same partitions always give the same list. */
export function partitionsToList(p: Partitions): TopicPartitions[] {
  return [...p.keys()].sort().map(topicId => ({ topicId, partitions: [...p.get(topicId)!].sort((a, b) => a - b) }));
}

export function samePartitions(a: Partitions, b: Partitions): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [topicId, set] of a) {
    const other = b.get(topicId);
    if (other === undefined || other.size !== set.size) return false;
    for (const p of set) if (!other.has(p)) return false;
  }
  return true;
}

/** Every partition of `a` is in `b`. */
export function isSubset(a: Partitions, b: Partitions): boolean {
  for (const [topicId, set] of a) {
    const other = b.get(topicId);
    if (other === undefined) return false;
    for (const p of set) if (!other.has(p)) return false;
  }
  return true;
}

export function unionPartitions(a: Partitions, b: Partitions): Partitions {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const out = new Map<string, Set<number>>();
  for (const src of [a, b]) {
    for (const [topicId, set] of src) {
      let s = out.get(topicId);
      if (s === undefined) out.set(topicId, (s = new Set()));
      for (const p of set) s.add(p);
    }
  }
  return out;
}

export function countPartitions(p: Partitions): number {
  let n = 0;
  for (const set of p.values()) n += set.size;
  return n;
}

// ---- reconciliation (Kafka's CurrentAssignmentBuilder) -----------------------------------------

export interface ReconcileInput {
  targetAssignmentEpoch: number;
  targetAssignment: Partitions;
  /** The epoch of the member owning a partition (assigned or pending revocation), or -1 when free. */
  currentPartitionEpoch: (topicId: string, partition: number) => number;
  /** What the member reported owning in this heartbeat; null when it did not say. */
  owned: Partitions | null;
  /** The member changed its subscribed names or regex in this heartbeat. */
  subscriptionChanged: boolean;
  /** Ids of the existing topics the member subscribes to (names and resolved regex). */
  subscribedTopicIds: ReadonlySet<string>;
}

/** True when the member is in the Stable state at the given assignment epoch (Kafka's isReconciledTo). */
export function isReconciledTo(m: ConsumerGroupMember, assignmentEpoch: number): boolean {
  return m.state === 'stable' && m.memberEpoch === assignmentEpoch;
}

/** A null report counts as still owning everything: the member has not acknowledged a revocation. */
function ownsAnyOf(owned: Partitions | null, revoking: Partitions): boolean {
  if (owned === null) return true;
  for (const [topicId, set] of owned) {
    const r = revoking.get(topicId);
    if (r === undefined) continue;
    for (const p of set) if (r.has(p)) return true;
  }
  return false;
}

/**
 * The member's next state towards its target assignment. A partition is never handed to this
 * member while another member still holds it (it stays "unreleased"), and the member gives up
 * partitions first (UNREVOKED_PARTITIONS, at its current epoch) and takes new ones only after it
 * reported not owning the revoked ones. Returns the same object when nothing changes.
 * The caller fences a member in the 'unknown' state that reports partitions before calling this.
 */
export function reconcile(member: ConsumerGroupMember, input: ReconcileInput): ConsumerGroupMember {
  switch (member.state) {
    case 'stable':
      if (member.memberEpoch !== input.targetAssignmentEpoch) return nextAssignment(member, input, member.memberEpoch);
      if (input.subscriptionChanged) return dropUnsubscribed(member, input);
      return member;
    case 'unrevoked_partitions':
      if (ownsAnyOf(input.owned, member.partitionsPendingRevocation)) {
        return input.subscriptionChanged ? dropUnsubscribed(member, input) : member;
      }
      // Revocation acknowledged: the member moves on, one epoch at a time, never past the target.
      return nextAssignment(member, input, Math.min(member.memberEpoch + 1, input.targetAssignmentEpoch));
    case 'unreleased_partitions':
      return nextAssignment(member, input, member.memberEpoch);
    case 'unknown':
      return nextAssignment(member, input, input.targetAssignmentEpoch);
  }
}

/** Revokes at once the partitions of topics the member no longer subscribes to. */
function dropUnsubscribed(member: ConsumerGroupMember, input: ReconcileInput): ConsumerGroupMember {
  let assigned: Map<string, ReadonlySet<number>> | null = null;
  let pending: Map<string, Set<number>> | null = null;
  for (const [topicId, set] of member.assignedPartitions) {
    if (input.subscribedTopicIds.has(topicId)) continue;
    if (assigned === null) {
      assigned = new Map(member.assignedPartitions);
      pending = new Map([...member.partitionsPendingRevocation].map(([t, s]) => [t, new Set(s)]));
    }
    assigned.delete(topicId);
    let s = pending!.get(topicId);
    if (s === undefined) pending!.set(topicId, (s = new Set()));
    for (const p of set) s.add(p);
  }
  if (assigned === null) return member;
  if (pending!.size > 0 && ownsAnyOf(input.owned, pending!)) {
    return { ...member, state: 'unrevoked_partitions', assignedPartitions: assigned, partitionsPendingRevocation: pending! };
  }
  // Already given up by the client: just shrink the assignment.
  return { ...member, assignedPartitions: assigned };
}

function withEpoch(member: ConsumerGroupMember, memberEpoch: number): { memberEpoch: number; previousMemberEpoch: number } {
  // Kafka's Builder.updateMemberEpoch: the previous epoch is the one the member had before.
  return { memberEpoch, previousMemberEpoch: member.memberEpoch };
}

function nextAssignment(member: ConsumerGroupMember, input: ReconcileInput, memberEpoch: number): ConsumerGroupMember {
  const assigned = new Map<string, Set<number>>();
  const revoking = new Map<string, Set<number>>();
  const adding = new Map<string, Set<number>>();
  let unreleased = false;
  const topicIds = new Set([...input.targetAssignment.keys(), ...member.assignedPartitions.keys()]);
  for (const topicId of topicIds) {
    // A topic the member no longer subscribes to has an empty target, whatever the target says.
    const target = input.subscribedTopicIds.has(topicId) ? (input.targetAssignment.get(topicId) ?? new Set<number>()) : new Set<number>();
    const current = member.assignedPartitions.get(topicId) ?? new Set<number>();
    const pendingOfMember = member.partitionsPendingRevocation.get(topicId);
    const keep = new Set<number>();
    const revoke = new Set<number>();
    for (const p of current) (target.has(p) ? keep : revoke).add(p);
    const add = new Set<number>();
    for (const p of target) {
      if (keep.has(p)) continue;
      // Owned by another member (or by a departed static member): not yet released. A partition
      // this member itself still holds pending revocation is not waiting on anyone.
      if (input.currentPartitionEpoch(topicId, p) !== -1 && !(pendingOfMember?.has(p) ?? false)) {
        unreleased = true;
        continue;
      }
      add.add(p);
    }
    if (keep.size > 0) assigned.set(topicId, keep);
    if (revoke.size > 0) revoking.set(topicId, revoke);
    if (add.size > 0) adding.set(topicId, add);
  }

  if (revoking.size > 0 && ownsAnyOf(input.owned, revoking)) {
    // Give up first, at this epoch; the new partitions come after the member acknowledged.
    return {
      ...member,
      state: 'unrevoked_partitions',
      ...withEpoch(member, memberEpoch),
      assignedPartitions: assigned,
      partitionsPendingRevocation: revoking,
    };
  }
  for (const [topicId, set] of adding) {
    const s = assigned.get(topicId);
    if (s === undefined) assigned.set(topicId, set);
    else for (const p of set) s.add(p);
  }
  const next: ConsumerGroupMember = {
    ...member,
    state: unreleased ? 'unreleased_partitions' : 'stable',
    ...withEpoch(member, input.targetAssignmentEpoch),
    assignedPartitions: assigned,
    partitionsPendingRevocation: EMPTY_PARTITIONS,
  };
  return sameAssignmentState(member, next) ? member : next;
}

/** Same epochs, state and partitions: no record to write. */
export function sameAssignmentState(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    samePartitions(a.assignedPartitions, b.assignedPartitions) &&
    samePartitions(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  );
}
