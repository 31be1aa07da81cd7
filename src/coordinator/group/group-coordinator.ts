// The group coordinator: classic-protocol groups, committed offsets, and their durable form in
// the compacted internal topic __consumer_offsets. One instance per broker node; it coordinates
// the groups whose __consumer_offsets partition this node leads. Protocol-free: handlers turn
// requests into calls here. Kafka's GroupMetadataManager and OffsetMetadataManager are the model
// for every state transition and error code.
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../broker/clock.js';
import type { ReplicaManager } from '../../broker/replica-manager.js';
import type { Cluster, Partition, Topic } from '../../cluster/cluster.js';
import type { BrokerConfig } from '../../cluster/configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { TRANSACTIONAL_BIT, encodeRecordBatch } from '../../protocol/records.js';
import { randomUuid } from '../../protocol/wire.js';
import { CoordinatorTopic, scanRecords, type RecordPosition } from '../internal-topic.js';
import { PendingOffsets, deleteNested, putNested, type OffsetsByGroup } from './pending-offsets.js';
import { ClassicGroup, ClassicMember, EMPTY_ASSIGNMENT, joinError, type JoinResult, type SyncResult } from './classic-group.js';
import {
  defaultConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  type TxnOffsetCommitRequest as TxnOffsetCommitMessage,
} from '../../protocol/messages/index.js';
import { SERVER_ASSIGNORS } from './assignors/index.js';
import {
  ConsumerGroupCoordinator,
  ConversionError,
  type ClassicGroupSnapshot,
  type ClassicJoinInput,
  type ConsumerGroupContext,
  type MigrationPolicy,
  type TopicInfo,
} from './consumer-group.js';
import { classicAssignmentBytes } from './consumer-group-classic.js';
import { decodeSubscription } from './consumer-protocol.js';
import {
  decodeKey,
  decodeRecord,
  encodeGroupMetadataValue,
  encodeKey,
  encodeOffsetCommitValue,
  encodeRecord,
  type GroupMetadataValue,
  type GroupRecord,
  type GroupRecordKey,
  type OffsetCommitValue,
} from './offsets-records.js';
import { coordinatorPartitionFor } from '../transaction/txn-records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

const FENCE_REASONS = {
  session: 'consumer group member fenced: its session timed out',
  rebalance: 'consumer group member fenced: it did not revoke its partitions within the rebalance timeout',
  join: 'consumer group member fenced: the classic member failed to rejoin within the rebalance timeout',
  sync: 'consumer group member fenced: the classic member failed to sync within the rebalance timeout',
} as const;

/**
 * Kafka's GroupCoordinatorService.partitionFor: Utils.abs(groupId.hashCode()) % partitions (the
 * same function as the transaction coordinator's, coordinatorPartitionFor). Samsa before this
 * took (hashCode & 0x7fffffff) % partitions, which differs for about half of all group ids (those
 * with a negative hash): their records from then are on another partition, which loading reads
 * too (see GroupCoordinator.loadAll).
 */
export function partitionForGroup(groupId: string, partitions: number): number {
  return coordinatorPartitionFor(groupId, partitions);
}

/** The group a record of __consumer_offsets belongs to; undefined for record types Samsa does not load. */
function groupOf(key: GroupRecordKey): string | undefined {
  return 'group' in key ? key.group : undefined;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Set by OffsetCommit v2-4's retention time; null: offsets.retention.minutes applies. */
  expireTimestamp: number | null;
  /**
   * The offset of its record in __consumer_offsets: a transaction's offset committed by its marker
   * replaces only an offset whose record is older (Kafka's OffsetAndMetadata.recordOffset).
   */
  recordOffset: number;
}

/** A JoinGroup: what a classic member of a consumer group needs (ClassicJoinInput), and more. */
export interface JoinRequest extends ClassicJoinInput {
  clientId: string;
  clientHost: string;
  /** JoinGroup v9+: a static leader rejoining a stable group may skip the assignment. */
  supportsSkipAssignment: boolean;
  reason: string | null;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  /** -1: the broker's retention. */
  retentionTimeMs: number;
  apiVersion: number;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[] }[];
}

/** A TxnOffsetCommit and its version (v0-2 name no member: generation -1, member id "", no instance id). */
export type TxnOffsetCommitRequest = TxnOffsetCommitMessage & { apiVersion: number };

export type TopicPartitionErrors = { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];

export interface FetchedOffsets {
  errorCode: number;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string; errorCode: number }[] }[];
}

export interface DescribedGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** One partition of a group's consumer lag: committed offset against the log end. */
export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  logEndOffset: number;
  lag: number;
}

type Group = ClassicGroup;

interface Record {
  key: Buffer;
  value: Buffer | null;
}

