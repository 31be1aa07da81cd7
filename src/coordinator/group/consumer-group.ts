// KIP-848 consumer groups (the "consumer" group protocol): ConsumerGroupHeartbeat and
// ConsumerGroupDescribe, protocol-light. Modelled on Kafka's GroupMetadataManager
// (consumerGroupHeartbeat and what it calls) and modern/consumer/ConsumerGroup.java, at the
// behaviour of Kafka 4.1 plus a few later fixes, each named where it is applied.
//
// The group is a state machine over records: every change is a record of __consumer_offsets
// (offsets-records.ts types), applied to the in-memory group the moment it is made
// (replay-as-you-go) and returned to the caller to append. A restart replays the same records
// through `replay` and gets the same groups; members then expire unless they heartbeat again, as
// in Kafka. Timers are not owned here: each member has a session deadline and, while it must
// revoke partitions, a rebalance deadline; the caller schedules one timer at `nextDeadline()` and
// calls `expire()` when it fires.
//
// One heartbeat, in Kafka's order:
//   1. validate everything (no record is made for a refused request);
//   2. create or update the member (a departed static member is replaced by its successor);
//      resolve new regexes and refresh the group's ones against the topics;
//   3. bump the group epoch when a subscription, the resolved regexes or the subscribed topics'
//      metadata changed (the metadata is summarised by a hash, as Kafka 4.1's KIP-1101 does);
//   4. recompute the target assignment when the group epoch is ahead of the assignment epoch;
//   5. move the member's current assignment one safe step towards its target (reconcile).
//
// Mixed groups and conversions (consumer-group-classic.ts has the pure parts), per
// group.consumer.migration.policy (default bidirectional):
//   - classic members: JoinGroup/SyncGroup/Heartbeat/LeaveGroup to a consumer group with members
//     (classicJoin/classicSync/classicHeartbeat/classicLeave). Such a member carries
//     classicMemberMetadata, its generation is its member epoch, its session is its JoinGroup
//     session timeout, and instead of a rebalance deadline it has Kafka's join timer (rejoin after
//     REBALANCE_IN_PROGRESS) and sync timer (SyncGroup after JoinGroup).
//   - upgrade (upgradeFromClassic): a classic group with members and protocol type "consumer" hit
//     by a ConsumerGroupHeartbeat becomes a consumer group of classic members; the caller checks
//     upgradeAllowed and writes the classic tombstone first.
//   - downgrade: when the last consumer-protocol member leaves or is fenced and only classic members
//     remain (or a classic static member replaces it), the group's records are tombstoned and a
//     ClassicGroupSnapshot is handed back for the caller to build the classic group from.
//   - empty groups of either type are deleted and replaced by the caller.
import { createHash, randomBytes } from 'node:crypto';
import type {
  ConsumerGroupDescribeResponseDescribedGroup,
  ConsumerGroupDescribeResponseMember,
  ConsumerGroupDescribeResponseTopicPartitions,
} from '../../protocol/messages/consumer-group-describe.js';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '../../protocol/messages/consumer-group-heartbeat.js';
import { ErrorCode } from '../../protocol/errors.js';
import { randomUuid } from '../../protocol/wire.js';
import type { MemberSpec, PartitionAssignor, TopicSpec } from './assignors/types.js';
import {
  EMPTY_PARTITIONS,
  effectiveRegex,
  isReconciledTo,
  isSubset,
  memberStateFromByte,
  memberStateToByte,
  newMember,
  partitionsFromList,
  partitionsToList,
  reconcile,
  sameAssignmentState,
  samePartitions,
  unionPartitions,
  type ConsumerGroupMember,
  type Partitions,
} from './consumer-group-member.js';
import { compileTopicRegex, TopicRegexError } from './consumer-group-regex.js';
import { ConsumerProtocolError, decodeSubscription } from './consumer-protocol.js';
import type { ClassicProtocol, GroupRecord } from './offsets-records.js';
import {
  classicAssignmentBytes,
  classicSnapshotOf,
  downgradeEnabled,
  isClassic,
  membersFromClassic,
  partitionsByName,
  partitionsToNames,
  supportsClassicProtocols,
  upgradeEnabled,
  type ClassicGroupSnapshot,
  type MigrationPolicy,
} from './consumer-group-classic.js';

export {
  EMPTY_PARTITIONS,
  partitionsFromList,
  partitionsToList,
  type ConsumerGroupMember,
  type MemberState,
  type Partitions,
} from './consumer-group-member.js';
export { compileTopicRegex, TopicRegexError } from './consumer-group-regex.js';
export { ConversionError, type ClassicGroupSnapshot, type ClassicMemberSnapshot, type MigrationPolicy } from './consumer-group-classic.js';

/** Kafka's ConsumerGroupHeartbeatRequest.LEAVE_GROUP_MEMBER_EPOCH and LEAVE_GROUP_STATIC_MEMBER_EPOCH. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** The group states as ConsumerGroupDescribe and ListGroups report them (Kafka's toString: capitalised). */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

// ---- configuration and context ----------------------------------------------------------------

export interface ConsumerGroupConfig {
  /** group.consumer.assignors: the first is the default. */
  assignors: readonly PartitionAssignor[];
  /** group.consumer.session.timeout.ms (Kafka: 45000). */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms (Kafka: 5000). */
  heartbeatIntervalMs: number;
  /** group.consumer.max.size (Kafka: Integer.MAX_VALUE). */
  maxSize: number;
  /** group.consumer.min/max.session.timeout.ms and min/max.heartbeat.interval.ms, checked as Kafka's GroupCoordinatorConfig does. */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  minHeartbeatIntervalMs?: number;
  maxHeartbeatIntervalMs?: number;
  /** Member ids for ConsumerGroupHeartbeat v0 joins (v1 clients bring their own): Kafka's Uuid.randomUuid().toString(). */
  newMemberId?: () => string;
  /**
   * Whether a regex may match internal topics (__consumer_offsets, __transaction_state). Kafka's
   * resolver matches every topic name and filters only by DESCRIBE authorization; Samsa excludes
   * internal topics by default, as the classic Java client's exclude.internal.topics=true did.
   */
  regexMatchesInternalTopics?: boolean;
  /** group.consumer.migration.policy (Kafka's default: bidirectional). */
  migrationPolicy?: MigrationPolicy;
  /** group.max.size: a downgraded group must fit it (Kafka's classic group max size). */
  classicMaxSize?: number;
}

export const CONSUMER_GROUP_CONFIG_DEFAULTS = {
  sessionTimeoutMs: 45_000,
  minSessionTimeoutMs: 45_000,
  maxSessionTimeoutMs: 60_000,
  heartbeatIntervalMs: 5_000,
  minHeartbeatIntervalMs: 5_000,
  maxHeartbeatIntervalMs: 15_000,
  maxSize: 2_147_483_647,
} as const;

export interface TopicInfo {
  /** Topic id, base64url (Kafka's Uuid.toString()). */
  id: string;
  partitions: number;
  internal?: boolean;
}

/** What the coordinator knows of the cluster when it acts. */
export interface ConsumerGroupContext {
  now: number;
  /**
   * The cluster's topics by name. The id -> name index is cached per Map object, so pass the same
   * Map while the metadata is unchanged.
   */
  topics: ReadonlyMap<string, TopicInfo>;
  /**
   * Grows whenever topics are created, deleted or resized (Kafka: the metadata image offset); stored
   * with resolved regexes. When absent, regexes are re-matched on every heartbeat.
   */
  metadataVersion?: number;
  /** Kafka filters regex matches by the heartbeating member's DESCRIBE permission on each topic. */
  topicDescribable?: (topic: string) => boolean;
}

export interface HeartbeatContext extends ConsumerGroupContext {
  /** ConsumerGroupHeartbeat version: 0 or 1. */
  apiVersion: number;
  clientId: string;
  /** Kafka: the client address as InetAddress.toString(), e.g. "/127.0.0.1". */
  clientHost: string;
}

export interface HeartbeatResult {
  response: ConsumerGroupHeartbeatResponse;
  /** To append to the group's partition of __consumer_offsets, in order; already applied. */
  records: GroupRecord[];
  /** The earliest deadline this call set (session or rebalance), or null: reschedule the timer if earlier. */
  deadline: number | null;
  /** The member's leave downgraded the group: its records are tombstoned; the classic group is the caller's to create. */
  downgrade?: ClassicGroupSnapshot | null;
}

export interface FencedMember {
  groupId: string;
  memberId: string;
  /** session: no heartbeat in time; rebalance: did not revoke in time; join/sync: a classic member that did not rejoin or sync in time. */
  reason: 'session' | 'rebalance' | 'join' | 'sync';
}

export interface ExpiryResult {
  groupId: string;
  records: GroupRecord[];
  fenced: FencedMember[];
  /** The group was downgraded to this classic group (its records tombstoned, the classic group's record the caller's). */
  downgrade: ClassicGroupSnapshot | null;
}

