// Classic-protocol members in KIP-848 consumer groups ("mixed groups") and the online conversions
// between the two group types, as Kafka's GroupMetadataManager does them
// (classicGroupJoinToConsumerGroup and friends, ConsumerGroup.fromClassicGroup,
// ClassicGroup.fromConsumerGroup). Pure functions over the data; the consumer-group coordinator
// (consumer-group.ts) turns them into records, the group coordinator into a ClassicGroup.
import { decodeAssignment, decodeSubscription, encodeAssignment, ConsumerProtocolError, type TopicPartitions as NamedPartitions } from './consumer-protocol.js';
import { EMPTY_PARTITIONS, type ConsumerGroupMember, type Partitions } from './consumer-group-member.js';
import type { ClassicProtocol } from './offsets-records.js';

/** group.consumer.migration.policy (Kafka's ConsumerGroupMigrationPolicy; default bidirectional). */
export type MigrationPolicy = 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional';
export const MIGRATION_POLICIES: readonly MigrationPolicy[] = ['disabled', 'upgrade', 'downgrade', 'bidirectional'];

export function upgradeEnabled(p: MigrationPolicy): boolean {
  return p === 'upgrade' || p === 'bidirectional';
}

export function downgradeEnabled(p: MigrationPolicy): boolean {
  return p === 'downgrade' || p === 'bidirectional';
}

/** A classic group as the conversions see it, in either direction. */
export interface ClassicGroupSnapshot {
  groupId: string;
  generationId: number;
  /** The group's selected protocol (upgrade); null on a downgrade (the caller selects it). */
  protocolName: string | null;
  members: ClassicMemberSnapshot[];
}

export interface ClassicMemberSnapshot {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocols: ClassicProtocol[];
  /** Upgrade: the ConsumerProtocolAssignment bytes. Downgrade: unused (see `assigned`). */
  assignment: Buffer;
  /** Downgrade: the member's target assignment by topic name, for the caller to encode. */
  assigned: NamedPartitions[];
}

/** The classic group cannot be converted; the message is Kafka's. */
export class ConversionError extends Error {}

export function isClassic(m: ConsumerGroupMember): boolean {
  return m.classicMemberMetadata !== null;
}

/**
 * Kafka's ConsumerGroup.supportsClassicProtocols: protocol type "consumer", and (unless the group is
 * empty) one of the protocols supported by every classic member.
 */