/** Kafka's appendGroupMetadataErrorToResponseError: what a failed write means to the group's clients. */
function appendErrorToResponse(code: number, forOffsets: boolean): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return forOffsets ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export interface GroupCoordinatorDeps {
  nodeId: number;
  cluster: Cluster;
  replicas: ReplicaManager;
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  random: (n: number) => Buffer;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  /** group -> topic -> partition -> committed offset. */
  private readonly offsets: OffsetsByGroup<CommittedOffset> = new Map();
  /** The offsets TxnOffsetCommit wrote in transactions not yet ended, by producer id. */
  private readonly pending = new PendingOffsets<CommittedOffset>();
  /** Set by the broker when transaction verification (KIP-890) is on: whether a TxnOffsetCommit's transaction includes the group's partition. */
  txnVerifier: ((transactionalId: string, producerId: number, producerEpoch: number, p: Partition, apiVersion: number) => number | Promise<number>) | null = null;
  private readonly deps: GroupCoordinatorDeps;
  private loading: Promise<void> | null = null;
  /**
   * The groups with records on a partition of __consumer_offsets other than their own (written
   * before Samsa partitioned groups as Kafka does), and those partitions; found at load.
   */
  private readonly foreign = new Map<string, Set<number>>();
  private loaded = false;
  private expiryTimer: Timer | null = null;
  private closed = false;

  // configs read once
  private readonly minSessionTimeoutMs: number;
  private readonly maxSessionTimeoutMs: number;
  private readonly initialRebalanceDelayMs: number;
  private readonly maxGroupSize: number;
  private readonly newMemberJoinTimeoutMs: number;
  private readonly metadataMaxBytes: number;
  private readonly retentionMs: number;

  /** The KIP-848 consumer groups; a group id is either a classic group (above) or one of these. */
  private readonly consumer: ConsumerGroupCoordinator;
  /** __consumer_offsets */
  private readonly topic: CoordinatorTopic;
  /** The one timer of every consumer-group member's session and rebalance deadline. */
  private consumerTimer: { at: number; timer: Timer } | null = null;
  private topicsCache: { version: number; topics: Map<string, TopicInfo> } | null = null;

  constructor(deps: GroupCoordinatorDeps) {
    this.deps = deps;
    const c = deps.config;
    this.topic = new CoordinatorTopic(deps.cluster, deps.nodeId, OFFSETS_TOPIC, () => ({
      partitions: c.int('offsets.topic.num.partitions'),
      replicationFactor: Math.min(c.int('offsets.topic.replication.factor'), deps.cluster.nodes.length),
      configs: new Map([
        ['cleanup.policy', 'compact'],
        ['compression.type', 'producer'],
        ['segment.bytes', String(c.int('offsets.topic.segment.bytes'))],
      ]),
    }), deps.log);
    this.minSessionTimeoutMs = c.int('group.min.session.timeout.ms');
    this.maxSessionTimeoutMs = c.int('group.max.session.timeout.ms');
    this.initialRebalanceDelayMs = c.int('group.initial.rebalance.delay.ms');
    this.maxGroupSize = c.int('group.classic.max.size');
    this.newMemberJoinTimeoutMs = 5 * 60 * 1000; // Kafka's GroupCoordinatorConfig.CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS
    this.metadataMaxBytes = c.int('offset.metadata.max.bytes');
    this.retentionMs = c.int('offsets.retention.minutes') * 60_000;
    this.consumer = new ConsumerGroupCoordinator({
      assignors: (c.get('group.consumer.assignors') as string[]).map(name => SERVER_ASSIGNORS.get(name)!),
      sessionTimeoutMs: c.int('group.consumer.session.timeout.ms'),
      minSessionTimeoutMs: c.int('group.consumer.min.session.timeout.ms'),
      maxSessionTimeoutMs: c.int('group.consumer.max.session.timeout.ms'),
      heartbeatIntervalMs: c.int('group.consumer.heartbeat.interval.ms'),
      minHeartbeatIntervalMs: c.int('group.consumer.min.heartbeat.interval.ms'),
      maxHeartbeatIntervalMs: c.int('group.consumer.max.heartbeat.interval.ms'),
      maxSize: c.int('group.consumer.max.size'),
      newMemberId: () => randomUuid(deps.random),
      migrationPolicy: (c.get('group.consumer.migration.policy') as string).toLowerCase() as MigrationPolicy,
      classicMaxSize: this.maxGroupSize,
    });
    // markers of transactions with offsets (TxnOffsetCommit) settle them; the broker loads the
    // groups before the transaction coordinator, which is what writes markers
    deps.replicas.markerListeners.set(OFFSETS_TOPIC, (_p, producerId, commit) => this.replayMarker(producerId, commit));
  }

  private get clock(): Clock {
    return this.deps.clock;
  }

  private get log(): Logger {
    return this.deps.log;
  }

  // ---- the internal topic -------------------------------------------------------------------

  /** Creates __consumer_offsets when it does not exist (Kafka does so on the first FindCoordinator). */
  ensureOffsetsTopic(): Topic {
    return this.topic.ensure();
  }

  /** The node coordinating `groupId`, creating __consumer_offsets first when needed; -1 when none can. */
  coordinatorFor(groupId: string): number {
    return this.topic.coordinatorFor(groupId);
  }

  /** NONE when this node coordinates the group now, else Kafka's answer (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS). */
  private coordinatorCheck(groupId: string): number {
    const index = this.topic.partitionOf(groupId)?.index;
    return this.topic.check(groupId, this.loaded && (index === undefined || !this.loadingPartitions.has(index)));
  }

  /** Partitions of __consumer_offsets this node has just come to lead, being read (COORDINATOR_LOAD_IN_PROGRESS). */
  private readonly loadingPartitions = new Set<number>();

  /** The ids of every group (classic, consumer, or offsets alone) this node holds whose home partition is `index`. */
  private groupsOfPartition(index: number, partitions: number): Set<string> {
    const ids = new Set<string>();
    for (const id of [...this.groups.keys(), ...this.consumer.groupIds(), ...this.offsets.keys()]) {
      if (partitionForGroup(id, partitions) === index) ids.add(id);
    }
    return ids;
  }

  /**
   * This node now leads a partition of __consumer_offsets (Kafka's onElection): the groups whose
   * home it is are read from the log, their members get fresh sessions. Records of those groups
   * left on other partitions by Samsa before it partitioned groups as Kafka does are read only
   * by the full load at start.
   */
  async elect(p: Partition): Promise<void> {
    if (p.topic.name !== OFFSETS_TOPIC || this.closed || p.log.offline !== undefined) return;
    const partitions = p.topic.partitions.length;
    this.loadingPartitions.add(p.index);
    try {
      for (const id of this.groupsOfPartition(p.index, partitions)) this.forgetGroup(id, true);
      let records = 0;
      // a marker settles the pending offsets of this partition's groups only
      const seen = new Set<string>();
      await this.scanPartition(
        p,
        (record, at) => this.replay(record, at),
        key => {
          const groupId = groupOf(key);
          records++;
          if (groupId === undefined || partitionForGroup(groupId, partitions) !== p.index) return false;
          seen.add(groupId);
          return true;
        },
        seen,
      );
      if (this.closed || p.leader !== this.deps.nodeId) return;
      const ids = this.groupsOfPartition(p.index, partitions);
      for (const groupId of this.offsets.keys()) if (ids.has(groupId)) this.ensureSimpleGroup(groupId);
      for (const groupId of ids) {
        const group = this.groups.get(groupId);
        for (const m of group?.members.values() ?? []) this.rescheduleHeartbeat(group!, m);
      }
      this.consumer.onLoaded(this.clock.now(), ids);
      this.scheduleConsumerTimer();
      this.log.info({ partition: p.index, groups: ids.size, records }, 'now coordinating a partition of __consumer_offsets');
    } catch (err) {
      this.log.error({ err, partition: p.index }, 'loading a partition of __consumer_offsets failed');
    } finally {
      this.loadingPartitions.delete(p.index);
    }
  }

  /**
   * This node no longer leads a partition of __consumer_offsets (Kafka's onResignation): it
   * forgets the groups whose home it is; their members' parked JoinGroup and SyncGroup requests
   * are answered NOT_COORDINATOR, so they find the new coordinator.
   */
  resign(p: Partition): void {
    if (p.topic.name !== OFFSETS_TOPIC) return;
    const ids = this.groupsOfPartition(p.index, p.topic.partitions.length);
    this.unloadGroups(ids);
    if (ids.size > 0) this.log.info({ partition: p.index, groups: ids.size }, 'no longer coordinating a partition of __consumer_offsets');
  }

  /** This node leads the partition of __consumer_offsets, and can read and write it. */
  private leads(p: Partition | undefined): p is Partition {
    return p !== undefined && p.leader === this.deps.nodeId && p.log.offline === undefined;
  }

  /**
   * Writes records to the group's partition of __consumer_offsets; resolves with the error code
   * (NONE on success). Their tombstones also go to the group's foreign partitions, if it has any
   * (forwardTombstones).
   */
  private async write(groupId: string, records: Record[], forOffsets = false): Promise<number> {
    return (await this.append(groupId, records, forOffsets)).code;
  }

  /**
   * write(), and the offset of the first record; with `txn`, the records are a transactional
   * batch of that producer (TxnOffsetCommit), its epoch checked by the partition.
   */
  private async append(groupId: string, records: Record[], forOffsets: boolean, txn?: { producerId: number; producerEpoch: number }): Promise<{ code: number; baseOffset: number }> {
    if (records.length === 0) return { code: ErrorCode.NONE, baseOffset: -1 };
    const p = this.topic.partitionOf(groupId);
    if (p === undefined) return { code: ErrorCode.NOT_COORDINATOR, baseOffset: -1 };
    const outcome = await (txn === undefined
      ? this.deps.replicas.append(p, this.batchOf(records), null, -1, 9)
      : this.deps.replicas.appendTransactional(p, this.batchOf(records, txn)));
    if (outcome.errorCode !== ErrorCode.NONE) {
      this.log.warn({ group: groupId, error: outcome.errorCode, message: outcome.errorMessage }, 'writing group metadata failed');
    } else {
      await this.forwardTombstones(groupId, records);
    }
    return { code: appendErrorToResponse(outcome.errorCode, forOffsets), baseOffset: outcome.baseOffset };
  }

  private batchOf(records: Record[], txn?: { producerId: number; producerEpoch: number }): Buffer {
    const now = this.clock.now();
    const opts = txn === undefined ? {} : { ...txn, baseSequence: -1, attributes: TRANSACTIONAL_BIT };
    return encodeRecordBatch(records.map(r => ({ key: r.key, value: r.value, timestamp: now })), { baseTimestamp: now, ...opts });
  }

  /**
   * After a write to the home partition of a group with foreign records (see loadAll), appends its
   * tombstones to those foreign partitions too. Every path that deletes (OffsetDelete, DeleteGroups,
   * offset expiry, a consumer group's members leaving or being fenced, the conversions between
   * classic and consumer groups) writes its tombstones through write(), to the home partition,
   * which is replayed after the foreign ones: that alone is enough until the cleaner drops the
   * home tombstone (delete.retention.ms after its first cleaning), after which the foreign record,
   * which nothing on its own partition replaced, would come back at the next load. A tombstone on
   * the foreign partition makes compaction remove it there too. Best effort: a failed append is
   * logged and leaves that edge open for those keys, as does a crash between the two appends.
   */
  private async forwardTombstones(groupId: string, records: Record[]): Promise<void> {
    const foreign = this.foreign.get(groupId);
    if (foreign === undefined) return;
    const tombstones = records.filter(r => r.value === null);
    if (tombstones.length === 0) return;
    const topic = this.topic.get();
    for (const index of foreign) {
      const p = topic?.partitions[index];
      const outcome = this.leads(p) ? await this.deps.replicas.append(p, this.batchOf(tombstones), null, -1, 9) : null;
      if (outcome === null || outcome.errorCode !== ErrorCode.NONE) {
        this.log.warn(
          { group: groupId, partition: index, error: outcome?.errorCode ?? ErrorCode.NOT_LEADER_OR_FOLLOWER, message: outcome?.errorMessage },
          "writing tombstones to the group's foreign partition of __consumer_offsets failed: its old records there may come back once the cleaner removes the tombstones of its own partition",
        );
      }
    }
  }

  // ---- loading ------------------------------------------------------------------------------

  /** Reads __consumer_offsets (when it exists) into memory; requests wait with COORDINATOR_LOAD_IN_PROGRESS meanwhile. */
  load(): Promise<void> {
    this.loading ??= this.loadAll().then(() => {
      this.loaded = true;
      this.scheduleExpiry();
      this.scheduleConsumerTimer();
    });
    return this.loading;
  }

  /**
   * Replays every partition of __consumer_offsets this node leads (today one node leads them all).
   *
   * A group's records belong on its home partition, partitionForGroup's. Samsa before it matched
   * Kafka wrote those of a group with a negative hash to another partition, and they stay there:
   * compaction only drops a record that a later one of the same partition replaces, and nothing
   * writes that partition for the group again but tombstones (forwardTombstones). The load-order
   * rule: a group's foreign records (those on a partition other than its home) are replayed before
   * any of its home records (several foreign partitions in partition order, each in log order), so
   * whatever was written since (commits, tombstones of OffsetDelete, DeleteGroups and offset
   * expiry, group epochs) wins, and foreign records alone still restore the group. Foreign records
   * are read only for groups whose home partition this node leads; a foreign partition this node
   * does not lead, or that is offline, is not read (with one node leading everything, only an
   * offline partition does that: its groups' old records are missing until a later load).
   *
   * One scan replays every home record as it comes and notes which groups have foreign records;
   * those groups are then forgotten and replayed again in the rule's order (replayGroups).
   */
  private async loadAll(): Promise<void> {
    const topic = this.topic.get();
    if (topic === undefined) return;
    const started = Date.now();
    const partitions = topic.partitions.length;
    let records = 0;
    for (const p of topic.partitions) {
      if (!this.leads(p)) continue;
      await this.scanPartition(
        p,
        (record, at) => this.replay(record, at),
        key => {
          records++;
          const groupId = groupOf(key);
          if (groupId === undefined) return true;
          const home = partitionForGroup(groupId, partitions);
          if (home === p.index) return true;
          // a foreign record: replayed below, before the group's home records
          if (this.leads(topic.partitions[home])) {
            let found = this.foreign.get(groupId);
            if (found === undefined) this.foreign.set(groupId, (found = new Set()));
            found.add(p.index);
          }
          return false;
        },
      );
    }
    if (this.foreign.size > 0) {
      const groupIds = new Set(this.foreign.keys());
      for (const groupId of groupIds) this.forgetGroup(groupId, true);
      await this.replayGroups(groupIds, true);
      const foreignPartitions = [...new Set([...this.foreign.values()].flatMap(s => [...s]))].sort((a, b) => a - b);
      this.log.info(
        { groups: groupIds.size, partitions: foreignPartitions },
        'groups found on a partition of __consumer_offsets other than their own (written before Samsa partitioned groups as Kafka does): read from there first',
      );
    }
    for (const groupId of this.offsets.keys()) this.ensureSimpleGroup(groupId);
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
    }
    this.consumer.onLoaded(this.clock.now());
    this.log.info({ groups: this.groups.size, consumerGroups: this.consumer.groupIds().length, records, ms: Date.now() - started }, 'loaded group metadata and offsets');
  }

  /**
   * Reads every record of a partition of __consumer_offsets, in log order; unreadable ones are
   * logged and skipped. `accept`, given a record's key, says whether to decode and apply it.
   */
  private async scanPartition(
    p: Partition,
    onRecord: (record: GroupRecord, at: RecordPosition) => void,
    accept?: (key: GroupRecordKey) => boolean,
    groups?: ReadonlySet<string>,
  ): Promise<void> {
    await scanRecords(
      p,
      (key, value, at) => {
        try {
          if (accept !== undefined && !accept(decodeKey(key))) return;
          onRecord(decodeRecord(key, value), at);
        } catch (err) {
          this.log.warn({ err, partition: p.index, offset: at.offset }, 'skipping an unreadable record of __consumer_offsets');
        }
      },
      (producerId, commit) => this.replayMarker(producerId, commit, groups),
    );
  }

  /**
   * Replays the records of `groupIds` in the load-order rule's order (loadAll): their foreign
   * partitions' first, then their home partitions'. Offsets only when `withOffsets`. The caller
   * has forgotten what it replays.
   */
  private async replayGroups(groupIds: ReadonlySet<string>, withOffsets: boolean): Promise<void> {
    const topic = this.topic.get();
    if (topic === undefined || topic.deleted) return;
    const partitions = topic.partitions.length;
    const foreign = new Set<number>();
    const home = new Set<number>();
    for (const groupId of groupIds) {
      for (const index of this.foreign.get(groupId) ?? []) foreign.add(index);
      home.add(partitionForGroup(groupId, partitions));
    }
    for (const [indexes, atHome] of [
      [foreign, false],
      [home, true],
    ] as const) {
      for (const index of [...indexes].sort((a, b) => a - b)) {
        const p = topic.partitions[index];
        if (!this.leads(p)) continue;
        await this.scanPartition(
          p,
          (record, at) => this.replay(record, at),
          key => {
            const groupId = groupOf(key);
            if (groupId === undefined || !groupIds.has(groupId) || (!withOffsets && key.type === 'offset')) return false;
            return (partitionForGroup(groupId, partitions) === index) === atHome;
          },
          // a marker settles only the replayed groups' offsets: the others' are settled already
          withOffsets ? groupIds : new Set(),
        );
      }
    }
  }

  /** Forgets a group's metadata (and its offsets when `withOffsets`) without writing anything: it is to be replayed. */
  private forgetGroup(groupId: string, withOffsets: boolean): void {
    this.consumer.unload(groupId);
    const classic = this.groups.get(groupId);
    if (classic !== undefined) this.dropClassicGroup(classic);
    if (withOffsets) {
      this.offsets.delete(groupId);
      this.pending.forgetGroup(groupId);
    }
  }

  /**
   * Forgets a group's metadata and reads it back from the log (Kafka reverts to its last
   * committed state): after a failed write of records already applied in memory. Offsets are
   * applied only once written, so they are not read again. Its foreign records are read first,
   * as at load.
   */
  private async reloadGroup(groupId: string): Promise<void> {
    const p = this.topic.partitionOf(groupId);
    this.forgetGroup(groupId, false);
    if (p === undefined) return;
    await this.replayGroups(new Set([groupId]), false);
    if (this.offsets.has(groupId)) this.ensureSimpleGroup(groupId);
    const group = this.groups.get(groupId);
    if (group !== undefined) for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
    this.consumer.onLoaded(this.clock.now(), [groupId]);
    this.scheduleConsumerTimer();
  }

  /** A group with offsets but no metadata is a simple (classic, Empty) group, as Kafka's are. */
  private ensureSimpleGroup(groupId: string): void {
    if (!this.groups.has(groupId) && this.consumer.group(groupId) === undefined) this.groups.set(groupId, new ClassicGroup(groupId, this.clock.now()));
  }

  /**
   * Applies one stored record to the in-memory state, as Kafka's replay does. An offset written
   * in a transaction (`at.producerId` set) is pending until the transaction's marker.
   */
  private replay(record: GroupRecord, at: RecordPosition): void {
    if (this.consumer.replay(record)) {
      // a group id is one type at a time: the log tombstones the other first
      const groupId = 'group' in record.key ? record.key.group : '';
      const shadow = record.value === null ? undefined : this.groups.get(groupId);
      if (shadow !== undefined && shadow.is('Empty')) this.groups.delete(groupId);
      return;
    }
    const { key, value } = record;
    const now = this.clock.now();
    if (key.type === 'offset') {
      if (value === null) this.deleteOffset(key.group, key.topic, key.partition);
      else {
        const v = value as OffsetCommitValue;
        const offset: CommittedOffset = {
          offset: v.offset,
          leaderEpoch: v.leaderEpoch,
          metadata: v.metadata,
          commitTimestamp: v.commitTimestamp,
          expireTimestamp: v.expireTimestamp >= 0 ? v.expireTimestamp : null,
          recordOffset: at.offset,
        };
        if (at.producerId >= 0) this.pending.put(at.producerId, key.group, key.topic, key.partition, offset);
        else this.putOffset(key.group, key.topic, key.partition, offset);
        // a simple group exists as soon as it has offsets (a consumer group's offsets are its own)
        this.ensureSimpleGroup(key.group);
      }
    } else if (key.type === 'group') {
      if (value === null) {
        this.groups.delete(key.group);
        return;
      }
      const v = value as GroupMetadataValue;
      const group = new ClassicGroup(key.group, v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : now, {
        state: v.members.length === 0 ? 'Empty' : 'Stable',
        generationId: v.generation,
        protocolType: v.protocolType === '' ? null : v.protocolType,
        protocolName: v.protocol,
        leaderId: v.leader,
      });
      for (const m of v.members) {
        const member = new ClassicMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, v.protocolType, [
          { name: v.protocol ?? '', metadata: m.subscription },
        ]);
        member.assignment = m.assignment;
        group.add(member, null);
      }
      group.leaderId = v.leader;
      group.subscribedTopics = this.computeSubscribedTopics(group);
      this.groups.set(key.group, group);
    }
  }

  /**
   * A transaction marker in __consumer_offsets (Kafka's replayEndTransactionMarker): a commit
   * makes the producer's pending offsets the committed ones, except where a later plain commit
   * was written; an abort drops them. Only those of `groups` when given (a partial replay).
   */
  private replayMarker(producerId: number, commit: boolean, groups?: ReadonlySet<string>): void {
    const ended = this.pending.take(producerId, groups);
    if (!commit) return;
    for (const [group, byTopic] of ended) {
      for (const [topic, parts] of byTopic) {
        for (const [partition, o] of parts) {
          const existing = this.offsets.get(group)?.get(topic)?.get(partition);
          if (existing === undefined || o.recordOffset > existing.recordOffset) this.putOffset(group, topic, partition, o);
        }
      }
      this.ensureSimpleGroup(group);
    }
  }

  private putOffset(group: string, topic: string, partition: number, value: CommittedOffset): void {
    putNested(this.offsets, group, topic, partition, value);
  }

  /** A plain tombstone of the partition: its committed offset and any pending ones go. */
  private deleteOffset(group: string, topic: string, partition: number): boolean {
    this.pending.deletePartition(group, topic, partition);
    return deleteNested(this.offsets, group, topic, partition);
  }

  // ---- records ------------------------------------------------------------------------------

  private groupMetadataRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer> | null): Record {
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map(m => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName),
        assignment: assignment?.get(m.memberId) ?? m.assignment,
      })),
    };
    return { key: encodeKey({ type: 'group', group: group.groupId }), value: encodeGroupMetadataValue(value) };
  }

  private groupTombstone(groupId: string): Record {
    return { key: encodeKey({ type: 'group', group: groupId }), value: null };
  }

  private offsetTombstone(group: string, topic: string, partition: number): Record {
    return { key: encodeKey({ type: 'offset', group, topic, partition }), value: null };
  }

  // ---- classic protocol: JoinGroup ----------------------------------------------------------

  async join(req: JoinRequest): Promise<JoinResult> {
    if (req.groupId === '') return joinError(ErrorCode.INVALID_GROUP_ID, req.memberId);
    if (req.sessionTimeoutMs < this.minSessionTimeoutMs || req.sessionTimeoutMs > this.maxSessionTimeoutMs) {
      return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId);
    }
    const check = this.coordinatorCheck(req.groupId);
    if (check !== ErrorCode.NONE) return joinError(check, req.memberId);

    const isUnknownMember = req.memberId === '';
    // a classic member joins a consumer group with members as one of its members (Kafka's mixed
    // groups); an empty consumer group becomes a classic group, as in Kafka
    const prelude: Record[] = [];
    const consumerGroup = this.consumer.group(req.groupId);
    if (consumerGroup !== undefined) {
      if (consumerGroup.state !== 'Empty') return this.joinConsumerGroup(req);
      if (!isUnknownMember) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
      prelude.push(...this.consumer.deleteGroup(req.groupId).records.map(encodeRecord));
      this.log.info({ group: req.groupId }, 'the empty consumer group becomes a classic group');
    }
    let group = this.groups.get(req.groupId);
    const isNewGroup = group === undefined;
    if (group === undefined) {
      if (!isUnknownMember) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
      group = new ClassicGroup(req.groupId, this.clock.now());
      this.groups.set(req.groupId, group);
    }
    let result: Promise<JoinResult>;
    if (!this.acceptJoiningMember(group, req.memberId)) {
      result = Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, ''));
    } else if (isUnknownMember) {
      result = this.joinNewMember(group, req);
    } else {
      result = this.joinExistingMember(group, req);
    }
    if (isNewGroup) {
      // Kafka writes the new, empty group so it exists in the log from the start
      const code = await this.write(req.groupId, [...prelude, this.groupMetadataRecord(group, null)]);
      if (code !== ErrorCode.NONE && prelude.length > 0) {
        await this.reloadGroup(req.groupId);
        return joinError(code, req.memberId);
      }
      if (code !== ErrorCode.NONE && group.is('Empty') && group.members.size === 0) {
        this.groups.delete(req.groupId);
        return joinError(code, req.memberId);
      }
    }
    return result;
  }

  /** JoinGroup to a consumer group with members: the member joins it as a classic member (Kafka's classicGroupJoinToConsumerGroup). */
  private async joinConsumerGroup(req: JoinRequest): Promise<JoinResult> {
    const out = this.consumer.classicJoin(req, { ...this.consumerContext(), clientId: req.clientId, clientHost: req.clientHost });
    if (out.errorCode !== ErrorCode.NONE) return joinError(out.errorCode, out.memberId);
    const records = out.records.map(encodeRecord);
    // a classic static member replacing the last consumer-protocol member downgrades the group, with no rebalance
    if (out.downgrade !== null) records.push(this.installDowngrade(out.downgrade, false));
    this.scheduleConsumerTimer();
    const code = await this.write(req.groupId, records);
    if (code !== ErrorCode.NONE) {
      await this.reloadGroup(req.groupId);
      return joinError(code, out.memberId);
    }
    return {
      errorCode: ErrorCode.NONE,
      generationId: out.generationId,
      protocolType: 'consumer',
      protocolName: out.protocolName,
      leader: '',
      skipAssignment: false,
      memberId: out.memberId,
      members: [],
    };
  }

  /**
   * Kafka's convertToClassicGroup, second half: the classic group a downgraded consumer group
   * becomes (Stable at the group epoch, each member's target assignment as its assignment) is put
   * in place at once, its members' sessions started, and (unless a static member's replacement
   * caused it) a rebalance begun. Returns its GroupMetadata record, to write after the consumer
   * group's tombstones.
   */
  private installDowngrade(s: ClassicGroupSnapshot, rebalance: boolean): Record {
    const group = new ClassicGroup(s.groupId, this.clock.now(), { state: 'Stable', generationId: s.generationId, protocolType: 'consumer' });
    for (const m of s.members) {
      group.add(new ClassicMember(m.memberId, m.instanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.sessionTimeoutMs, 'consumer', m.protocols), null);
    }
    try {
      group.protocolName = group.selectProtocol();
    } catch (err) {
      // every classic member of a consumer group shares a protocol with the others; guard anyway
      this.log.error({ group: s.groupId, err }, 'downgraded group has no protocol every member supports');
      group.protocolName = s.members[0]?.protocols[0]?.name ?? null;
    }
    for (const m of s.members) {
      const member = group.members.get(m.memberId)!;
      member.assignment = classicAssignmentBytes(m.assigned, member.metadataFor(group.protocolName));
    }
    group.subscribedTopics = this.computeSubscribedTopics(group);
    const record = this.groupMetadataRecord(group, null);
    this.groups.set(s.groupId, group);
    for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
    this.log.info({ group: s.groupId, generation: s.generationId, members: group.members.size }, 'the consumer group is downgraded to a classic group');
    if (rebalance) this.prepareRebalance(group, `Downgrade group ${s.groupId} from consumer to classic.`);
    return record;
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        const m = group.members.get(memberId);
        return (m !== undefined && m.awaitingJoin !== null) || group.numAwaitingJoin < this.maxGroupSize;
      }
      default:
        return group.members.has(memberId) || group.members.size < this.maxGroupSize;
    }
  }

  /** Kafka's member ids: the client id (or group.instance.id), '-', and a java.util.UUID in its text form. */
  private newMemberId(prefix: string): string {
    return `${prefix}-${javaUuid(this.deps.random(16))}`;
  }

  private joinNewMember(group: ClassicGroup, req: JoinRequest): Promise<JoinResult> {
    if (group.is('Dead')) return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, ''));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ''));
    const newMemberId = this.newMemberId(req.groupInstanceId ?? req.clientId);
    if (req.groupInstanceId !== null) {
      const existing = group.staticMembers.get(req.groupInstanceId);
      if (existing !== undefined) return this.replaceStaticMember(group, req, existing, newMemberId);
      return this.addMemberAndRebalance(group, req, newMemberId);
    }
    if (req.requireKnownMemberId) {
      group.pendingJoinMembers.add(newMemberId);
      this.scheduleMemberExpiry(group, newMemberId, req.sessionTimeoutMs);
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
    }
    return this.addMemberAndRebalance(group, req, newMemberId);
  }

  private joinExistingMember(group: ClassicGroup, req: JoinRequest): Promise<JoinResult> {
    const memberId = req.memberId;
    if (group.is('Dead')) return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
    if (group.pendingJoinMembers.has(memberId)) {
      if (req.groupInstanceId !== null) return Promise.resolve(joinError(ErrorCode.INVALID_REQUEST, memberId));
      return this.addMemberAndRebalance(group, req, memberId);
    }
    const invalid = group.validateMember(memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(joinError(invalid, memberId));
    const member = group.members.get(memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) return Promise.resolve(this.currentJoinResult(group, memberId, group.isLeader(memberId)));
        return this.updateMemberAndRebalance(group, member, req);
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(req.protocols)) return this.updateMemberAndRebalance(group, member, req);
        return Promise.resolve(this.currentJoinResult(group, memberId, false));
      default:
        this.log.warn({ group: group.groupId, member: memberId, state: group.state }, 'rejoining member in an unexpected group state');
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    }
  }

  private currentJoinResult(group: ClassicGroup, memberId: string, withMembers: boolean, skipAssignment = false): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId,
      members: withMembers ? group.currentMembers() : [],
    };
  }

  private addMemberAndRebalance(group: ClassicGroup, req: JoinRequest, memberId: string): Promise<JoinResult> {
    const member = new ClassicMember(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols);
    member.isNew = true;
    this.cancelPendingExpiry(group.groupId, memberId);
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    const result = new Promise<JoinResult>(resolve => group.add(member, resolve));
    // a new member's parked JoinGroup times out: it cannot heartbeat without its member id
    this.rescheduleHeartbeat(group, member, this.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group, `adding new member ${memberId}${req.reason ? `; client reason: ${req.reason}` : ''}`);
    return result;
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: ClassicMember, req: JoinRequest): Promise<JoinResult> {
    const result = new Promise<JoinResult>(resolve => group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, resolve));
    this.maybePrepareRebalanceOrCompleteJoin(group, `member ${member.memberId} joining in state ${group.state}${req.reason ? `; client reason: ${req.reason}` : ''}`);
    return result;
  }

  private async replaceStaticMember(group: ClassicGroup, req: JoinRequest, oldMemberId: string, newMemberId: string): Promise<JoinResult> {
    const currentLeader = group.leaderId;
    const member = group.replaceStaticMember(req.groupInstanceId!, oldMemberId, newMemberId);
    this.rescheduleHeartbeat(group, member);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    let resolveJoin!: (r: JoinResult) => void;
    const result = new Promise<JoinResult>(resolve => (resolveJoin = resolve));
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, resolveJoin);
    if (group.is('Stable')) {
      if ((group.protocolName ?? '') === group.selectProtocol()) {
        // same protocol next generation: keep the assignment, persist the new member id
        const code = await this.write(group.groupId, [this.groupMetadataRecord(group, null)]);
        if (code !== ErrorCode.NONE) {
          group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
          const restored = group.replaceStaticMember(req.groupInstanceId!, newMemberId, oldMemberId);
          this.rescheduleHeartbeat(group, restored);
          return { ...this.currentJoinResult(group, '', false), errorCode: code, leader: currentLeader ?? '' };
        }
        const isLeader = group.isLeader(newMemberId);
        const skip = req.supportsSkipAssignment;
        group.completeJoin(member, {
          ...this.currentJoinResult(group, newMemberId, skip && isLeader, skip && isLeader),
          leader: skip ? (group.leaderId ?? '') : (currentLeader ?? ''),
        });
        return result;
      }
      this.maybePrepareRebalanceOrCompleteJoin(group, `static member ${req.groupInstanceId} rejoined with a different protocol`);
    } else if (group.is('CompletingRebalance')) {
      this.prepareRebalance(group, `static member ${req.groupInstanceId} rejoined during CompletingRebalance`);
    } else {
      this.maybeCompleteJoinPhase(group);
    }
    return result;
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance') || group.previousState === 'Empty' || !group.hasAllMembersJoined) return;
    this.completeJoin(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignment(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.pendingSyncMembers.clear();
    group.syncTimer?.cancel();
    group.syncTimer = null;
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.clock.now());
    this.log.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
    group.joinTimer?.cancel();
    if (initial) {
      const delay = this.initialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0);
      group.joinTimer = this.clock.setTimeout(() => this.tryCompleteInitialRebalance(group, delay, remaining), delay);
      return;
    }
    if (group.hasAllMembersJoined) this.completeJoin(group);
    else group.joinTimer = this.clock.setTimeout(() => this.completeJoin(group), group.rebalanceTimeoutMs);
  }

  private tryCompleteInitialRebalance(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    group.joinTimer = null;
    if (this.groups.get(group.groupId) !== group || !group.is('PreparingRebalance')) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const next = Math.min(this.initialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      group.joinTimer = this.clock.setTimeout(() => this.tryCompleteInitialRebalance(group, next, nextRemaining), next);
      return;
    }
    this.completeJoin(group);
  }

  /** Ends the join phase: drops members that did not rejoin, starts the next generation, answers the parked joins. */
  private completeJoin(group: ClassicGroup): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    if (this.groups.get(group.groupId) !== group || !group.is('PreparingRebalance')) return;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null && m.groupInstanceId === null) group.remove(m.memberId);
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // nobody rejoined: wait for the session timeouts to remove the silent members
      this.log.error({ group: group.groupId }, 'group could not complete its rebalance because no members rejoined');
      group.joinTimer = this.clock.setTimeout(() => this.completeJoin(group), group.rebalanceTimeoutMs);
      return;
    }
    const now = this.clock.now();
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.subscribedTopics = this.computeSubscribedTopics(group);
      group.transitionTo('Empty', now);
      group.pendingSyncMembers.clear();
      this.log.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
      void this.write(group.groupId, [this.groupMetadataRecord(group, null)]);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.subscribedTopics = this.computeSubscribedTopics(group);
    group.transitionTo('CompletingRebalance', now);
    group.pendingSyncMembers.clear();
    this.log.info({ group: group.groupId, generation: group.generationId, members: group.members.size, protocol: group.protocolName }, 'group generation complete');
    for (const m of group.members.values()) {
      group.completeJoin(m, this.currentJoinResult(group, m.memberId, group.isLeader(m.memberId)));
      this.rescheduleHeartbeat(group, m);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    const generation = group.generationId;
    // Kafka's coordinator timer runs an already-due expiry at once: with a rebalance timeout of 0
    // the members are gone before any SyncGroup can arrive (UNKNOWN_MEMBER_ID), never after it
    if (group.rebalanceTimeoutMs <= 0) this.expirePendingSync(group, generation);
    else group.syncTimer = this.clock.setTimeout(() => this.expirePendingSync(group, generation), group.rebalanceTimeoutMs);
  }

  private expirePendingSync(group: ClassicGroup, generation: number): void {
    group.syncTimer = null;
    if (this.groups.get(group.groupId) !== group || generation !== group.generationId) return;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0) return;
    const late = [...group.pendingSyncMembers];
    for (const id of late) group.remove(id);
    this.prepareRebalance(group, `removing ${late.join(', ')} on pending sync request expiration`);
  }

  private resetAndPropagateAssignment(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const sent = group.completeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      if (sent) this.rescheduleHeartbeat(group, m);
    }
  }

  private computeSubscribedTopics(group: ClassicGroup): Set<string> | null {
    if (group.protocolType !== 'consumer') return null;
    if (group.members.size === 0) return new Set();
    if (group.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of group.members.values()) for (const t of decodeSubscription(m.metadataFor(group.protocolName)).topics) topics.add(t);
    } catch (err) {
      this.log.warn({ group: group.groupId, err }, 'cannot read the members\' consumer protocol subscriptions; subscribed topics unknown');
      return null;
    }
    return topics;
  }

  // ---- heartbeats and session timeouts ------------------------------------------------------

  private rescheduleHeartbeat(group: ClassicGroup, member: ClassicMember, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeat?.cancel();
    member.heartbeat = this.clock.setTimeout(() => this.expireHeartbeat(group, member.memberId), timeoutMs);
  }

  private readonly pendingExpiry = new Map<string, Timer>();

  private scheduleMemberExpiry(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    const key = `${group.groupId}\u0000${memberId}`;
    this.pendingExpiry.get(key)?.cancel();
    this.pendingExpiry.set(
      key,
      this.clock.setTimeout(() => {
        this.pendingExpiry.delete(key);
        this.expireHeartbeat(group, memberId);
      }, timeoutMs),
    );
  }

  private cancelPendingExpiry(groupId: string, memberId: string): void {
    const key = `${groupId}\u0000${memberId}`;
    this.pendingExpiry.get(key)?.cancel();
    this.pendingExpiry.delete(key);
  }

  private expireHeartbeat(group: ClassicGroup, memberId: string): void {
    if (this.groups.get(group.groupId) !== group || group.is('Dead')) return;
    if (group.pendingJoinMembers.has(memberId)) {
      this.log.info({ group: group.groupId, member: memberId }, 'pending member removed after its session timeout');
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
      return;
    }
    const member = group.members.get(memberId);
    if (member === undefined || member.satisfiesHeartbeat) return;
    this.log.info({ group: group.groupId, member: memberId }, 'member failed to heartbeat within its session timeout; removing it from the group');
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicMember, reason: string): void {
    group.completeJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID, ''));
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
  }

  // ---- SyncGroup, Heartbeat, LeaveGroup ------------------------------------------------------

  async sync(req: SyncRequest): Promise<SyncResult> {
    const fail = (errorCode: number): SyncResult => ({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT });
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const check = this.coordinatorCheck(req.groupId);
    if (check !== ErrorCode.NONE) return fail(check);
    if (this.consumer.group(req.groupId) !== undefined) {
      const out = this.consumer.classicSync(req, this.consumerContext());
      this.scheduleConsumerTimer();
      return out;
    }
    const group = this.groups.get(req.groupId);
    if (group === undefined || group.is('Empty')) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return fail(invalid);
    if (req.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    const inconsistent = (mine: string | null, theirs: string | null) => mine !== null && theirs !== null && mine !== theirs;
    if (inconsistent(req.protocolType, group.protocolType) || inconsistent(req.protocolName, group.protocolName)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const member = group.members.get(req.memberId)!;
    if (group.is('PreparingRebalance')) return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    if (group.is('Stable')) {
      this.removePendingSync(group, req.memberId);
      return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
    }
    // CompletingRebalance: park until the leader's assignment is stored
    const result = new Promise<SyncResult>(resolve => (member.awaitingSync = resolve));
    this.removePendingSync(group, req.memberId);
    if (group.isLeader(req.memberId)) {
      const assignment = new Map<string, Buffer>();
      for (const a of req.assignments) assignment.set(a.memberId, a.assignment);
      for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_ASSIGNMENT);
      const generation = group.generationId;
      const code = await this.write(group.groupId, [this.groupMetadataRecord(group, assignment)]);
      if (this.groups.get(group.groupId) === group && group.is('CompletingRebalance') && generation === group.generationId) {
        if (code !== ErrorCode.NONE) {
          this.resetAndPropagateAssignment(group, code);
          this.maybePrepareRebalanceOrCompleteJoin(group, `error ${code} storing the group assignment`);
        } else {
          for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT;
          this.propagateAssignment(group, ErrorCode.NONE);
          group.transitionTo('Stable', this.clock.now());
          this.log.info({ group: group.groupId, generation }, 'group is stable');
        }
      }
    }
    return result;
  }

  private removePendingSync(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 || !(group.is('CompletingRebalance') || group.is('Stable'))) {
      group.syncTimer?.cancel();
      group.syncTimer = null;
    }
  }

  heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const check = this.coordinatorCheck(req.groupId);
    if (check !== ErrorCode.NONE) return check;
    if (this.consumer.group(req.groupId) !== undefined) {
      const code = this.consumer.classicHeartbeat(req, this.clock.now());
      this.scheduleConsumerTimer();
      return code;
    }
    const group = this.groups.get(req.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.rescheduleHeartbeat(group, member);
        return ErrorCode.NONE;
    }
  }

  /** LeaveGroup: a top-level error, else one per member (v0-2 send one member, answered at the top level). */
  async leave(groupId: string, members: MemberIdentity[]): Promise<{ errorCode: number; members: { memberId: string; groupInstanceId: string | null; errorCode: number }[] }> {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const check = this.coordinatorCheck(groupId);
    if (check !== ErrorCode.NONE) return { errorCode: check, members: [] };
    if (this.consumer.group(groupId) !== undefined) {
      // classic members leaving a consumer group (Kafka's classicGroupLeaveToConsumerGroup)
      const out = this.consumer.classicLeave(groupId, members, this.consumerContext());
      if (out.records.length > 0) {
        this.log.info({ group: groupId, members: out.members.filter(m => m.errorCode === ErrorCode.NONE).map(m => m.memberId) }, 'classic members left the consumer group');
      }
      const code = await this.writeConsumerRecords(groupId, out.records);
      return code === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, members: out.members } : { errorCode: code, members: [] };
    }
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out: { memberId: string; groupInstanceId: string | null; errorCode: number }[] = [];
    const left: string[] = [];
    for (const m of members) {
      const answer = (errorCode: number) => out.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
      if (m.memberId === '') {
        // an administrative removal by group.instance.id
        const id = m.groupInstanceId === null ? undefined : group.staticMembers.get(m.groupInstanceId);
        if (id === undefined) answer(ErrorCode.UNKNOWN_MEMBER_ID);
        else {
          this.removeCurrentMember(group, id);
          left.push(id);
          answer(ErrorCode.NONE);
        }
      } else if (group.pendingJoinMembers.has(m.memberId)) {
        group.remove(m.memberId);
        this.cancelPendingExpiry(groupId, m.memberId);
        left.push(m.memberId);
        answer(ErrorCode.NONE);
      } else {
        const invalid = group.validateMember(m.memberId, m.groupInstanceId);
        if (invalid !== ErrorCode.NONE) answer(invalid);
        else {
          this.removeCurrentMember(group, m.memberId);
          left.push(m.memberId);
          answer(ErrorCode.NONE);
        }
      }
    }
    if (left.length > 0) {
      this.log.info({ group: groupId, members: left }, 'members left the group');
      if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, `explicit LeaveGroup of ${left.join(', ')}`);
      else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string): void {
    const member = group.members.get(memberId);
    if (member === undefined) return;
    group.completeJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID, ''));
    group.remove(memberId);
  }

  // ---- offsets ------------------------------------------------------------------------------

  /** Validates an OffsetCommit against the group (Kafka's validateOffsetCommit); creates a simple group when allowed. */
  private validateCommit(req: OffsetCommitRequest): number {
    const consumerGroup = this.consumer.group(req.groupId);
    if (consumerGroup !== undefined) return consumerGroup.offsetCommitError(req.memberId, req.groupInstanceId, req.generationIdOrMemberEpoch, false, req.apiVersion);
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      if (req.generationIdOrMemberEpoch >= 0) return req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
      group = new ClassicGroup(req.groupId, this.clock.now());
      this.groups.set(req.groupId, group);
      this.log.info({ group: req.groupId }, 'creating a simple group via a manual offset commit');
    }
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (req.generationIdOrMemberEpoch < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (req.generationIdOrMemberEpoch >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const invalid = group.validateMember(req.memberId, req.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (req.generationIdOrMemberEpoch !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is('Empty')) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    // a commit keeps a classic member's session alive
    if (group.is('Stable') || group.is('PreparingRebalance')) {
      const member = group.members.get(req.memberId);
      if (member !== undefined) this.rescheduleHeartbeat(group, member);
    }
    return ErrorCode.NONE;
  }

  /**
   * OffsetCommit, once the handler has answered unknown topics and partitions itself. Resolves
   * with one error per partition; the offsets are visible only once written.
   */
  async commitOffsets(req: OffsetCommitRequest): Promise<TopicPartitionErrors> {
    const all = (code: number): TopicPartitionErrors =>
      req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, errorCode: code })) }));
    const check = this.coordinatorCheck(req.groupId);
    if (check !== ErrorCode.NONE) return all(check);
    const invalid = this.validateCommit(req);
    if (invalid !== ErrorCode.NONE) return all(invalid);
    const expireTimestamp = req.retentionTimeMs === -1 ? null : this.clock.now() + req.retentionTimeMs;
    return this.writeOffsets(req.groupId, req.topics, expireTimestamp, null);
  }

  /**
   * Writes offsets to the group's partition of __consumer_offsets (a partition whose metadata is
   * too large is answered OFFSET_METADATA_TOO_LARGE and left out). Plain ones are committed once
   * written; those of a transaction (`txn`) are pending until its marker.
   */
  private async writeOffsets(
    groupId: string,
    topics: OffsetCommitRequest['topics'],
    expireTimestamp: number | null,
    txn: { producerId: number; producerEpoch: number } | null,
  ): Promise<TopicPartitionErrors> {
    const now = this.clock.now();
    const records: Record[] = [];
    const written: { topic: string; partition: number; value: Omit<CommittedOffset, 'recordOffset'> }[] = [];
    const out: TopicPartitionErrors = topics.map(t => ({
      name: t.name,
      partitions: t.partitions.map(p => {
        if (p.committedMetadata !== null && p.committedMetadata.length > this.metadataMaxBytes) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const value = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata ?? '',
          commitTimestamp: now,
          expireTimestamp,
        };
        records.push({
          key: encodeKey({ type: 'offset', group: groupId, topic: t.name, partition: p.partitionIndex }),
          value: encodeOffsetCommitValue({ ...value, expireTimestamp: expireTimestamp ?? -1 }),
        });
        written.push({ topic: t.name, partition: p.partitionIndex, value });
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    // TxnOffsetCommit maps an oversized write as Kafka's coordinator runtime does (UNKNOWN_SERVER_ERROR)
    const { code, baseOffset } = await this.append(groupId, records, txn === null, txn ?? undefined);
    if (code !== ErrorCode.NONE) {
      for (const t of out) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
      return out;
    }
    written.forEach((w, i) => {
      const value = { ...w.value, recordOffset: baseOffset + i };
      if (txn === null) this.putOffset(groupId, w.topic, w.partition, value);
      else this.pending.put(txn.producerId, groupId, w.topic, w.partition, value);
    });
    return out;
  }

  /** Validates a TxnOffsetCommit against the group (Kafka's validateTransactionalOffsetCommit); creates a simple group when allowed. */
  private validateTxnCommit(req: TxnOffsetCommitRequest): number {
    const consumerGroup = this.consumer.group(req.groupId);
    if (consumerGroup !== undefined) {
      const code = consumerGroup.offsetCommitError(req.memberId, req.groupInstanceId, req.generationId, true, req.apiVersion);
      return code === ErrorCode.STALE_MEMBER_EPOCH ? ErrorCode.ILLEGAL_GENERATION : code;
    }
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      if (req.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      group = new ClassicGroup(req.groupId, this.clock.now());
      this.groups.set(req.groupId, group);
      this.log.info({ group: req.groupId }, 'creating a simple group via a transactional offset commit');
    }
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    // older versions name no member: a transactional commit is not tied to the group's state
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const invalid = group.validateMember(req.memberId, req.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    }
    return ErrorCode.NONE;
  }

  /**
   * TxnOffsetCommit, once the handler has answered unknown topics and partitions itself (Kafka's
   * commitTransactionalOffsets): the offsets are written to the group's partition of
   * __consumer_offsets as a transactional batch of the producer, and stay pending, invisible to
   * OffsetFetch, until the transaction's marker commits them there (or an abort drops them).
   */
  async commitTxnOffsets(req: TxnOffsetCommitRequest): Promise<TopicPartitionErrors> {
    const all = (code: number): TopicPartitionErrors =>
      req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, errorCode: code })) }));
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const check = this.coordinatorCheck(req.groupId);
    if (check !== ErrorCode.NONE) return all(check);
    const p = this.topic.partitionOf(req.groupId)!;
    // KIP-890: the transaction must include the group's partition before its first offsets there
    // (AddOffsetsToTxn added it, or v5+ adds it now); later ones of the same transaction find it
    // open in the partition
    if (this.txnVerifier !== null && !this.deps.replicas.inTransaction(p, req.producerId, req.producerEpoch)) {
      const verified = await this.txnVerifier(req.transactionalId, req.producerId, req.producerEpoch, p, req.apiVersion);
      if (verified !== ErrorCode.NONE) return all(verified);
    }
    const invalid = this.validateTxnCommit(req);
    if (invalid !== ErrorCode.NONE) return all(invalid);
    return this.writeOffsets(req.groupId, req.topics, null, { producerId: req.producerId, producerEpoch: req.producerEpoch });
  }

  /**
   * OffsetFetch for one group: `topics` null asks for every committed offset. Unknown groups and
   * partitions without a commit answer offset -1, as Kafka does.
   */
  fetchOffsets(
    groupId: string,
    topics: { name: string; partitionIndexes: number[] }[] | null,
    member: { memberId: string | null; memberEpoch: number } | null = null,
    requireStable = false,
  ): FetchedOffsets {
    const check = this.coordinatorCheck(groupId);
    if (check !== ErrorCode.NONE) return { errorCode: check, topics: [] };
    // v9+ name the member: a consumer group checks its epoch (a classic group does not, as in Kafka)
    const consumerGroup = this.consumer.group(groupId);
    const invalid = consumerGroup === undefined || member === null ? ErrorCode.NONE : consumerGroup.offsetFetchError(member.memberId, member.memberEpoch);
    if (invalid !== ErrorCode.NONE) return { errorCode: invalid, topics: [] };
    const group = this.groups.get(groupId);
    const known = consumerGroup !== undefined || (group !== undefined && !group.is('Dead'));
    const stored = known ? this.offsets.get(groupId) : undefined;
    // require_stable (v7+): an offset an open transaction has written is not answered yet
    const entry = (topic: string, partitionIndex: number, o: CommittedOffset | undefined) =>
      requireStable && known && this.pending.has(groupId, topic, partitionIndex)
        ? { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
        : o === undefined
          ? { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
          : { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
    if (topics === null) {
      const out: FetchedOffsets['topics'] = [];
      for (const [name, parts] of stored ?? []) {
        out.push({ name, partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([i, o]) => entry(name, i, o)) });
      }
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map(t => ({ name: t.name, partitions: t.partitionIndexes.map(i => entry(t.name, i, stored?.get(t.name)?.get(i))) })),
    };
  }

  /** OffsetDelete: a top-level error, else one per partition. */
  async deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<{ errorCode: number; topics: TopicPartitionErrors }> {
    const check = this.coordinatorCheck(groupId);
    if (check !== ErrorCode.NONE) return { errorCode: check, topics: [] };
    const consumerGroup = this.consumer.group(groupId);
    const group = this.groups.get(groupId);
    let isSubscribed: (topic: string) => boolean;
    if (consumerGroup !== undefined) {
      const subscribed = consumerGroup.subscribedTopicNames();
      isSubscribed = topic => subscribed.has(topic);
    } else {
      if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
      if (!group.is('Empty') && !group.usesConsumerProtocol()) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      isSubscribed = topic => !group.is('Empty') && group.isSubscribedToTopic(topic);
    }
    const records: Record[] = [];
    const deleted: [string, number][] = [];
    const out: TopicPartitionErrors = topics.map(t => {
      const subscribed = isSubscribed(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map(p => {
          if (subscribed) return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          // a tombstone also when only an open transaction has an offset there (Kafka's deleteOffsets)
          if (this.offsets.get(groupId)?.get(t.name)?.has(p) || this.pending.has(groupId, t.name, p)) {
            records.push(this.offsetTombstone(groupId, t.name, p));
            deleted.push([t.name, p]);
          }
          return { partitionIndex: p, errorCode: ErrorCode.NONE };
        }),
      };
    });
    const code = await this.write(groupId, records, true);
    if (code !== ErrorCode.NONE) return { errorCode: code, topics: [] };
    for (const [t, p] of deleted) this.deleteOffset(groupId, t, p);
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  // ---- KIP-848 consumer groups ----------------------------------------------------------------

  /** The cluster's topics as the consumer groups see them; the same Map while the metadata is unchanged. */
  private consumerContext(): ConsumerGroupContext {
    const cluster = this.deps.cluster;
    if (this.topicsCache === null || this.topicsCache.version !== cluster.metadataVersion) {
      const topics = new Map<string, TopicInfo>();
      for (const t of cluster.topics()) topics.set(t.name, { id: t.id, partitions: t.partitions.length, internal: t.internal });
      this.topicsCache = { version: cluster.metadataVersion, topics };
    }
    return { now: this.clock.now(), topics: this.topicsCache.topics, metadataVersion: this.topicsCache.version };
  }

  /** Appends a consumer group's records; when that fails, the group is read back from the log and the error returned. */
  private async writeConsumerRecords(groupId: string, records: GroupRecord[]): Promise<number> {
    const code = await this.write(groupId, records.map(encodeRecord));
    if (code !== ErrorCode.NONE) await this.reloadGroup(groupId);
    return code;
  }

  /**
   * ConsumerGroupHeartbeat (KIP-848). The answer is given once the records are written. An empty
   * classic group of the same id (a simple group with only offsets, say) becomes a consumer group
   * on a member's first heartbeat, as in Kafka; a classic group with members is upgraded online
   * when group.consumer.migration.policy allows it (else GROUP_ID_NOT_FOUND). A member's leave
   * that downgrades the group writes the classic group it becomes after the tombstones.
   */
  async consumerHeartbeat(
    req: ConsumerGroupHeartbeatRequest,
    ctx: { apiVersion: number; clientId: string; clientHost: string; /** With an authorizer: whether the member may describe a topic (regex subscriptions see only those). */ topicDescribable?: (topic: string) => boolean },
  ): Promise<ConsumerGroupHeartbeatResponse> {
    const error = (errorCode: number, errorMessage: string | null = null): ConsumerGroupHeartbeatResponse => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      memberId: null,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    const check = this.coordinatorCheck(req.groupId);
    if (check !== ErrorCode.NONE) return error(check);
    const invalid = this.consumer.invalidHeartbeat(req, ctx.apiVersion);
    if (invalid !== null) return invalid;
    const records: GroupRecord[] = [];
    const classic = this.consumer.group(req.groupId) === undefined ? this.groups.get(req.groupId) : undefined;
    const notConsumer = `Group ${req.groupId} is not a consumer group`;
    if (classic !== undefined) {
      if (req.memberEpoch !== 0) return error(ErrorCode.GROUP_ID_NOT_FOUND, notConsumer);
      if (classic.is('Empty')) {
        // Kafka deletes the empty classic group in the batch that creates the consumer group
        this.groups.delete(req.groupId);
        records.push({ key: { type: 'group', group: req.groupId }, value: null });
      } else {
        // Kafka's online upgrade: the classic members become classic members of a consumer group
        if (!classic.usesConsumerProtocol() || !this.consumer.upgradeAllowed(classic.members.size)) return error(ErrorCode.GROUP_ID_NOT_FOUND, notConsumer);
        const upgraded = this.upgradeClassicGroup(classic);
        if (typeof upgraded === 'string') return error(ErrorCode.GROUP_ID_NOT_FOUND, upgraded);
        records.push({ key: { type: 'group', group: req.groupId }, value: null }, ...upgraded);
      }
    }
    const result = this.consumer.heartbeat(req, { ...this.consumerContext(), ...ctx });
    if (classic !== undefined) {
      if (result.response.errorCode !== ErrorCode.NONE) {
        // the group stays what it was (Kafka: the conversion's records are not replayed)
        this.consumer.unload(req.groupId);
        this.groups.set(req.groupId, classic);
      } else {
        this.dropClassicGroup(classic);
        this.log.info({ group: req.groupId, members: classic.members.size }, 'the classic group becomes a consumer group');
      }
    }
    if (result.response.errorCode !== ErrorCode.NONE) return result.response;
    records.push(...result.records);
    // the member's leave downgraded the group: the classic group it becomes is written after the tombstones
    const downgraded = result.downgrade != null ? [this.installDowngrade(result.downgrade, true)] : [];
    this.scheduleConsumerTimer();
    const code = await this.write(req.groupId, [...records.map(encodeRecord), ...downgraded]);
    if (code !== ErrorCode.NONE) await this.reloadGroup(req.groupId);
    return code === ErrorCode.NONE ? result.response : error(code);
  }

  /**
   * Kafka's convertToConsumerGroup: members parked in a join or sync are told REBALANCE_IN_PROGRESS,
   * and the consumer group is created from the classic members (records applied, to be written
   * after the classic tombstone). The classic group is taken out of the map; the caller puts it
   * back if the heartbeat fails. A message (Kafka's) when the group cannot be converted.
   */
  private upgradeClassicGroup(classic: ClassicGroup): GroupRecord[] | string {
    for (const m of classic.members.values()) {
      classic.completeJoin(m, joinError(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
      classic.completeSync(m, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT });
    }
    const snapshot: ClassicGroupSnapshot = {
      groupId: classic.groupId,
      generationId: classic.generationId,
      protocolName: classic.protocolName,
      members: [...classic.members.values()].map(m => ({
        memberId: m.memberId,
        instanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        protocols: m.protocols,
        assignment: m.assignment,
        assigned: [],
      })),
    };
    try {
      const records = this.consumer.upgradeFromClassic(snapshot, this.consumerContext());
      this.groups.delete(classic.groupId);
      return records;
    } catch (err) {
      if (!(err instanceof ConversionError)) throw err;
      this.log.warn({ group: classic.groupId, reason: err.message }, 'cannot upgrade the classic group');
      return err.message;
    }
  }

  /** Keeps one timer at the earliest consumer-group deadline. */
  private scheduleConsumerTimer(): void {
    if (this.closed || !this.loaded) return;
    const next = this.consumer.nextDeadline();
    if (this.consumerTimer !== null) {
      if (next !== null && this.consumerTimer.at <= next) return;
      this.consumerTimer.timer.cancel();
      this.consumerTimer = null;
    }
    if (next === null) return;
    const timer = this.clock.setTimeout(
      () => {
        this.consumerTimer = null;
        this.expireConsumerMembers()
          .catch(err => this.log.error({ err }, 'expiring consumer group members failed'))
          .finally(() => this.scheduleConsumerTimer());
      },
      Math.max(0, next - this.clock.now()),
    );
    this.consumerTimer = { at: next, timer };
  }

  /** Fences the consumer-group members whose session or rebalance timeout passed, and writes what changed. */
  private async expireConsumerMembers(): Promise<void> {
    const expired = this.consumer.expire(this.consumerContext());
    await Promise.all(
      expired.map(async e => {
        for (const f of e.fenced) {
          this.log.info({ group: f.groupId, member: f.memberId }, FENCE_REASONS[f.reason]);
        }
        if (e.downgrade === null) {
          await this.writeConsumerRecords(e.groupId, e.records);
          return;
        }
        const record = this.installDowngrade(e.downgrade, true);
        const code = await this.write(e.groupId, [...e.records.map(encodeRecord), record]);
        if (code !== ErrorCode.NONE) await this.reloadGroup(e.groupId);
      }),
    );
  }

  /** ConsumerGroupDescribe: each group in request order; classic groups are GROUP_ID_NOT_FOUND, as in Kafka. */
  describeConsumerGroups(groupIds: readonly string[]): ConsumerGroupDescribeResponseDescribedGroup[] {
    const topics = this.consumerContext().topics;
    return groupIds.map(groupId => {
      const check = this.coordinatorCheck(groupId);
      if (check !== ErrorCode.NONE) return { ...defaultConsumerGroupDescribeResponseDescribedGroup(), groupId, errorCode: check };
      return this.consumer.describe([groupId], topics)[0]!;
    });
  }

  // ---- group admin --------------------------------------------------------------------------

  describe(groupId: string, apiVersion: number): DescribedGroup {
    const base = { errorMessage: null, groupId, protocolType: '', protocolData: '', members: [] };
    const check = this.coordinatorCheck(groupId);
    if (check !== ErrorCode.NONE) return { ...base, errorCode: check, groupState: '' };
    const group = this.groups.get(groupId);
    if (group === undefined || group.is('Dead')) {
      // v6 (KIP-1043) names the missing group; older versions describe it as Dead. A consumer
      // group is not a classic group to this API.
      const message = this.consumer.group(groupId) === undefined ? `Group ${groupId} not found.` : `Group ${groupId} is not a classic group.`;
      if (apiVersion >= 6) return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: message, groupState: 'Dead' };
      return { ...base, errorCode: ErrorCode.NONE, groupState: 'Dead' };
    }
    const stable = group.is('Stable');
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map(m => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName) : EMPTY_ASSIGNMENT,
        memberAssignment: stable ? m.assignment : EMPTY_ASSIGNMENT,
      })),
    };
  }

  /** ListGroups: the groups this node coordinates, filtered by state and type (case-insensitive). */
  list(statesFilter: string[], typesFilter: string[]): { errorCode: number; groups: ListedGroup[] } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = new Set(statesFilter.map(s => s.toLowerCase()));
    const types = new Set(typesFilter.map(s => s.toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead') || this.coordinatorCheck(g.groupId) !== ErrorCode.NONE) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has(g.type)) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: g.type });
    }
    for (const g of this.consumer.listGroups()) {
      if (this.coordinatorCheck(g.groupId) !== ErrorCode.NONE) continue;
      if (states.size > 0 && !states.has(g.groupState.toLowerCase())) continue;
      if (types.size > 0 && !types.has(g.groupType)) continue;
      out.push(g);
    }
    return { errorCode: ErrorCode.NONE, groups: out };
  }

  /** DeleteGroups for one group: its offsets and metadata are tombstoned. */
  async deleteGroup(groupId: string): Promise<number> {
    const check = this.coordinatorCheck(groupId);
    if (check !== ErrorCode.NONE) return check;
    // the committed offsets, and those only open transactions have (Kafka's deleteAllOffsets)
    const offsetTombstones = (): Record[] => {
      const out: Record[] = [];
      const committed = this.offsets.get(groupId);
      for (const [topic, parts] of committed ?? []) for (const p of parts.keys()) out.push(this.offsetTombstone(groupId, topic, p));
      for (const [topic, p] of this.pending.partitions(groupId)) {
        if (!committed?.get(topic)?.has(p)) out.push(this.offsetTombstone(groupId, topic, p));
      }
      return out;
    };
    if (this.consumer.group(groupId) !== undefined) {
      const deleted = this.consumer.deleteGroup(groupId);
      if (deleted.errorCode !== ErrorCode.NONE) return deleted.errorCode;
      const code = await this.write(groupId, [...offsetTombstones(), ...deleted.records.map(encodeRecord)], true);
      if (code !== ErrorCode.NONE) {
        await this.reloadGroup(groupId);
        return code;
      }
      this.offsets.delete(groupId);
      this.pending.forgetGroup(groupId);
      return ErrorCode.NONE;
    }
    const group = this.groups.get(groupId);
    if (group === undefined || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    const code = await this.write(groupId, [...offsetTombstones(), this.groupTombstone(groupId)], true);
    if (code !== ErrorCode.NONE) return code;
    this.removeGroup(group);
    return ErrorCode.NONE;
  }

  private removeGroup(group: ClassicGroup): void {
    this.dropClassicGroup(group);
    this.offsets.delete(group.groupId);
    this.pending.forgetGroup(group.groupId);
  }

  /** Forgets a classic group's metadata (not its offsets). */
  private dropClassicGroup(group: ClassicGroup): void {
    group.joinTimer?.cancel();
    group.syncTimer?.cancel();
    for (const m of group.members.values()) m.heartbeat?.cancel();
    group.transitionTo('Dead', this.clock.now());
    this.groups.delete(group.groupId);
  }

  /** Committed offset against the log end offset for each partition the group has committed. */
  lag(groupId: string): PartitionLag[] {
    const out: PartitionLag[] = [];
    for (const [topic, parts] of this.offsets.get(groupId) ?? []) {
      const t = this.deps.cluster.topic(topic);
      for (const [partition, o] of [...parts].sort((a, b) => a[0] - b[0])) {
        const p = t?.partitions[partition];
        const logEndOffset = p === undefined ? -1 : p.log.highWatermark;
        out.push({ topic, partition, committedOffset: o.offset, logEndOffset, lag: logEndOffset < 0 ? -1 : Math.max(0, logEndOffset - o.offset) });
      }
    }
    return out;
  }

  /** The ids of the groups this node knows (any state but Dead). */
  groupIds(): string[] {
    return [...this.groups.keys(), ...this.consumer.groupIds()];
  }

  // ---- offset expiration --------------------------------------------------------------------

  private scheduleExpiry(): void {
    const interval = this.deps.config.int('offsets.retention.check.interval.ms');
    if (this.closed || interval >= 2 ** 31) return;
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expireOffsets()
        .catch(err => this.log.error({ err }, 'offset expiration failed'))
        .finally(() => this.scheduleExpiry());
    }, interval);
  }

  /**
   * Deletes committed offsets past offsets.retention.minutes (or their explicit expire time), as
   * Kafka's cleanupGroupMetadata does: for an empty group, counted from when it became empty; for
   * a simple group, from the commit. An empty group left without offsets is deleted.
   */
  async expireOffsets(): Promise<number> {
    let expired = 0;
    for (const group of [...this.groups.values()]) {
      if (this.coordinatorCheck(group.groupId) !== ErrorCode.NONE) continue;
      let base: ((o: CommittedOffset) => number) | null = null;
      if (group.isSimple) base = o => o.commitTimestamp;
      else if (group.is('Empty')) base = () => group.stateTimestamp;
      const { records, gone, emptied } = this.expiredOffsets(group.groupId, base, group.is('Empty'));
      if (emptied) records.push(this.groupTombstone(group.groupId));
      if (records.length === 0) continue;
      const code = await this.write(group.groupId, records, true);
      if (code !== ErrorCode.NONE) continue;
      for (const [t, p] of gone) this.deleteOffset(group.groupId, t, p);
      expired += gone.length;
      // the write may have let a member join meanwhile
      if (emptied && group.is('Empty') && this.groups.get(group.groupId) === group) {
        this.log.info({ group: group.groupId }, 'group has no offsets left and is deleted');
        this.removeGroup(group);
      }
    }
    // a consumer group's offsets expire from their commit, except for the topics it subscribes to
    for (const groupId of this.consumer.groupIds()) {
      const group = this.consumer.group(groupId);
      if (group === undefined || this.coordinatorCheck(groupId) !== ErrorCode.NONE) continue;
      const subscribed = group.subscribedTopicNames();
      const { records, gone, emptied } = this.expiredOffsets(groupId, o => o.commitTimestamp, group.state === 'Empty', subscribed);
      if (emptied) {
        records.push(...this.consumer.deleteGroup(groupId).records.map(encodeRecord));
        this.log.info({ group: groupId }, 'consumer group has no offsets left and is deleted');
      }
      if (records.length === 0) continue;
      const code = await this.write(groupId, records, true);
      if (code !== ErrorCode.NONE) {
        if (emptied) await this.reloadGroup(groupId);
        continue;
      }
      for (const [t, p] of gone) this.deleteOffset(groupId, t, p);
      expired += gone.length;
    }
    if (expired > 0) this.log.info({ expired }, 'removed expired offsets');
    return expired;
  }

  /**
   * The group's offsets past retention (or their explicit expire time), as tombstones; `base`
   * null keeps them all. `emptied`: the group is empty and would keep no offset.
   */
  private expiredOffsets(
    groupId: string,
    base: ((o: CommittedOffset) => number) | null,
    isEmpty: boolean,
    keep: ReadonlySet<string> = new Set(),
  ): { records: Record[]; gone: [string, number][]; emptied: boolean } {
    const now = this.clock.now();
    const byTopic = this.offsets.get(groupId);
    const records: Record[] = [];
    const gone: [string, number][] = [];
    if (base !== null) {
      for (const [topic, parts] of byTopic ?? []) {
        if (keep.has(topic)) continue;
        for (const [p, o] of parts) {
          const dead = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - base(o) >= this.retentionMs;
          // an offset an open transaction is about to replace does not expire yet
          if (dead && !this.pending.has(groupId, topic, p)) {
            records.push(this.offsetTombstone(groupId, topic, p));
            gone.push([topic, p]);
          }
        }
      }
    }
    // a group with open transactions' offsets is kept
    const noneLeft = byTopic === undefined || gone.length === countOffsets(byTopic);
    return { records, gone, emptied: isEmpty && noneLeft && !this.pending.hasOpen(groupId) };
  }

  /**
   * Forgets groups (metadata, offsets, pending transactional offsets) without writing anything;
   * their members' parked JoinGroup and SyncGroup requests are answered NOT_COORDINATOR, so they
   * look for the coordinator again.
   */
  private unloadGroups(ids: Iterable<string>): void {
    for (const groupId of ids) {
      const group = this.groups.get(groupId);
      for (const m of group?.members.values() ?? []) {
        group!.completeJoin(m, joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        group!.completeSync(m, { errorCode: ErrorCode.NOT_COORDINATOR, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT });
      }
      this.forgetGroup(groupId, true);
    }
  }

  /**
   * Forgets every group, committed offset and pending transactional offset, writing nothing: the
   * control endpoint's reset, which deletes __consumer_offsets (deleting a topic does not tell
   * the coordinator). Parked JoinGroup and SyncGroup requests are answered NOT_COORDINATOR, so
   * their members look for the coordinator again. Returns how many groups were forgotten.
   */
  reset(): number {
    const ids = new Set([...this.groups.keys(), ...this.consumer.groupIds(), ...this.offsets.keys()]);
    this.unloadGroups(ids);
    for (const t of this.pendingExpiry.values()) t.cancel();
    this.pendingExpiry.clear();
    this.foreign.clear();
    this.topicsCache = null;
    return ids.size;
  }

  close(): void {
    this.closed = true;
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    this.consumerTimer?.timer.cancel();
    this.consumerTimer = null;
    for (const t of this.pendingExpiry.values()) t.cancel();
    this.pendingExpiry.clear();
    for (const g of this.groups.values()) {
      g.joinTimer?.cancel();
      g.syncTimer?.cancel();
      for (const m of g.members.values()) {
        m.heartbeat?.cancel();
        // parked requests are answered so their connections can close
        g.completeJoin(m, joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        g.completeSync(m, { errorCode: ErrorCode.NOT_COORDINATOR, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT });
      }
    }
  }
}

/** A random java.util.UUID in its text form (version 4). */
function javaUuid(b: Buffer): string {
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function countOffsets(byTopic: Map<string, Map<number, CommittedOffset>>): number {
  let n = 0;
  for (const parts of byTopic.values()) n += parts.size;
  return n;
}