/** A JoinGroup to a consumer group with members (Kafka's classicGroupJoinToConsumerGroup). */
export interface ClassicJoinInput {
  groupId: string;
  /** '' for a member without an id yet. */
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: ClassicProtocol[];
  /** JoinGroup v4+ without a group.instance.id must first obtain a member id (KIP-394). */
  requireKnownMemberId: boolean;
}

export interface ClassicContext extends ConsumerGroupContext {
  clientId: string;
  clientHost: string;
}

export interface ClassicJoinOutcome {
  errorCode: number;
  memberId: string;
  /** The member epoch: a classic member's generation. */
  generationId: number;
  protocolName: string | null;
  /** Already applied; append them. */
  records: GroupRecord[];
  /** The join replaced the last consumer-protocol member: the group is now this classic group. */
  downgrade: ClassicGroupSnapshot | null;
}

export interface ClassicSyncOutcome {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface ClassicMemberRef {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
}

// ---- errors ----------------------------------------------------------------------------------

/** A client's mistake, answered with an error code; never escapes this module. */
class GroupApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Java's String.trim().isEmpty(): only characters up to U+0020 count as blank. */
function blank(s: string): boolean {
  return /^[\u0000-\u0020]*$/.test(s);
}

function invalid(message: string): never {
  throw new GroupApiError(ErrorCode.INVALID_REQUEST, message);
}

function errorResponse(err: GroupApiError): ConsumerGroupHeartbeatResponse {
  return { throttleTimeMs: 0, errorCode: err.code, errorMessage: err.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

// ---- records ---------------------------------------------------------------------------------

type ConsumerGroupRecord = Extract<
  GroupRecord,
  {
    key: {
      type:
        | 'consumerGroupMetadata'
        | 'consumerGroupPartitionMetadata'
        | 'consumerGroupMemberMetadata'
        | 'consumerGroupTargetAssignmentMetadata'
        | 'consumerGroupTargetAssignmentMember'
        | 'consumerGroupCurrentMemberAssignment'
        | 'consumerGroupRegularExpression';
    };
  }
>;

function isConsumerGroupRecord(r: GroupRecord): r is ConsumerGroupRecord {
  switch (r.key.type) {
    case 'consumerGroupMetadata':
    case 'consumerGroupPartitionMetadata':
    case 'consumerGroupMemberMetadata':
    case 'consumerGroupTargetAssignmentMetadata':
    case 'consumerGroupTargetAssignmentMember':
    case 'consumerGroupCurrentMemberAssignment':
    case 'consumerGroupRegularExpression':
      return true;
    default:
      return false;
  }
}

function memberMetadataRecord(group: string, m: ConsumerGroupMember): GroupRecord {
  return {
    key: { type: 'consumerGroupMemberMetadata', group, memberId: m.memberId },
    value: {
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: m.serverAssignor,
      classicMemberMetadata: m.classicMemberMetadata,
    },
  };
}

function currentAssignmentRecord(group: string, m: ConsumerGroupMember): GroupRecord {
  return {
    key: { type: 'consumerGroupCurrentMemberAssignment', group, memberId: m.memberId },
    value: {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: memberStateToByte(m.state),
      assignedPartitions: partitionsToList(m.assignedPartitions),
      partitionsPendingRevocation: partitionsToList(m.partitionsPendingRevocation),
    },
  };
}

function targetMemberRecord(group: string, memberId: string, p: Partitions): GroupRecord {
  return { key: { type: 'consumerGroupTargetAssignmentMember', group, memberId }, value: { topicPartitions: partitionsToList(p) } };
}

/** Kafka's removeMember: the order matters to replay (current assignment, target, then the member). */
function memberTombstones(group: string, memberId: string): GroupRecord[] {
  return [
    { key: { type: 'consumerGroupCurrentMemberAssignment', group, memberId }, value: null },
    { key: { type: 'consumerGroupTargetAssignmentMember', group, memberId }, value: null },
    { key: { type: 'consumerGroupMemberMetadata', group, memberId }, value: null },
  ];
}

// ---- helpers ---------------------------------------------------------------------------------

/**
 * Kafka's ConsumerGroup.createGroupTombstoneRecords: every record of the group deleted, in an
 * order replay accepts (assignments, the target, the members, regexes, then the group itself).
 */
function groupTombstones(group: ConsumerGroup): GroupRecord[] {
  const g = group.groupId;
  const out: GroupRecord[] = [];
  for (const memberId of group.members.keys()) out.push({ key: { type: 'consumerGroupCurrentMemberAssignment', group: g, memberId }, value: null });
  for (const memberId of new Set([...group.members.keys(), ...group.targetAssignment.keys()])) {
    out.push({ key: { type: 'consumerGroupTargetAssignmentMember', group: g, memberId }, value: null });
  }
  out.push({ key: { type: 'consumerGroupTargetAssignmentMetadata', group: g }, value: null });
  for (const memberId of group.members.keys()) out.push({ key: { type: 'consumerGroupMemberMetadata', group: g, memberId }, value: null });
  for (const regex of group.resolvedRegexes.keys()) out.push({ key: { type: 'consumerGroupRegularExpression', group: g, regex }, value: null });
  out.push({ key: { type: 'consumerGroupPartitionMetadata', group: g }, value: null });
  out.push({ key: { type: 'consumerGroupMetadata', group: g }, value: null });
  return out;
}

function sortedUnique(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function sameMetadata(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    sameStrings(a.subscribedTopicNames, b.subscribedTopicNames) &&
    a.subscribedTopicRegex === b.subscribedTopicRegex &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    a.serverAssignor === b.serverAssignor &&
    sameClassicMetadata(a.classicMemberMetadata, b.classicMemberMetadata)
  );
}

function sameClassicMetadata(a: ConsumerGroupMember['classicMemberMetadata'], b: ConsumerGroupMember['classicMemberMetadata']): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (a.sessionTimeoutMs !== b.sessionTimeoutMs || a.supportedProtocols.length !== b.supportedProtocols.length) return false;
  return a.supportedProtocols.every((p, i) => p.name === b.supportedProtocols[i]!.name && p.metadata.equals(b.supportedProtocols[i]!.metadata));
}

const reverseIndexes = new WeakMap<ReadonlyMap<string, TopicInfo>, Map<string, string>>();

/** topic id -> name, cached per topics Map. */
function topicNamesById(topics: ReadonlyMap<string, TopicInfo>): Map<string, string> {
  let index = reverseIndexes.get(topics);
  if (index === undefined) {
    index = new Map();
    for (const [name, t] of topics) index.set(t.id, name);
    reverseIndexes.set(topics, index);
  }
  return index;
}

/**
 * A 64-bit digest of the subscribed topics' ids, names and partition counts; 0 when there are
 * none. It plays the role of Kafka 4.1's metadata hash (ConsumerGroupMetadataValue.metadataHash,
 * KIP-1101) but is not Kafka's function (XXH3 over a Kafka-specific encoding, which Kafka itself
 * versions): a group loaded from a Kafka-written log bumps its epoch once on its first heartbeat.
 */
export function topicsMetadataHash(names: Iterable<string>, topics: ReadonlyMap<string, TopicInfo>): bigint {
  const present: string[] = [];
  for (const name of names) if (topics.has(name)) present.push(name);
  if (present.length === 0) return 0n;
  present.sort();
  const h = createHash('sha256');
  for (const name of present) {
    const t = topics.get(name)!;
    h.update(`${t.id}\u0000${name}\u0000${t.partitions}\n`);
  }
  return h.digest().readBigInt64BE(0);
}

// ---- the group -------------------------------------------------------------------------------

export interface ResolvedRegex {
  topics: ReadonlySet<string>;
  /** The metadata version the topics were resolved at. */
  version: number;
  timestamp: number;
}

/** One consumer group: the state the records describe, plus the members' deadlines (soft state). */
export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** The hash of the subscribed topics' metadata the group epoch was last bumped with. */
  metadataHash = 0n;
  // The maps are read-only outside this module: records (apply) are the only way to change them.
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly targetAssignment = new Map<string, Partitions>();
  /** instance id -> member id. */
  readonly staticMembers = new Map<string, string>();
  readonly resolvedRegexes = new Map<string, ResolvedRegex>();
  /** A ConsumerGroupPartitionMetadata record (Kafka 3.7-4.0) exists: tombstone it on the next epoch bump. */
  hasLegacyPartitionMetadata = false;
  /** The group's records were tombstoned. */
  deleted = false;

  /** topic id -> partition -> epoch of the member holding it (assigned or pending revocation). */
  private readonly partitionEpochs = new Map<string, Map<number, number>>();
  /** member id -> session deadline (ms). */
  readonly sessionDeadlines = new Map<string, number>();
  /** member id -> rebalance deadline, valid while the member stays at `memberEpoch`. */
  readonly rebalanceDeadlines = new Map<string, { deadline: number; memberEpoch: number }>();
  /** regex -> metadata version it was last matched at (soft state, saves re-matching). */
  readonly regexCheckedAt = new Map<string, number>();
  /** Classic members: the deadline to rejoin after REBALANCE_IN_PROGRESS (Kafka's join timer). */
  readonly classicJoinDeadlines = new Map<string, number>();
  /** Classic members: the deadline to send SyncGroup after a JoinGroup (Kafka's sync timer). */
  readonly classicSyncDeadlines = new Map<string, number>();

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.deleted) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (!isReconciledTo(m, this.assignmentEpoch)) return 'Reconciling';
    return 'Stable';
  }

  staticMember(instanceId: string): ConsumerGroupMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** The epoch of the member holding the partition, or -1 when no member does. */
  partitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  regexSubscribers(regex: string): number {
    let n = 0;
    for (const m of this.members.values()) if (effectiveRegex(m) === regex) n++;
    return n;
  }

  /** The regexes the members subscribe to. */
  subscribedRegexes(): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) {
      const r = effectiveRegex(m);
      if (r !== null) out.add(r);
    }
    return out;
  }

  /** The topic names a member subscribes to: its names and what its regex resolved to. */
  memberTopics(m: ConsumerGroupMember): string[] {
    const r = effectiveRegex(m);
    const resolved = r === null ? undefined : this.resolvedRegexes.get(r);
    if (resolved === undefined || resolved.topics.size === 0) return [...m.subscribedTopicNames];
    return [...new Set([...m.subscribedTopicNames, ...resolved.topics])];
  }

  /** Every topic name some member subscribes to. */
  subscribedTopicNames(): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) for (const t of this.memberTopics(m)) out.add(t);
    return out;
  }

  /**
   * Kafka's preferred server assignor: the one most members asked for (ties go to the one
   * configured first; Kafka's tie-break is hash order), or null when no member asked.
   */
  preferredServerAssignor(configured: readonly string[]): string | null {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      if (m.serverAssignor !== null && configured.includes(m.serverAssignor)) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const name of configured) {
      const n = counts.get(name) ?? 0;
      if (n > 0 && (best === null || n > counts.get(best)!)) best = name;
    }
    return best;
  }

  // ---- replay: the only way the group's hard state changes ----

  /** Applies one of the group's records (a tombstone when value is null), as Kafka's replay methods do. */
  apply(record: GroupRecord): void {
    if (!isConsumerGroupRecord(record)) return;
    switch (record.key.type) {
      case 'consumerGroupMetadata': {
        const v = record.value as Extract<ConsumerGroupRecord, { key: { type: 'consumerGroupMetadata' } }>['value'];
        if (v === null) {
          for (const id of [...this.members.keys()]) this.removeMember(id);
          this.targetAssignment.clear();
          this.resolvedRegexes.clear();
          this.deleted = true;
        } else {
          this.groupEpoch = v.epoch;
          this.metadataHash = v.metadataHash;
        }
        return;
      }
      case 'consumerGroupPartitionMetadata':
        this.hasLegacyPartitionMetadata = record.value !== null;
        return;
      case 'consumerGroupMemberMetadata': {
        const { memberId } = record.key;
        const v = record.value as Extract<ConsumerGroupRecord, { key: { type: 'consumerGroupMemberMetadata' } }>['value'];
        if (v === null) {
          this.removeMember(memberId);
          return;
        }
        const old = this.members.get(memberId) ?? newMember(memberId);
        this.putMember({
          ...old,
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          subscribedTopicNames: sortedUnique(v.subscribedTopicNames),
          subscribedTopicRegex: v.subscribedTopicRegex,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
          serverAssignor: v.serverAssignor,
          classicMemberMetadata: v.classicMemberMetadata,
        });
        return;
      }
      case 'consumerGroupTargetAssignmentMetadata': {
        const v = record.value as Extract<ConsumerGroupRecord, { key: { type: 'consumerGroupTargetAssignmentMetadata' } }>['value'];
        this.assignmentEpoch = v === null ? -1 : v.assignmentEpoch;
        return;
      }
      case 'consumerGroupTargetAssignmentMember': {
        const v = record.value as Extract<ConsumerGroupRecord, { key: { type: 'consumerGroupTargetAssignmentMember' } }>['value'];
        if (v === null) this.targetAssignment.delete(record.key.memberId);
        else this.targetAssignment.set(record.key.memberId, partitionsFromList(v.topicPartitions));
        return;
      }
      case 'consumerGroupCurrentMemberAssignment': {
        const { memberId } = record.key;
        const v = record.value as Extract<ConsumerGroupRecord, { key: { type: 'consumerGroupCurrentMemberAssignment' } }>['value'];
        const old = this.members.get(memberId);
        if (v === null) {
          // Kafka keeps the member until its metadata tombstone, at epoch -1 and owning nothing.
          if (old !== undefined) {
            this.putMember({
              ...old,
              memberEpoch: LEAVE_GROUP_MEMBER_EPOCH,
              previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH,
              assignedPartitions: EMPTY_PARTITIONS,
              partitionsPendingRevocation: EMPTY_PARTITIONS,
            });
          }
          return;
        }
        this.putMember({
          ...(old ?? newMember(memberId)),
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: memberStateFromByte(v.state),
          assignedPartitions: partitionsFromList(v.assignedPartitions),
          partitionsPendingRevocation: partitionsFromList(v.partitionsPendingRevocation),
        });
        return;
      }
      case 'consumerGroupRegularExpression': {
        const v = record.value as Extract<ConsumerGroupRecord, { key: { type: 'consumerGroupRegularExpression' } }>['value'];
        this.regexCheckedAt.delete(record.key.regex);
        if (v === null) this.resolvedRegexes.delete(record.key.regex);
        else this.resolvedRegexes.set(record.key.regex, { topics: new Set(v.topics), version: v.version, timestamp: v.timestamp });
        return;
      }
    }
  }

  private putMember(m: ConsumerGroupMember): void {
    const old = this.members.get(m.memberId);
    if (old !== undefined) {
      this.releaseEpochs(old.assignedPartitions, old.memberEpoch);
      this.releaseEpochs(old.partitionsPendingRevocation, old.memberEpoch);
    }
    this.members.set(m.memberId, m);
    this.claimEpochs(m.assignedPartitions, m.memberEpoch);
    this.claimEpochs(m.partitionsPendingRevocation, m.memberEpoch);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
  }

  private removeMember(memberId: string): void {
    const old = this.members.get(memberId);
    if (old === undefined) return;
    this.releaseEpochs(old.assignedPartitions, old.memberEpoch);
    this.releaseEpochs(old.partitionsPendingRevocation, old.memberEpoch);
    this.members.delete(memberId);
    this.targetAssignment.delete(memberId);
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) this.staticMembers.delete(old.instanceId);
    this.sessionDeadlines.delete(memberId);
    this.rebalanceDeadlines.delete(memberId);
    this.classicJoinDeadlines.delete(memberId);
    this.classicSyncDeadlines.delete(memberId);
  }

  // Kafka's addPartitionEpochs/removePartitionEpochs: two members never hold one partition, and a
  // violation is a bug (or a corrupt log), not a client error.
  private claimEpochs(p: Partitions, epoch: number): void {
    for (const [topicId, set] of p) {
      let epochs = this.partitionEpochs.get(topicId);
      if (epochs === undefined) this.partitionEpochs.set(topicId, (epochs = new Map()));
      for (const partition of set) {
        const held = epochs.get(partition);
        if (held !== undefined) throw new Error(`group ${this.groupId}: cannot give ${topicId}-${partition} epoch ${epoch}, it is still held at epoch ${held}`);
        epochs.set(partition, epoch);
      }
    }
  }

  private releaseEpochs(p: Partitions, epoch: number): void {
    for (const [topicId, set] of p) {
      const epochs = this.partitionEpochs.get(topicId);
      for (const partition of set) {
        const held = epochs?.get(partition);
        if (held !== epoch) throw new Error(`group ${this.groupId}: cannot release ${topicId}-${partition} at epoch ${epoch}, it is held at epoch ${held ?? 'none'}`);
        epochs!.delete(partition);
      }
      if (epochs!.size === 0) this.partitionEpochs.delete(topicId);
    }
  }

  // ---- validations the coordinator's other APIs need ----

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit, as an error code (NONE when the commit may proceed).
   * memberEpoch -1 with an empty group: an admin or a consumer outside group management.
   */
  offsetCommitError(memberId: string, instanceId: string | null, memberEpoch: number, isTransactional: boolean, apiVersion: number): number {
    if (memberEpoch < 0 && this.members.size === 0) return ErrorCode.NONE;
    if (isTransactional && memberEpoch === -1 && memberId === '' && instanceId === null) return ErrorCode.NONE;
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    const classic = m.classicMemberMetadata !== null;
    if (!isTransactional && !classic && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    if (memberEpoch !== m.memberEpoch) return classic ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /** Kafka's ConsumerGroup.validateOffsetFetch (OffsetFetch v9+ carries member id and epoch). */
  offsetFetchError(memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
    const m = memberId === null ? undefined : this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return m.classicMemberMetadata !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  // ---- ConsumerGroupDescribe ----

  /** The ConsumerGroupDescribe shape; authorizedOperations is left at Kafka's "not requested" value for the caller. */
  describe(topics: ReadonlyMap<string, TopicInfo>, defaultAssignor: string, configured: readonly string[]): ConsumerGroupDescribeResponseDescribedGroup {
    const names = topicNamesById(topics);
    const byTopic = (p: Partitions): ConsumerGroupDescribeResponseTopicPartitions[] => {
      const out: ConsumerGroupDescribeResponseTopicPartitions[] = [];
      // Kafka leaves out topics that no longer exist.
      for (const tp of partitionsToList(p)) {
        const topicName = names.get(tp.topicId);
        if (topicName !== undefined) out.push({ topicId: tp.topicId, topicName, partitions: tp.partitions });
      }
      return out.sort((a, b) => (a.topicName < b.topicName ? -1 : a.topicName > b.topicName ? 1 : 0));
    };
    const members: ConsumerGroupDescribeResponseMember[] = [];
    for (const m of this.members.values()) {
      members.push({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: { topicPartitions: byTopic(m.assignedPartitions) },
        targetAssignment: { topicPartitions: byTopic(this.targetAssignment.get(m.memberId) ?? EMPTY_PARTITIONS) },
        // ConsumerGroupDescribe v1: 0 for a member that joined through JoinGroup, 1 for the consumer protocol.
        memberType: m.classicMemberMetadata !== null ? 0 : 1,
      });
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId: this.groupId,
      groupState: this.state,
      groupEpoch: this.groupEpoch,
      assignmentEpoch: this.assignmentEpoch,
      assignorName: this.preferredServerAssignor(configured) ?? defaultAssignor,
      members,
      authorizedOperations: -2147483648,
    };
  }

  /** The group's whole state as records (what a compacted log would hold), in an order replay accepts. */
  toRecords(): GroupRecord[] {
    const g = this.groupId;
    const out: GroupRecord[] = [];
    for (const m of this.members.values()) out.push(memberMetadataRecord(g, m));
    for (const [regex, r] of this.resolvedRegexes) {
      out.push({ key: { type: 'consumerGroupRegularExpression', group: g, regex }, value: { topics: [...r.topics].sort(), version: r.version, timestamp: r.timestamp } });
    }
    out.push({ key: { type: 'consumerGroupMetadata', group: g }, value: { epoch: this.groupEpoch, metadataHash: this.metadataHash } });
    for (const [memberId, p] of this.targetAssignment) out.push(targetMemberRecord(g, memberId, p));
    out.push({ key: { type: 'consumerGroupTargetAssignmentMetadata', group: g }, value: { assignmentEpoch: this.assignmentEpoch } });
    for (const m of this.members.values()) out.push(currentAssignmentRecord(g, m));
    return out;
  }
}

// ---- the coordinator of all consumer groups ----------------------------------------------------

export class ConsumerGroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly config: Required<Omit<ConsumerGroupConfig, 'newMemberId'>> & { newMemberId: () => string };
  private readonly assignorNames: readonly string[];
  private readonly assignorsByName: ReadonlyMap<string, PartitionAssignor>;
  private readonly regexCache = new Map<string, RegExp | TopicRegexError>();

  constructor(config: ConsumerGroupConfig) {
    const d = CONSUMER_GROUP_CONFIG_DEFAULTS;
    this.config = {
      assignors: config.assignors,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      maxSize: config.maxSize,
      minSessionTimeoutMs: config.minSessionTimeoutMs ?? Math.min(d.minSessionTimeoutMs, config.sessionTimeoutMs),
      maxSessionTimeoutMs: config.maxSessionTimeoutMs ?? Math.max(d.maxSessionTimeoutMs, config.sessionTimeoutMs),
      minHeartbeatIntervalMs: config.minHeartbeatIntervalMs ?? Math.min(d.minHeartbeatIntervalMs, config.heartbeatIntervalMs),
      maxHeartbeatIntervalMs: config.maxHeartbeatIntervalMs ?? Math.max(d.maxHeartbeatIntervalMs, config.heartbeatIntervalMs),
      newMemberId: config.newMemberId ?? (() => randomUuid(n => randomBytes(n))),
      regexMatchesInternalTopics: config.regexMatchesInternalTopics ?? false,
      migrationPolicy: config.migrationPolicy ?? 'bidirectional',
      classicMaxSize: config.classicMaxSize ?? 2_147_483_647,
    };
    const c = this.config;
    // Kafka's GroupCoordinatorConfig requirements.
    const require = (ok: boolean, what: string): void => {
      if (!ok) throw new Error(`invalid consumer group configuration: ${what}`);
    };
    require(c.assignors.length > 0, 'group.consumer.assignors must not be empty');
    require(c.maxSize >= 1, 'group.consumer.max.size must be at least 1');
    require(c.maxHeartbeatIntervalMs >= c.minHeartbeatIntervalMs, 'group.consumer.max.heartbeat.interval.ms must be >= the min');
    require(c.heartbeatIntervalMs >= c.minHeartbeatIntervalMs && c.heartbeatIntervalMs <= c.maxHeartbeatIntervalMs, 'group.consumer.heartbeat.interval.ms must be within its min and max');
    require(c.maxSessionTimeoutMs >= c.minSessionTimeoutMs, 'group.consumer.max.session.timeout.ms must be >= the min');
    require(c.sessionTimeoutMs >= c.minSessionTimeoutMs && c.sessionTimeoutMs <= c.maxSessionTimeoutMs, 'group.consumer.session.timeout.ms must be within its min and max');
    require(c.heartbeatIntervalMs < c.sessionTimeoutMs, 'group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms');
    this.assignorNames = c.assignors.map(a => a.name);
    this.assignorsByName = new Map(c.assignors.map(a => [a.name, a]));
  }

  /** The default assignor: the first of group.consumer.assignors. */
  get defaultAssignor(): string {
    return this.assignorNames[0]!;
  }

  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Forgets a group without writing anything (its partition moved away, or an append failed: reload it by replay). */
  unload(groupId: string): void {
    this.groups.delete(groupId);
  }

  // ---- replay and loading ----

  /**
   * Applies a record read back from __consumer_offsets. Returns false for records that are not a
   * consumer group's (offsets, classic groups: the caller's). Records of a group are applied in log
   * order; a group whose ConsumerGroupMetadata is tombstoned is removed.
   */
  replay(record: GroupRecord): boolean {
    if (!isConsumerGroupRecord(record)) return false;
    const groupId = record.key.group;
    let group = this.groups.get(groupId);
    if (group === undefined) {
      // Kafka ignores a tombstone for a group it does not have.
      if (record.value === null) return true;
      group = new ConsumerGroup(groupId);
      this.groups.set(groupId, group);
    }
    group.apply(record);
    if (group.deleted) this.groups.delete(groupId);
    return true;
  }

  /**
   * After loading (Kafka's onLoaded): every member of the loaded groups (all when not given) gets a
   * full session from now, and one that must revoke partitions a full rebalance timeout. Until
   * then replayed members have no deadline and never expire. Returns the earliest deadline.
   */
  onLoaded(now: number, groupIds?: Iterable<string>): number | null {
    const groups = groupIds === undefined ? [...this.groups.values()] : [...groupIds].flatMap(id => this.groups.get(id) ?? []);
    for (const g of groups) {
      for (const m of g.members.values()) {
        g.sessionDeadlines.set(m.memberId, now + (m.classicMemberMetadata?.sessionTimeoutMs ?? this.config.sessionTimeoutMs));
        if (m.state === 'unrevoked_partitions') g.rebalanceDeadlines.set(m.memberId, { deadline: now + m.rebalanceTimeoutMs, memberEpoch: m.memberEpoch });
      }
    }
    return this.nextDeadline();
  }

  /** The earliest session or rebalance deadline of any member, or null. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const g of this.groups.values()) {
      for (const d of g.sessionDeadlines.values()) if (next === null || d < next) next = d;
      for (const r of g.rebalanceDeadlines.values()) if (next === null || r.deadline < next) next = r.deadline;
      for (const d of g.classicJoinDeadlines.values()) if (next === null || d < next) next = d;
      for (const d of g.classicSyncDeadlines.values()) if (next === null || d < next) next = d;
    }
    return next;
  }

  /**
   * Fences every member whose session expired, or that did not revoke its partitions within its
   * rebalance timeout, each as Kafka's timer would (one epoch bump per member). The records are
   * already applied; append them per group.
   */
  expire(ctx: ConsumerGroupContext): ExpiryResult[] {
    const out: ExpiryResult[] = [];
    for (const group of [...this.groups.values()]) {
      const records: GroupRecord[] = [];
      const fenced: FencedMember[] = [];
      let downgrade: ClassicGroupSnapshot | null = null;
      for (const memberId of [...group.members.keys()]) {
        const member = group.members.get(memberId);
        if (member === undefined) continue;
        const session = group.sessionDeadlines.get(memberId);
        const rebalance = group.rebalanceDeadlines.get(memberId);
        const join = group.classicJoinDeadlines.get(memberId);
        const sync = group.classicSyncDeadlines.get(memberId);
        let reason: FencedMember['reason'] | null = null;
        if (session !== undefined && session <= ctx.now) reason = 'session';
        else if (join !== undefined && join <= ctx.now) reason = 'join';
        else if (sync !== undefined && sync <= ctx.now) reason = 'sync';
        else if (rebalance !== undefined && rebalance.deadline <= ctx.now) {
          // Kafka's rebalance timer only fences a member still at the epoch it was set for.
          if (rebalance.memberEpoch === member.memberEpoch) reason = 'rebalance';
          else group.rebalanceDeadlines.delete(memberId);
        }
        if (reason === null) continue;
        fenced.push({ groupId: group.groupId, memberId, reason });
        downgrade = this.fence(group, member, ctx, r => {
          records.push(r);
          group.apply(r);
        });
        if (downgrade !== null) break;
      }
      if (records.length > 0) out.push({ groupId: group.groupId, records, fenced, downgrade });
    }
    return out;
  }

  // ---- ConsumerGroupHeartbeat ----

  heartbeat(req: ConsumerGroupHeartbeatRequest, ctx: HeartbeatContext): HeartbeatResult {
    try {
      this.validate(req, ctx.apiVersion);
      if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(req, ctx);
      return this.joinOrHeartbeat(req, ctx);
    } catch (err) {
      if (err instanceof GroupApiError) return { response: errorResponse(err), records: [], deadline: null };
      throw err;
    }
  }

  /**
   * The INVALID_REQUEST answer for a malformed heartbeat, or null: Kafka validates a request
   * before it looks the group up, so a caller that checks the group itself asks this first.
   */
  invalidHeartbeat(req: ConsumerGroupHeartbeatRequest, apiVersion: number): ConsumerGroupHeartbeatResponse | null {
    try {
      this.validate(req, apiVersion);
      return null;
    } catch (err) {
      if (err instanceof GroupApiError) return errorResponse(err);
      throw err;
    }
  }

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid (4.0+: v1 requires a client-generated member id, KIP-1082). */
  private validate(req: ConsumerGroupHeartbeatRequest, apiVersion: number): void {
    if ((apiVersion >= 1 || req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) && blank(req.memberId)) invalid("MemberId can't be empty.");
    if (blank(req.groupId)) invalid("GroupId can't be empty.");
    if (req.instanceId !== null && blank(req.instanceId)) invalid("InstanceId can't be empty.");
    if (req.rackId !== null && blank(req.rackId)) invalid("RackId can't be empty.");
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) invalid('RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.length > 0) invalid('TopicPartitions must be empty when (re-)joining.');
      // An empty list of names or an empty regex is accepted: a member subscribed to nothing.
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) {
        invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
      }
    } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (req.instanceId === null) invalid("InstanceId can't be null.");
    } else if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      invalid('MemberEpoch is invalid.');
    }
    if (req.serverAssignor !== null && !this.assignorsByName.has(req.serverAssignor)) {
      throw new GroupApiError(
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.assignorNames.join(', ')}.`,
      );
    }
  }

  /** Kafka's throwIfConsumerGroupMemberEpochIsInvalid, with KAFKA-19233: epoch 0 is always a (re)join. */
  private checkMemberEpoch(member: ConsumerGroupMember, received: number, owned: Partitions | null): void {
    if (received === 0) return;
    if (received > member.memberEpoch) {
      throw new GroupApiError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    if (received < member.memberEpoch) {
      // The previous epoch is accepted when the member owns no more than it is assigned: the
      // response that moved it to the new epoch may have been lost.
      if (received !== member.previousMemberEpoch || owned === null || !isSubset(owned, member.assignedPartitions)) {
        throw new GroupApiError(
          ErrorCode.FENCED_MEMBER_EPOCH,
          `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
        );
      }
    }
  }

  private compiledRegex(regex: string): RegExp {
    let compiled = this.regexCache.get(regex);
    if (compiled === undefined) {
      try {
        compiled = compileTopicRegex(regex);
      } catch (err) {
        if (!(err instanceof TopicRegexError)) throw err;
        compiled = err;
      }
      if (this.regexCache.size >= 1024) this.regexCache.clear();
      this.regexCache.set(regex, compiled);
    }
    if (compiled instanceof TopicRegexError) throw new GroupApiError(ErrorCode.INVALID_REGULAR_EXPRESSION, compiled.message);
    return compiled;
  }

  private resolve(regex: string, ctx: ConsumerGroupContext): Set<string> {
    const re = this.compiledRegex(regex);
    const out = new Set<string>();
    for (const [name, t] of ctx.topics) {
      if (t.internal === true && !this.config.regexMatchesInternalTopics) continue;
      if (!re.test(name)) continue;
      if (ctx.topicDescribable !== undefined && !ctx.topicDescribable(name)) continue;
      out.add(name);
    }
    return out;
  }

  private joinOrHeartbeat(req: ConsumerGroupHeartbeatRequest, ctx: HeartbeatContext): HeartbeatResult {
    const joining = req.memberEpoch === 0;
    const existingGroup = this.groups.get(req.groupId);
    if (existingGroup === undefined && !joining) throw new GroupApiError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${req.groupId} not found.`);
    const group = existingGroup ?? new ConsumerGroup(req.groupId);
    if (group.members.size >= this.config.maxSize && (req.memberId === '' || !group.members.has(req.memberId))) {
      throw new GroupApiError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.config.maxSize} members.`);
    }
    const memberId = req.memberId === '' ? this.config.newMemberId() : req.memberId;
    const owned = req.topicPartitions === null ? null : partitionsFromList(req.topicPartitions);

    // ---- 1. find the member, and refuse what Kafka refuses, before anything changes ----
    let existing: ConsumerGroupMember | undefined;
    let replaced: ConsumerGroupMember | undefined;
    if (req.instanceId === null) {
      existing = group.members.get(memberId);
      if (existing === undefined && !joining) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${req.groupId}.`);
      if (existing !== undefined) this.checkMemberEpoch(existing, req.memberEpoch, owned);
    } else {
      const holder = group.staticMember(req.instanceId);
      if (joining) {
        if (holder !== undefined && holder.memberId !== memberId) {
          // A new instance takes over only after the previous one left temporarily (epoch -2),
          // or from a classic member (Kafka: only two consumer-protocol members must hand over).
          if (holder.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH && !isClassic(holder)) {
            throw new GroupApiError(
              ErrorCode.UNRELEASED_INSTANCE_ID,
              `Static member ${memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by ${holder.memberId} member.`,
            );
          }
          replaced = holder;
        } else {
          // The same member rejoining (after being fenced, KIP-1082 keeps its id) is a rejoin;
          // Kafka answers UNRELEASED_INSTANCE_ID there unless it had left with -2.
          existing = holder ?? group.members.get(memberId);
        }
      } else {
        if (holder === undefined) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
        if (holder.memberId !== memberId) {
          throw new GroupApiError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${req.instanceId} was fenced by member ${holder.memberId}.`);
        }
        existing = holder;
        this.checkMemberEpoch(existing, req.memberEpoch, owned);
      }
    }
    const base: ConsumerGroupMember =
      replaced !== undefined ? { ...replaced, memberId, memberEpoch: 0, previousMemberEpoch: 0 } : (existing ?? newMember(memberId));
    const updated: ConsumerGroupMember = {
      ...base,
      instanceId: req.instanceId ?? base.instanceId,
      rackId: req.rackId ?? base.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs === -1 ? base.rebalanceTimeoutMs : req.rebalanceTimeoutMs,
      serverAssignor: req.serverAssignor ?? base.serverAssignor,
      subscribedTopicNames: req.subscribedTopicNames === null ? base.subscribedTopicNames : sortedUnique(req.subscribedTopicNames),
      subscribedTopicRegex: req.subscribedTopicRegex ?? base.subscribedTopicRegex,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      classicMemberMetadata: null,
    };
    const newRegex = effectiveRegex(updated);
    if (newRegex !== effectiveRegex(base) && newRegex !== null) this.compiledRegex(newRegex);
    // A member in a state from a newer Kafka must start over without partitions.
    if (base.state === 'unknown' && (owned === null || owned.size > 0)) {
      throw new GroupApiError(ErrorCode.FENCED_MEMBER_EPOCH, 'The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.');
    }

    // ---- 2. from here on every change is a record, applied at once ----
    if (existingGroup === undefined) this.groups.set(req.groupId, group);
    const records: GroupRecord[] = [];
    const emit = (r: GroupRecord): void => {
      records.push(r);
      group.apply(r);
    };
    const subscriptionChanged = this.updateMember(group, base, updated, existing, replaced, ctx, emit);
    // the member speaks the consumer protocol now: no classic join or sync timer
    group.classicJoinDeadlines.delete(memberId);
    group.classicSyncDeadlines.delete(memberId);
    const member = this.reconcileMember(group, memberId, owned, subscriptionChanged, ctx, emit);

    const sessionDeadline = ctx.now + this.config.sessionTimeoutMs;
    group.sessionDeadlines.set(memberId, sessionDeadline);
    const rebalance = group.rebalanceDeadlines.get(memberId);
    const deadline = rebalance !== undefined && rebalance.deadline < sessionDeadline ? rebalance.deadline : sessionDeadline;

    // The assignment goes back on a join, on a full request (sent after an error or timeout),
    // when it changed, and (Samsa's addition) when the member reported owning something other than
    // what the coordinator holds for it: a response it never received is sent again.
    const fullRequest =
      joining || (req.rebalanceTimeoutMs !== -1 && (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) && req.topicPartitions !== null);
    const before = replaced !== undefined ? base : (existing ?? newMember(memberId));
    const sendAssignment =
      fullRequest ||
      !samePartitions(before.assignedPartitions, member.assignedPartitions) ||
      (owned !== null && !samePartitions(owned, unionPartitions(member.assignedPartitions, member.partitionsPendingRevocation)));
    return {
      response: {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        memberId,
        memberEpoch: member.memberEpoch,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        assignment: sendAssignment ? { topicPartitions: partitionsToList(member.assignedPartitions) } : null,
      },
      records,
      deadline,
    };
  }

  /**
   * Steps 2-4 of a join or heartbeat, in Kafka's order: the member's records (a replaced static
   * member's first), the regexes, the group epoch, and the target assignment. True when the
   * member's subscription (names or regex) changed.
   */
  private updateMember(
    group: ConsumerGroup,
    base: ConsumerGroupMember,
    updated: ConsumerGroupMember,
    existing: ConsumerGroupMember | undefined,
    replaced: ConsumerGroupMember | undefined,
    ctx: ConsumerGroupContext,
    emit: (r: GroupRecord) => void,
  ): boolean {
    const g = group.groupId;
    const oldRegex = effectiveRegex(base);
    const newRegex = effectiveRegex(updated);
    const namesChanged = !sameStrings(base.subscribedTopicNames, updated.subscribedTopicNames);
    const regexChanged = oldRegex !== newRegex;
    if (replaced !== undefined) {
      // Kafka's replaceMember: the successor inherits the assignment and the target.
      const target = group.targetAssignment.get(replaced.memberId) ?? EMPTY_PARTITIONS;
      for (const r of memberTombstones(g, replaced.memberId)) emit(r);
      emit(memberMetadataRecord(g, base));
      emit(targetMemberRecord(g, base.memberId, target));
      emit(currentAssignmentRecord(g, base));
    }
    if ((existing === undefined && replaced === undefined) || !sameMetadata(base, updated)) emit(memberMetadataRecord(g, updated));

    let bump = group.groupEpoch === 0 || namesChanged || regexChanged;
    if (regexChanged && oldRegex !== null && group.regexSubscribers(oldRegex) === 0 && group.resolvedRegexes.has(oldRegex)) {
      emit({ key: { type: 'consumerGroupRegularExpression', group: g, regex: oldRegex }, value: null });
    }
    if (this.refreshRegexes(group, ctx, emit)) bump = true;

    // ---- 3. the group epoch ----
    const hash = topicsMetadataHash(group.subscribedTopicNames(), ctx.topics);
    if (hash !== group.metadataHash) bump = true;
    if (bump) this.bumpGroupEpoch(group, hash, emit);

    // ---- 4. the target assignment ----
    if (group.groupEpoch > group.assignmentEpoch) this.computeTargetAssignment(group, ctx, emit);
    return namesChanged || regexChanged;
  }

  /**
   * Step 5: moves the member one safe step towards its target (Kafka's maybeReconcile). A
   * consumer-protocol member that must revoke gets a rebalance deadline; classic members have
   * join and sync timers instead.
   */
  private reconcileMember(
    group: ConsumerGroup,
    memberId: string,
    owned: Partitions | null,
    subscriptionChanged: boolean,
    ctx: ConsumerGroupContext,
    emit: (r: GroupRecord) => void,
  ): ConsumerGroupMember {
    const member = group.members.get(memberId)!;
    if (isReconciledTo(member, group.assignmentEpoch) && !subscriptionChanged) return member;
    const names = topicNamesById(ctx.topics);
    const subscribedTopicIds = new Set<string>();
    for (const t of group.memberTopics(member)) {
      const info = ctx.topics.get(t);
      if (info !== undefined && names.get(info.id) === t) subscribedTopicIds.add(info.id);
    }
    const next = reconcile(member, {
      targetAssignmentEpoch: group.assignmentEpoch,
      targetAssignment: group.targetAssignment.get(memberId) ?? EMPTY_PARTITIONS,
      currentPartitionEpoch: (topicId, partition) => group.partitionEpoch(topicId, partition),
      owned,
      subscriptionChanged,
      subscribedTopicIds,
    });
    if (sameAssignmentState(member, next)) return member;
    emit(currentAssignmentRecord(group.groupId, next));
    if (!isClassic(next)) {
      if (next.state === 'unrevoked_partitions') {
        group.rebalanceDeadlines.set(memberId, { deadline: ctx.now + next.rebalanceTimeoutMs, memberEpoch: next.memberEpoch });
      } else {
        group.rebalanceDeadlines.delete(memberId);
      }
    }
    return group.members.get(memberId)!;
  }

  /**
   * Resolves regexes never resolved, and re-matches the others when the metadata moved on. True
   * when what some regex names changed (the group epoch must be bumped).
   */
  private refreshRegexes(group: ConsumerGroup, ctx: ConsumerGroupContext, emit: (r: GroupRecord) => void): boolean {
    let changed = false;
    const version = ctx.metadataVersion ?? 0;
    for (const regex of group.subscribedRegexes()) {
      const resolved = group.resolvedRegexes.get(regex);
      // Any other version (not only a later one) re-matches: a restarted broker may count anew.
      if (resolved !== undefined && ctx.metadataVersion !== undefined && (group.regexCheckedAt.get(regex) ?? resolved.version) === ctx.metadataVersion) continue;
      let topics: Set<string>;
      try {
        topics = this.resolve(regex, ctx);
      } catch (err) {
        // Validated when the member subscribed: only a regex loaded from a log can fail here. Kafka logs and ignores it.
        if (err instanceof GroupApiError) continue;
        throw err;
      }
      if (resolved !== undefined && resolved.topics.size === topics.size && [...topics].every(t => resolved.topics.has(t))) {
        if (ctx.metadataVersion !== undefined) group.regexCheckedAt.set(regex, ctx.metadataVersion);
        continue;
      }
      emit({ key: { type: 'consumerGroupRegularExpression', group: group.groupId, regex }, value: { topics: [...topics].sort(), version, timestamp: ctx.now } });
      changed = true;
    }
    return changed;
  }

  private bumpGroupEpoch(group: ConsumerGroup, hash: bigint, emit: (r: GroupRecord) => void): void {
    emit({ key: { type: 'consumerGroupMetadata', group: group.groupId }, value: { epoch: group.groupEpoch + 1, metadataHash: hash } });
    // Kafka 4.1 replaced ConsumerGroupPartitionMetadata with the hash and deletes the old record.
    if (group.hasLegacyPartitionMetadata) emit({ key: { type: 'consumerGroupPartitionMetadata', group: group.groupId }, value: null });
  }

  /** Kafka's TargetAssignmentBuilder: run the group's assignor, write the members whose target changed, then the epoch. */
  private computeTargetAssignment(group: ConsumerGroup, ctx: ConsumerGroupContext, emit: (r: GroupRecord) => void): void {
    const assignor = this.assignorsByName.get(group.preferredServerAssignor(this.assignorNames) ?? this.defaultAssignor)!;
    const names = topicNamesById(ctx.topics);
    const specs: MemberSpec[] = [];
    for (const m of group.members.values()) {
      // Sticky assignors keep what the member's current target gives it.
      const owned = new Map<string, number[]>();
      for (const [topicId, set] of group.targetAssignment.get(m.memberId) ?? EMPTY_PARTITIONS) {
        const name = names.get(topicId);
        if (name !== undefined) owned.set(name, [...set].sort((a, b) => a - b));
      }
      specs.push({ memberId: m.memberId, topics: group.memberTopics(m), owned, groupInstanceId: m.instanceId, rack: m.rackId });
    }
    const topicSpecs: TopicSpec[] = [];
    for (const name of group.subscribedTopicNames()) {
      const t = ctx.topics.get(name);
      if (t !== undefined) topicSpecs.push({ name, partitions: t.partitions });
    }
    const result = assignor.assign(specs, topicSpecs);
    for (const m of [...group.members.values()]) {
      const byId = new Map<string, Set<number>>();
      for (const [name, partitions] of result.get(m.memberId) ?? new Map<string, number[]>()) {
        const t = ctx.topics.get(name);
        if (t !== undefined && partitions.length > 0) byId.set(t.id, new Set(partitions));
      }
      const old = group.targetAssignment.get(m.memberId);
      if (old === undefined || !samePartitions(old, byId)) emit(targetMemberRecord(group.groupId, m.memberId, byId));
    }
    emit({ key: { type: 'consumerGroupTargetAssignmentMetadata', group: group.groupId }, value: { assignmentEpoch: group.groupEpoch } });
  }

  /**
   * Kafka's consumerGroupFenceMember: the member's records are deleted, regexes nobody uses any
   * more too, and the group epoch bumped; the target assignment follows on the next heartbeat. An
   * emptied group also gets its assignment epoch caught up (KAFKA-20442), so it is Empty and not Assigning.
   */
  private fence(group: ConsumerGroup, member: ConsumerGroupMember, ctx: ConsumerGroupContext, emit: (r: GroupRecord) => void): ClassicGroupSnapshot | null {
    if (this.downgradeOnLeave(group, member)) return this.toClassic(group, member.memberId, ctx, emit);
    this.removeMembers(group, [member], ctx, emit);
    return null;
  }

  /** Deletes the members' records and the regexes nobody uses any more, then bumps the group epoch once. */
  private removeMembers(group: ConsumerGroup, members: readonly ConsumerGroupMember[], ctx: ConsumerGroupContext, emit: (r: GroupRecord) => void): void {
    const g = group.groupId;
    for (const member of members) {
      const regex = effectiveRegex(member);
      for (const r of memberTombstones(g, member.memberId)) emit(r);
      if (regex !== null && group.regexSubscribers(regex) === 0 && group.resolvedRegexes.has(regex)) {
        emit({ key: { type: 'consumerGroupRegularExpression', group: g, regex }, value: null });
      }
    }
    const epoch = group.groupEpoch + 1;
    this.bumpGroupEpoch(group, topicsMetadataHash(group.subscribedTopicNames(), ctx.topics), emit);
    if (group.members.size === 0) emit({ key: { type: 'consumerGroupTargetAssignmentMetadata', group: g }, value: { assignmentEpoch: epoch } });
  }

  /**
   * Kafka's validateOnlineDowngradeWithFencedMember: the last consumer-protocol member leaves a
   * group of classic members, the policy allows downgrades and the rest fit group.max.size.
   */
  private downgradeOnLeave(group: ConsumerGroup, leaving: ConsumerGroupMember): boolean {
    if (isClassic(leaving)) return false;
    for (const m of group.members.values()) if (m !== leaving && !isClassic(m)) return false;
    if (group.members.size <= 1) return false;
    if (!downgradeEnabled(this.config.migrationPolicy)) return false;
    return group.members.size - 1 <= this.config.classicMaxSize;
  }

  /** Kafka's consumerGroupLeave: -1 leaves for good; -2 is a static member's temporary leave. */
  private leave(req: ConsumerGroupHeartbeatRequest, ctx: HeartbeatContext): HeartbeatResult {
    const group = this.groups.get(req.groupId);
    if (group === undefined) throw new GroupApiError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
    const records: GroupRecord[] = [];
    const emit = (r: GroupRecord): void => {
      records.push(r);
      group.apply(r);
    };
    const response: ConsumerGroupHeartbeatResponse = {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
    if (req.instanceId === null) {
      const member = group.members.get(req.memberId);
      if (member === undefined) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      return { response, records, deadline: null, downgrade: this.fence(group, member, ctx, emit) };
    }
    const member = group.staticMember(req.instanceId);
    if (member === undefined) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
    if (member.memberId !== req.memberId) {
      throw new GroupApiError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${member.memberId}.`);
    }
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // The member keeps its partitions (they stay unreleased to others) until a successor with the
      // same instance id takes them over, or its session expires.
      emit(currentAssignmentRecord(req.groupId, { ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, partitionsPendingRevocation: EMPTY_PARTITIONS }));
      group.rebalanceDeadlines.delete(member.memberId);
      return { response: { ...response, memberId: member.memberId }, records, deadline: null };
    }
    return { response, records, deadline: null, downgrade: this.fence(group, member, ctx, emit) };
  }

  // ---- classic-protocol members (mixed groups) and the online conversions ----

  /** Kafka's validateOnlineUpgrade, past the protocol-type check: the policy allows it and the group fits. */
  upgradeAllowed(classicMembers: number): boolean {
    return upgradeEnabled(this.config.migrationPolicy) && classicMembers <= this.config.maxSize;
  }

  /**
   * Kafka's convertToConsumerGroup: the classic group becomes a consumer group whose members are
   * the classic members at the generation, each keeping its last assignment, with a session of its
   * own session timeout. The records are applied; the caller writes them after the classic group's
   * tombstone. Throws ConversionError when the group's consumer protocol cannot be read.
   */
  upgradeFromClassic(snapshot: ClassicGroupSnapshot, ctx: ConsumerGroupContext): GroupRecord[] {
    const members = membersFromClassic(snapshot, ctx.topics);
    const g = snapshot.groupId;
    const group = new ConsumerGroup(g);
    this.groups.set(g, group);
    const records: GroupRecord[] = [];
    const emit = (r: GroupRecord): void => {
      records.push(r);
      group.apply(r);
    };
    for (const m of members) emit(memberMetadataRecord(g, m));
    emit({ key: { type: 'consumerGroupMetadata', group: g }, value: { epoch: snapshot.generationId, metadataHash: topicsMetadataHash(group.subscribedTopicNames(), ctx.topics) } });
    for (const m of members) emit(targetMemberRecord(g, m.memberId, m.assignedPartitions));
    emit({ key: { type: 'consumerGroupTargetAssignmentMetadata', group: g }, value: { assignmentEpoch: snapshot.generationId } });
    for (const m of members) emit(currentAssignmentRecord(g, m));
    for (const m of members) group.sessionDeadlines.set(m.memberId, ctx.now + m.classicMemberMetadata!.sessionTimeoutMs);
    return records;
  }

  /**
   * JoinGroup to a consumer group with members (Kafka's classicGroupJoinToConsumerGroup): the
   * member joins or rejoins as a classic member, the group epoch and target assignment move as for
   * a heartbeat, and the member is reconciled with the partitions its subscription says it owns.
   * Its generation is its member epoch; it is no leader, and SyncGroup hands it its assignment.
   */
  classicJoin(req: ClassicJoinInput, ctx: ClassicContext): ClassicJoinOutcome {
    const fail = (errorCode: number, memberId = req.memberId): ClassicJoinOutcome => ({ errorCode, memberId, generationId: -1, protocolName: null, records: [], downgrade: null });
    const group = this.groups.get(req.groupId);
    if (group === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    const isUnknown = req.memberId === '';
    const memberId = isUnknown ? this.config.newMemberId() : req.memberId;
    if (group.members.size >= this.config.maxSize && !group.members.has(memberId)) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
    if (!supportsClassicProtocols(group.members.values(), req.protocolType, req.protocols)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (req.requireKnownMemberId && isUnknown && req.groupInstanceId === null) return fail(ErrorCode.MEMBER_ID_REQUIRED, memberId);

    let existing: ConsumerGroupMember | undefined;
    let replaced: ConsumerGroupMember | undefined;
    const holder = req.groupInstanceId === null ? undefined : group.staticMember(req.groupInstanceId);
    if (req.groupInstanceId === null) existing = group.members.get(memberId);
    else if (isUnknown) replaced = holder;
    else {
      if (holder === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      if (holder.memberId !== memberId) return fail(ErrorCode.FENCED_INSTANCE_ID);
      existing = holder;
    }
    let subscription;
    try {
      subscription = decodeSubscription(req.protocols[0]!.metadata);
    } catch (err) {
      if (!(err instanceof ConsumerProtocolError)) throw err;
      // Kafka: IllegalStateException("Malformed embedded consumer protocol in subscription deserialization.")
      return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    // Kafka's validateOnlineDowngradeWithReplacedMemberId, on the group before the join.
    const downgrade =
      holder !== undefined &&
      !isClassic(holder) &&
      [...group.members.values()].every(m => m === holder || isClassic(m)) &&
      downgradeEnabled(this.config.migrationPolicy) &&
      group.members.size <= this.config.classicMaxSize;

    const base: ConsumerGroupMember = replaced !== undefined ? { ...replaced, memberId, memberEpoch: 0, previousMemberEpoch: 0 } : (existing ?? newMember(memberId));
    const updated: ConsumerGroupMember = {
      ...base,
      instanceId: req.groupInstanceId ?? base.instanceId,
      rackId: subscription.rackId ?? base.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs === -1 ? base.rebalanceTimeoutMs : req.rebalanceTimeoutMs,
      subscribedTopicNames: sortedUnique(subscription.topics),
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      classicMemberMetadata: { sessionTimeoutMs: req.sessionTimeoutMs, supportedProtocols: req.protocols },
    };
    const records: GroupRecord[] = [];
    const emit = (r: GroupRecord): void => {
      records.push(r);
      group.apply(r);
    };
    const subscriptionChanged = this.updateMember(group, base, updated, existing, replaced, ctx, emit);
    const member = this.reconcileMember(group, memberId, partitionsByName(subscription.ownedPartitions, ctx.topics), subscriptionChanged, ctx, emit);
    const response = { errorCode: ErrorCode.NONE, memberId, generationId: member.memberEpoch, protocolName: req.protocols[0]!.name, records };
    if (downgrade) return { ...response, downgrade: this.toClassic(group, null, ctx, emit) };
    group.rebalanceDeadlines.delete(memberId);
    group.classicJoinDeadlines.delete(memberId);
    group.sessionDeadlines.set(memberId, ctx.now + req.sessionTimeoutMs);
    group.classicSyncDeadlines.set(memberId, ctx.now + req.rebalanceTimeoutMs);
    return { ...response, downgrade: null };
  }

  /** Deletes the group's records and hands back the classic group it becomes (Kafka's convertToClassicGroup). */
  private toClassic(group: ConsumerGroup, leavingMemberId: string | null, ctx: ConsumerGroupContext, emit: (r: GroupRecord) => void): ClassicGroupSnapshot {
    const snapshot = classicSnapshotOf(group.groupId, group.groupEpoch, group.members.values(), group.targetAssignment, leavingMemberId, topicNamesById(ctx.topics));
    for (const r of groupTombstones(group)) emit(r);
    this.groups.delete(group.groupId);
    return snapshot;
  }

  /** Kafka's validateConsumerGroupMember plus throwIfMemberDoesNotUseClassicProtocol: the member, or an error code. */
  private classicMember(group: ConsumerGroup, ref: ClassicMemberRef): ConsumerGroupMember | number {
    let member: ConsumerGroupMember | undefined;
    if (ref.groupInstanceId === null) member = group.members.get(ref.memberId);
    else {
      member = group.staticMember(ref.groupInstanceId);
      if (member !== undefined && member.memberId !== ref.memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (member === undefined || !isClassic(member)) return ErrorCode.UNKNOWN_MEMBER_ID;
    return member;
  }

  /** A classic member told to rejoin must do so within its rebalance timeout (Kafka's join timer, if not already set). */
  private expectRejoin(group: ConsumerGroup, member: ConsumerGroupMember, now: number): void {
    if (!group.classicJoinDeadlines.has(member.memberId)) group.classicJoinDeadlines.set(member.memberId, now + member.rebalanceTimeoutMs);
  }

  /** SyncGroup from a classic member of a consumer group (Kafka's classicGroupSyncToConsumerGroup). */
  classicSync(
    req: ClassicMemberRef & { generationId: number; protocolType: string | null; protocolName: string | null },
    ctx: ConsumerGroupContext,
  ): ClassicSyncOutcome {
    const fail = (errorCode: number): ClassicSyncOutcome => ({ errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
    const group = this.groups.get(req.groupId);
    if (group === undefined || group.members.size === 0) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    const member = this.classicMember(group, req);
    if (typeof member === 'number') return fail(member);
    if (req.generationId !== member.memberEpoch) return fail(ErrorCode.ILLEGAL_GENERATION);
    const first = member.classicMemberMetadata!.supportedProtocols[0];
    if ((req.protocolType !== null && req.protocolType !== 'consumer') || (req.protocolName !== null && req.protocolName !== first?.name)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (group.groupEpoch > member.memberEpoch && member.state !== 'unrevoked_partitions') {
      this.expectRejoin(group, member, ctx.now);
      return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    group.classicSyncDeadlines.delete(member.memberId);
    group.sessionDeadlines.set(member.memberId, ctx.now + member.classicMemberMetadata!.sessionTimeoutMs);
    const assigned = partitionsToNames(member.assignedPartitions, topicNamesById(ctx.topics));
    return { errorCode: ErrorCode.NONE, protocolType: req.protocolType, protocolName: req.protocolName, assignment: classicAssignmentBytes(assigned, first?.metadata ?? Buffer.alloc(0)) };
  }

  /**
   * Heartbeat from a classic member of a consumer group (Kafka's classicGroupHeartbeatToConsumerGroup):
   * REBALANCE_IN_PROGRESS when it must rejoin - the group epoch moved on, it must revoke, or
   * partitions it waits for were released.
   */
  classicHeartbeat(req: ClassicMemberRef & { generationId: number }, now: number): number {
    const group = this.groups.get(req.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = this.classicMember(group, req);
    if (typeof member === 'number') return member;
    if (req.generationId !== member.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    group.sessionDeadlines.set(member.memberId, now + member.classicMemberMetadata!.sessionTimeoutMs);
    if (
      member.memberEpoch < group.groupEpoch ||
      member.state === 'unrevoked_partitions' ||
      (member.state === 'unreleased_partitions' && !this.waitingOnUnreleased(group, member))
    ) {
      this.expectRejoin(group, member, now);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    return ErrorCode.NONE;
  }

  /** Kafka's waitingOnUnreleasedPartition: a partition of the member's target is still held by another member. */
  private waitingOnUnreleased(group: ConsumerGroup, member: ConsumerGroupMember): boolean {
    for (const [topicId, set] of group.targetAssignment.get(member.memberId) ?? EMPTY_PARTITIONS) {
      const assigned = member.assignedPartitions.get(topicId);
      for (const p of set) if (!assigned?.has(p) && group.partitionEpoch(topicId, p) !== -1) return true;
    }
    return false;
  }

  /**
   * LeaveGroup to a consumer group (Kafka's classicGroupLeaveToConsumerGroup): each classic member
   * named leaves (by member id, or by instance id for an administrative removal with no member id);
   * the group epoch is bumped once. Consumer-protocol members cannot be removed this way.
   */
  classicLeave(
    groupId: string,
    members: readonly { memberId: string; groupInstanceId: string | null }[],
    ctx: ConsumerGroupContext,
  ): { members: { memberId: string; groupInstanceId: string | null; errorCode: number }[]; records: GroupRecord[] } {
    const group = this.groups.get(groupId);
    const out: { memberId: string; groupInstanceId: string | null; errorCode: number }[] = [];
    const leaving: ConsumerGroupMember[] = [];
    for (const m of members) {
      let found: ConsumerGroupMember | number;
      if (group === undefined) found = ErrorCode.UNKNOWN_MEMBER_ID;
      else if (m.groupInstanceId !== null && m.memberId === '') {
        const s = group.staticMember(m.groupInstanceId);
        found = s === undefined || !isClassic(s) ? ErrorCode.UNKNOWN_MEMBER_ID : s;
      } else found = this.classicMember(group, { groupId, memberId: m.memberId, groupInstanceId: m.groupInstanceId });
      if (typeof found === 'number') out.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: found });
      else {
        if (!leaving.includes(found)) leaving.push(found);
        out.push({ memberId: found.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.NONE });
      }
    }
    const records: GroupRecord[] = [];
    if (group !== undefined && leaving.length > 0) {
      this.removeMembers(group, leaving, ctx, r => {
        records.push(r);
        group.apply(r);
      });
    }
    return { members: out, records };
  }

  // ---- ConsumerGroupDescribe, ListGroups, DeleteGroups ----

  /**
   * ConsumerGroupDescribe's groups, in request order; GROUP_ID_NOT_FOUND for the unknown ones. A
   * classic group of the same id is the caller's to answer (Kafka: GROUP_ID_NOT_FOUND, "Group X is
   * not a consumer group.").
   */
  describe(groupIds: readonly string[], topics: ReadonlyMap<string, TopicInfo>): ConsumerGroupDescribeResponseDescribedGroup[] {
    return groupIds.map(groupId => {
      const group = this.groups.get(groupId);
      if (group !== undefined) return group.describe(topics, this.defaultAssignor, this.assignorNames);
      // Kafka sets only the group id and the error code (INVALID_GROUP_ID for an empty id).
      return {
        errorCode: groupId === '' ? ErrorCode.INVALID_GROUP_ID : ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: null,
        groupId,
        groupState: '',
        groupEpoch: 0,
        assignmentEpoch: 0,
        assignorName: '',
        members: [],
        authorizedOperations: -2147483648,
      };
    });
  }

  /** ListGroups entries for the consumer groups. */
  listGroups(): { groupId: string; protocolType: string; groupState: ConsumerGroupState; groupType: string }[] {
    return [...this.groups.values()].map(g => ({ groupId: g.groupId, protocolType: 'consumer', groupState: g.state, groupType: 'consumer' }));
  }

  /**
   * DeleteGroups for a consumer group: only an Empty one (NON_EMPTY_GROUP otherwise); the records
   * are Kafka's createGroupTombstoneRecords, already applied. Offsets are the caller's to delete.
   */
  deleteGroup(groupId: string): { errorCode: number; records: GroupRecord[] } {
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, records: [] };
    if (group.state !== 'Empty') return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
    const records = groupTombstones(group);
    for (const r of records) this.replay(r);
    return { errorCode: ErrorCode.NONE, records };
  }
}