export function supportsClassicProtocols(members: Iterable<ConsumerGroupMember>, protocolType: string, protocols: readonly ClassicProtocol[]): boolean {
  if (protocolType !== 'consumer') return false;
  const counts = new Map<string, number>();
  let classic = 0;
  let any = false;
  for (const m of members) {
    any = true;
    if (m.classicMemberMetadata === null) continue;
    classic++;
    for (const p of new Set(m.classicMemberMetadata.supportedProtocols.map(p => p.name))) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  if (!any) return protocols.length > 0;
  return protocols.some(p => (counts.get(p.name) ?? 0) === classic);
}

/** Topic-name lists to topic-id partitions; unknown topics are left out (Kafka's toTopicPartitionMap). */
export function partitionsByName(list: readonly NamedPartitions[], topics: ReadonlyMap<string, { id: string }>): Partitions {
  if (list.length === 0) return EMPTY_PARTITIONS;
  const out = new Map<string, Set<number>>();
  for (const tp of list) {
    const t = topics.get(tp.topic);
    if (t === undefined) continue;
    let set = out.get(t.id);
    if (set === undefined) out.set(t.id, (set = new Set()));
    for (const p of tp.partitions) set.add(p);
  }
  return out;
}

/** Topic-id partitions to topic-name lists, sorted; topics no longer known are left out. */
export function partitionsToNames(p: Partitions, names: ReadonlyMap<string, string>): NamedPartitions[] {
  const out: NamedPartitions[] = [];
  for (const [topicId, set] of p) {
    const topic = names.get(topicId);
    if (topic !== undefined && set.size > 0) out.push({ topic, partitions: [...set].sort((a, b) => a - b) });
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

/** The int16 version a consumer protocol blob starts with; null when it is too short. */
function versionOf(metadata: Buffer): number | null {
  return metadata.length >= 2 ? metadata.readInt16BE(0) : null;
}

/**
 * What SyncGroup gives a classic member of a consumer group: its assigned partitions as a
 * ConsumerProtocolAssignment at the version of its first protocol's subscription (Kafka's
 * prepareAssignment), never newer than we write.
 */
export function classicAssignmentBytes(assigned: readonly NamedPartitions[], metadata: Buffer): Buffer {
  const version = versionOf(metadata);
  return encodeAssignment({ version: version === null || version < 0 ? 0 : version, assignedPartitions: assigned });
}

/**
 * Kafka's ConsumerGroup.fromClassicGroup: each classic member as a consumer-group member at the
 * generation, Stable, with the partitions of its last classic assignment as both its current and
 * target assignment. Refused (ConversionError) when a member's assignment or subscription is not
 * the consumer protocol, when an assignment carries user data (a custom assignor, KAFKA-18134), or
 * when two members were given one partition.
 */
export function membersFromClassic(snapshot: ClassicGroupSnapshot, topics: ReadonlyMap<string, { id: string }>): ConsumerGroupMember[] {
  const generation = snapshot.generationId;
  const taken = new Set<string>();
  const out: ConsumerGroupMember[] = [];
  for (const c of snapshot.members) {
    let assignment;
    let subscription;
    try {
      assignment = decodeAssignment(c.assignment);
      const metadata = c.protocols.find(p => p.name === snapshot.protocolName)?.metadata ?? Buffer.alloc(0);
      subscription = decodeSubscription(metadata);
    } catch (err) {
      if (!(err instanceof ConsumerProtocolError)) throw err;
      throw new ConversionError(`Cannot upgrade the classic group ${snapshot.groupId} to consumer group because the embedded consumer protocol is malformed.`);
    }
    if (assignment.userData !== null && assignment.userData.length > 0) {
      throw new ConversionError(`Cannot upgrade the classic group ${snapshot.groupId} to consumer group because a custom assignor is in use.`);
    }
    const assigned = partitionsByName(assignment.assignedPartitions, topics);
    for (const [topicId, set] of assigned) {
      for (const p of set) {
        const key = `${topicId}:${p}`;
        if (taken.has(key)) throw new ConversionError(`Cannot upgrade the classic group ${snapshot.groupId} to consumer group because a partition is assigned to two members.`);
        taken.add(key);
      }
    }
    out.push({
      memberId: c.memberId,
      memberEpoch: generation,
      previousMemberEpoch: generation,
      state: 'stable',
      instanceId: c.instanceId,
      rackId: subscription.rackId,
      clientId: c.clientId,
      clientHost: c.clientHost,
      subscribedTopicNames: [...new Set(subscription.topics)].sort(),
      subscribedTopicRegex: null,
      serverAssignor: null,
      rebalanceTimeoutMs: c.rebalanceTimeoutMs,
      assignedPartitions: assigned,
      partitionsPendingRevocation: EMPTY_PARTITIONS,
      classicMemberMetadata: { sessionTimeoutMs: c.sessionTimeoutMs, supportedProtocols: c.protocols },
    });
  }
  return out;
}

/**
 * Kafka's ClassicGroup.fromConsumerGroup, protocol-free: every member but the leaving one, with its
 * target assignment by topic name. The caller builds the classic group (Stable at the group epoch,
 * protocol type "consumer", protocol chosen by the members' votes) and encodes each assignment at
 * the version of the member's subscription for that protocol.
 */
export function classicSnapshotOf(
  groupId: string,
  groupEpoch: number,
  members: Iterable<ConsumerGroupMember>,
  targetAssignment: ReadonlyMap<string, Partitions>,
  leavingMemberId: string | null,
  names: ReadonlyMap<string, string>,
): ClassicGroupSnapshot {
  const out: ClassicMemberSnapshot[] = [];
  for (const m of members) {
    if (m.memberId === leavingMemberId || m.classicMemberMetadata === null) continue;
    out.push({
      memberId: m.memberId,
      instanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.classicMemberMetadata.sessionTimeoutMs,
      protocols: m.classicMemberMetadata.supportedProtocols,
      assignment: Buffer.alloc(0),
      assigned: partitionsToNames(targetAssignment.get(m.memberId) ?? EMPTY_PARTITIONS, names),
    });
  }
  return { groupId, generationId: groupEpoch, protocolName: null, members: out };
}
