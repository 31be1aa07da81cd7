// Nodes, topics and partitions: the broker's view of the cluster. Knows nothing of the wire
// protocol; handlers translate requests into calls here and answers into responses.
import type { Logger } from 'pino';
import { ErrorCode, KafkaError, errorMessage } from '../protocol/errors.js';
import { randomUuid } from '../protocol/wire.js';
import type { CleanerEntry } from '../storage/cleaner.js';
import type { LogFactory, LogSettings, PartitionLog } from '../storage/log.js';
import { Features } from './features.js';
import { ClientQuotaStore } from './client-quotas.js';
import { AclStore } from '../security/acls.js';
import { ScramCredentialStore } from '../security/scram-credentials.js';
import { DynamicConfigs } from './dynamic-configs.js';
import { BrokerConfig, LONG_MAX, TOPIC_CONFIGS, parseConfigValue, topicConfigDef, type ConfigValue } from './configs.js';

/** One endpoint of a node: a listener name and the address it is reached at. */
export interface Endpoint {
  name: string;
  host: string;
  port: number;
}

export interface ClusterNode {
  nodeId: number;
  rack: string | null;
  /** Running: a stopped node (Kafka: a fenced broker) leads nothing and is in no ISR. */
  alive: boolean;
  /** The node's listeners as bound (the real port once listening). */
  listeners: Endpoint[];
  /** advertised.listeners of the node; null: the listeners themselves. */
  advertised: Endpoint[] | null;
}

/** A node for a cluster that never listens (tests of the cluster alone). */
export function plainNode(nodeId: number, rack: string | null = null): ClusterNode {
  return { nodeId, rack, alive: true, listeners: [], advertised: null };
}

/** Called after a partition's leader changed (previous: the node that led it, -1 for none). */
export type LeaderChangeListener = (p: Partition, previous: number) => void;

/** Topic config values the hot paths read, resolved once per config change. */
export interface TopicSettings {
  maxMessageBytes: number;
  logAppendTime: boolean;
  timestampAfterMaxMs: number;
  timestampBeforeMaxMs: number;
  minInsyncReplicas: number;
  log: LogSettings;
}

export class Partition {
  /** Callbacks waiting for the next append (fetch long polls). */
  private appendWaiters: Set<() => void> | null = null;

  constructor(
    readonly topic: Topic,
    readonly index: number,
    public leader: number,
    public leaderEpoch: number,
    public replicas: number[],
    public isr: number[],
    readonly log: PartitionLog,
  ) {}

  /** Grows with every change of leader or ISR (Kafka's partition epoch). */
  partitionEpoch = 0;
  /** An ongoing reassignment (KIP-455): replicas being added and removed; both empty when none. */
  addingReplicas: number[] = [];
  removingReplicas: number[] = [];
  /**
   * The leader epochs this partition has had and the log end offset each began at, oldest first
   * (Kafka's leader-epoch-checkpoint): what OffsetForLeaderEpoch answers from.
   */
  epochStarts: [epoch: number, startOffset: number][] = [[0, 0]];

  /** Registers a callback for the next append or deletion; returns its cancel function. */
  onChange(fn: () => void): () => void {
    if (this.appendWaiters === null) this.appendWaiters = new Set();
    const set = this.appendWaiters;
    set.add(fn);
    return () => set.delete(fn);
  }

  notifyChange(): void {
    const waiters = this.appendWaiters;
    if (waiters === null || waiters.size === 0) return;
    this.appendWaiters = null;
    for (const fn of waiters) fn();
  }
}

export class Topic {
  readonly partitions: Partition[] = [];
  settings!: TopicSettings;
  deleted = false;

  constructor(
    readonly name: string,
    readonly id: string,
    /** Configs set on the topic itself (DYNAMIC_TOPIC_CONFIG), by name, as strings. */
    readonly configs: Map<string, string>,
    readonly internal: boolean,
  ) {}
}

export interface NewTopic {
  name: string;
  /** -1: the broker's num.partitions. */
  numPartitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  /** Replica node ids by partition index, as requested; when given, numPartitions/replicationFactor must be -1. */
  assignments: { partitionIndex: number; brokerIds: number[] }[] | null;
  configs: Map<string, string | null>;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

/**
 * Kafka's controller writes at most this many metadata records for one request
 * (QuorumController.MAX_RECORDS_PER_USER_OP): a topic costs one, plus one per config and one per
 * partition. Past it Kafka refuses the request; without the limit a single CreateTopics asking
 * for a billion partitions would exhaust this process's memory.
 */
export const MAX_RECORDS_PER_USER_OP = 10_000;
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

/** Kafka's Topic.validate: returns the complaint for an illegal name, or null. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL_TOPIC.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** Topics whose names differ only by '.' versus '_' collide in metric names; Kafka refuses them. */
const collisionKey = (name: string) => name.replace(/\./g, '_');

export interface ClusterOptions {
  clusterId: string;
  nodes: ClusterNode[];
  config: BrokerConfig;
  logs: LogFactory;
  random: (n: number) => Buffer;
  /** Called after every change to topics or partitions (the disk engine persists them). */
  onChange?: (cluster: Cluster) => void;
  log?: Logger;
  /** Runs `fn` after `ms` (the broker's clock); default: at once. Simulated replica catch-up uses it. */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
}

/** A topic as the metadata store keeps it. */
export interface TopicRecord {
  name: string;
  id: string;
  configs: Record<string, string>;
  /** Replica node ids by partition index. */
  replicas: number[][];
  /** Leadership by partition index (absent in data directories of Samsa before several nodes: the first replica at epoch 0). */
  leadership?: PartitionLeadership[];
}

/** A partition's leader, epochs and ISR, as saved. */
export interface PartitionLeadership {
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  isr: number[];
  epochStarts: [number, number][];
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export class Cluster {
  readonly clusterId: string;
  readonly nodes: ClusterNode[];
  readonly config: BrokerConfig;
  private readonly logs: LogFactory;
  private readonly random: (n: number) => Buffer;
  private readonly onChange: (cluster: Cluster) => void;
  private readonly byName = new Map<string, Topic>();
  private readonly byId = new Map<string, Topic>();
  private readonly collisions = new Map<string, string>();
  /** Round-robin start for replica placement, as Kafka varies it per topic. */
  private placementStart = 0;
  private readonly log: Logger | undefined;
  /** A save of the metadata failed: the next change, or the shutdown, saves it again. */
  private unsaved = false;
  /** Grows whenever a topic is created or deleted or gains partitions (Kafka: the metadata image offset). */
  metadataVersion = 0;
  /** The supported and finalized feature levels ApiVersions reports. */
  readonly features = new Features();

  constructor(opts: ClusterOptions) {
    this.clusterId = opts.clusterId;
    this.nodes = opts.nodes;
    this.config = opts.config;
    this.logs = opts.logs;
    this.random = opts.random;
    this.onChange = opts.onChange ?? (() => {});
    this.log = opts.log;
    this.schedule = opts.schedule ?? (fn => (fn(), { cancel() {} }));
  }

  /** Saves the metadata; false (logged) when that fails. */
  private trySave(): boolean {
    try {
      this.onChange(this);
      this.unsaved = false;
      return true;
    } catch (err) {
      this.unsaved = true;
      this.log?.warn({ err }, 'saving the cluster metadata failed');
      return false;
    }
  }

  /** Every topic as the metadata store keeps it. */
  topicRecords(): TopicRecord[] {
    return [...this.byName.values()].map(t => ({
      name: t.name,
      id: t.id,
      configs: Object.fromEntries(t.configs),
      replicas: t.partitions.map(p => p.replicas),
      leadership: t.partitions.map(p => ({
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        isr: p.isr,
        epochStarts: p.epochStarts,
        ...(p.addingReplicas.length + p.removingReplicas.length > 0 ? { addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas } : {}),
      })),
    }));
  }

  /** Brings back a topic from the metadata store, opening its partitions' existing logs. */
  restoreTopic(record: TopicRecord): Topic {
    const topic = new Topic(record.name, record.id, new Map(Object.entries(record.configs)), this.isInternalTopic(record.name));
    topic.settings = this.resolveSettings(topic);
    this.addPartitions(topic, record.replicas, false);
    record.leadership?.forEach((l, i) => {
      const p = topic.partitions[i];
      if (p === undefined) return;
      p.leader = l.leader;
      p.leaderEpoch = l.leaderEpoch;
      p.partitionEpoch = l.partitionEpoch;
      p.isr = l.isr.slice();
      p.epochStarts = l.epochStarts.map(([e, o]) => [e, o]);
      p.addingReplicas = l.addingReplicas?.slice() ?? [];
      p.removingReplicas = l.removingReplicas?.slice() ?? [];
    });
    this.register(topic);
    return topic;
  }

  private register(topic: Topic): void {
    this.metadataVersion++;
    this.byName.set(topic.name, topic);
    this.byId.set(topic.id, topic);
    this.collisions.set(collisionKey(topic.name), topic.name);
  }

  /**
   * The controller id Metadata and DescribeCluster report. In KRaft mode Kafka reports a live
   * broker there (admin clients send controller requests to it, and it forwards them); Samsa's
   * nodes all answer those requests, and it names the lowest live node id.
   */
  get controllerId(): number {
    return this.liveNodes()[0]?.nodeId ?? -1;
  }

  // ---- nodes and leadership -----------------------------------------------------------------

  private readonly leaderListeners = new Set<LeaderChangeListener>();
  private readonly schedule: (fn: () => void, ms: number) => { cancel(): void };
  /** Simulated catch-ups of replicas added by reassignments, cancelled at close. */
  private readonly catchUps = new Set<{ cancel(): void }>();

  node(nodeId: number): ClusterNode | undefined {
    return this.nodes.find(n => n.nodeId === nodeId);
  }

  isAlive(nodeId: number): boolean {
    return this.node(nodeId)?.alive === true;
  }

  /** Running nodes, by id. */
  liveNodes(): ClusterNode[] {
    return this.nodes.filter(n => n.alive).sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Registers a listener for leadership changes; returns its cancel function. */
  onLeaderChange(fn: LeaderChangeListener): () => void {
    this.leaderListeners.add(fn);
    return () => this.leaderListeners.delete(fn);
  }

  /** Makes `leader` (-1: none) the partition's leader at the next leader epoch, and tells the listeners. */
  setLeader(p: Partition, leader: number): void {
    const previous = p.leader;
    if (previous === leader) return;
    p.leader = leader;
    p.leaderEpoch++;
    p.partitionEpoch++;
    this.metadataVersion++;
    const start = p.log.logEndOffset;
    // an epoch that began at the same offset as the one before it holds nothing of that one's
    while (p.epochStarts.length > 0 && p.epochStarts[p.epochStarts.length - 1]![1] >= start) p.epochStarts.pop();
    p.epochStarts.push([p.leaderEpoch, start]);
    // fetches waiting on the partition answer now: their leader is gone
    p.notifyChange();
    for (const fn of this.leaderListeners) fn(p, previous);
  }

  /** Every partition of every topic. */
  *partitions(): Generator<Partition> {
    for (const topic of [...this.byName.values()]) yield* topic.partitions;
  }

  /**
   * A node stops (Kafka: its broker is fenced). It leaves every ISR it is in but the last
   * member's (Kafka keeps the last ISR member, so the partition can come back with its data);
   * each partition it led moves to the first live replica in the ISR, or has no leader.
   */
  stopNode(nodeId: number): void {
    const node = this.node(nodeId);
    if (node === undefined || !node.alive) return;
    node.alive = false;
    for (const p of this.partitions()) {
      if (!p.replicas.includes(nodeId)) continue;
      if (p.isr.length > 1 && p.isr.includes(nodeId)) {
        p.isr = p.isr.filter(id => id !== nodeId);
        p.partitionEpoch++;
      }
      if (p.leader === nodeId) this.setLeader(p, this.firstLiveInSync(p));
    }
    this.metadataVersion++;
    this.saveLeadership();
  }

  /**
   * A stopped node starts again. It holds the one copy of the data like every other node, so it
   * is back in the ISR of its partitions at once, and leads those that had no leader.
   */
  startNode(nodeId: number): void {
    const node = this.node(nodeId);
    if (node === undefined || node.alive) return;
    node.alive = true;
    for (const p of this.partitions()) {
      if (!p.replicas.includes(nodeId)) continue;
      if (!p.isr.includes(nodeId)) {
        p.isr = p.replicas.filter(id => id === nodeId || p.isr.includes(id));
        p.partitionEpoch++;
      }
      if (p.leader < 0) this.setLeader(p, this.firstLiveInSync(p));
      this.completeReassignment(p);
    }
    this.metadataVersion++;
    this.saveLeadership();
  }

  /**
   * After the topics are read back at start: every configured node is running, so it is in the
   * ISR of its partitions again; a partition whose leader is not a node of this run (the data
   * directory was used with more nodes) moves to a live replica, or has none.
   */
  settleLeadership(): void {
    let moved = 0;
    for (const p of this.partitions()) {
      const isr = p.replicas.filter(id => this.isAlive(id));
      if (isr.length > 0 && isr.join() !== p.isr.join()) {
        p.isr = isr;
        p.partitionEpoch++;
      }
      if (!this.isAlive(p.leader)) {
        this.setLeader(p, this.firstLiveInSync(p));
        moved++;
      }
    }
    if (moved > 0) {
      this.log?.warn({ partitions: moved }, 'partitions led by nodes that are not part of this run moved to live replicas (or have no leader)');
      this.saveLeadership();
    }
  }

  /** The first replica (in replica order) that is alive and in sync, else -1. */
  firstLiveInSync(p: Partition): number {
    return p.replicas.find(id => p.isr.includes(id) && this.isAlive(id)) ?? -1;
  }

  /**
   * Moves a partition's leadership to `nodeId`, a live in-sync replica (Kafka: a leader election
   * that picks it); throws KafkaError otherwise.
   */
  moveLeader(p: Partition, nodeId: number): void {
    if (!p.replicas.includes(nodeId)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Node ${nodeId} is not a replica of ${p.topic.name}-${p.index} (replicas ${p.replicas.join(', ')})`);
    if (!this.isAlive(nodeId)) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `Node ${nodeId} is not running`);
    if (!p.isr.includes(nodeId)) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Node ${nodeId} is not in the ISR of ${p.topic.name}-${p.index}`);
    this.setLeader(p, nodeId);
    this.saveLeadership();
  }

  /**
   * A leader election (ElectLeaders), as Kafka's controller decides it: PREFERRED makes the first
   * replica leader when it is alive and in sync; UNCLEAN gives a partition without a leader the
   * first live in-sync replica, else the first live replica (data it never had is lost on Kafka;
   * here every replica holds the one copy). Returns Kafka's error code for the partition.
   */
  electLeader(p: Partition, type: 'preferred' | 'unclean'): number {
    if (type === 'preferred') {
      const preferred = p.replicas[0]!;
      if (p.leader === preferred) return ErrorCode.ELECTION_NOT_NEEDED;
      if (!this.isAlive(preferred) || !p.isr.includes(preferred)) return ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
      this.setLeader(p, preferred);
    } else {
      if (p.leader >= 0) return ErrorCode.ELECTION_NOT_NEEDED;
      const inSync = this.firstLiveInSync(p);
      const chosen = inSync >= 0 ? inSync : (p.replicas.find(id => this.isAlive(id)) ?? -1);
      if (chosen < 0) return ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
      if (!p.isr.includes(chosen)) p.isr = [chosen];
      this.setLeader(p, chosen);
    }
    this.saveLeadership();
    return ErrorCode.NONE;
  }

  /**
   * Starts a reassignment of `p` to `target` (AlterPartitionReassignments), checked as Kafka's
   * controller checks it; throws KafkaError. Replicas that are running join at once (they share
   * the one copy of the data, so they are in sync as soon as they are added); the reassignment
   * completes when every added replica is running: the replicas become `target`, in its order,
   * and leadership moves to a target replica when the leader is removed.
   */
  reassign(p: Partition, target: number[], allowReplicationFactorChange: boolean): void {
    if (target.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
    // Kafka's validateManualPartitionAssignment walks the ids in order
    let previous: number | null = null;
    for (const id of [...target].sort((a, b) => a - b)) {
      if (this.node(id) === undefined) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
      if (id === previous) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${id} more than once.`);
      previous = id;
    }
    // the replication factor the partition is heading to (an ongoing reassignment's target)
    const current = p.replicas.filter(id => !p.removingReplicas.includes(id)).length;
    if (!allowReplicationFactorChange && current !== target.length) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `The replication factor is changed from ${current} to ${target.length}`);
    }
    const original = p.removingReplicas.length + p.addingReplicas.length > 0 ? p.replicas.filter(id => !p.addingReplicas.includes(id)) : p.replicas;
    p.addingReplicas = target.filter(id => !original.includes(id));
    p.removingReplicas = original.filter(id => !target.includes(id));
    p.replicas = [...target, ...p.removingReplicas];
    p.isr = p.replicas.filter(id => p.isr.includes(id));
    p.partitionEpoch++;
    this.metadataVersion++;
    this.completeReassignment(p);
    this.saveLeadership();
    if (p.addingReplicas.length > 0) {
      // an added replica joins the ISR once it has fetched the log: here, one follower fetch
      // wait after the reassignment starts (it shares the data, so it has nothing to copy)
      const adding = p.addingReplicas;
      const timer = this.schedule(() => {
        this.catchUps.delete(timer);
        if (p.topic.deleted || p.addingReplicas !== adding) return;
        this.caughtUp(p);
      }, this.config.int('replica.fetch.wait.max.ms'));
      this.catchUps.add(timer);
    }
  }

  /** The running replicas being added to `p` are in sync now; the reassignment completes when all are. */
  private caughtUp(p: Partition): void {
    const joining = p.addingReplicas.filter(id => this.isAlive(id) && !p.isr.includes(id));
    if (joining.length === 0) return;
    p.isr = p.replicas.filter(id => p.isr.includes(id) || joining.includes(id));
    p.partitionEpoch++;
    this.metadataVersion++;
    this.completeReassignment(p);
    this.saveLeadership();
  }

  /** Reverts an ongoing reassignment (a null target); throws NO_REASSIGNMENT_IN_PROGRESS when there is none. */
  cancelReassignment(p: Partition): void {
    if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) {
      throw new KafkaError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS));
    }
    const original = p.replicas.filter(id => !p.addingReplicas.includes(id));
    p.addingReplicas = [];
    p.removingReplicas = [];
    this.finishReplicas(p, original);
    this.saveLeadership();
  }

  /** Completes `p`'s reassignment once every added replica is running and in sync (Kafka's second step). */
  private completeReassignment(p: Partition): void {
    if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) return;
    if (!p.addingReplicas.every(id => this.isAlive(id) && p.isr.includes(id))) return;
    const target = p.replicas.filter(id => !p.removingReplicas.includes(id));
    p.addingReplicas = [];
    p.removingReplicas = [];
    this.finishReplicas(p, target);
  }

  private finishReplicas(p: Partition, replicas: number[]): void {
    p.replicas = replicas;
    const isr = p.isr.filter(id => replicas.includes(id));
    p.isr = isr.length > 0 ? isr : replicas.filter(id => this.isAlive(id)).slice(0, 1);
    p.partitionEpoch++;
    this.metadataVersion++;
    // a removed or stopped leader (or none) gives way to the first live in-sync replica
    if (!replicas.includes(p.leader) || !this.isAlive(p.leader)) this.setLeader(p, this.firstLiveInSync(p));
  }

  /** Partitions with a reassignment under way. */
  *reassigning(): Generator<Partition> {
    for (const p of this.partitions()) if (p.addingReplicas.length > 0 || p.removingReplicas.length > 0) yield p;
  }

  /** Leadership is part of the saved metadata: a restart brings back the same leaders and epochs. */
  saveLeadership(): void {
    this.trySave();
  }

  topic(name: string): Topic | undefined {
    return this.byName.get(name);
  }

  topicById(id: string): Topic | undefined {
    return this.byId.get(id);
  }

  topics(): IterableIterator<Topic> {
    return this.byName.values();
  }

  get topicCount(): number {
    return this.byName.size;
  }

  isInternalTopic(name: string): boolean {
    return INTERNAL_TOPICS.has(name);
  }

  /** A topic config's effective value: set on the topic, else its broker synonym, else Kafka's default. */
  topicConfig(topic: Topic | null, name: string): ConfigValue {
    const def = topicConfigDef(name);
    if (!def) throw new Error(`unknown topic config ${name}`);
    const own = topic?.configs.get(name);
    if (own !== undefined) {
      const parsed = parseConfigValue(def, own);
      if ('value' in parsed) return parsed.value;
    }
    if (def.brokerSynonym && this.config.isSet(def.brokerSynonym)) return this.config.get(def.brokerSynonym);
    const parsed = parseConfigValue(def, def.default);
    return 'value' in parsed ? parsed.value : null;
  }

  private resolveSettings(topic: Topic): TopicSettings {
    const num = (n: string) => {
      const v = this.topicConfig(topic, n) as number;
      return v >= Number(LONG_MAX) ? Number.MAX_VALUE : v;
    };
    const policy = this.topicConfig(topic, 'cleanup.policy') as string[];
    const compact = policy.includes('compact');
    const maxCompactionLagMs = num('max.compaction.lag.ms');
    return {
      maxMessageBytes: num('max.message.bytes'),
      logAppendTime: this.topicConfig(topic, 'message.timestamp.type') === 'LogAppendTime',
      timestampAfterMaxMs: num('message.timestamp.after.max.ms'),
      timestampBeforeMaxMs: num('message.timestamp.before.max.ms'),
      minInsyncReplicas: num('min.insync.replicas'),
      log: {
        segmentBytes: num('segment.bytes'),
        // as Kafka's LogConfig.maxSegmentMs: a compacted topic rolls by max.compaction.lag.ms too,
        // so no record waits longer than that in the active segment, which is never cleaned
        segmentMs: compact ? Math.min(num('segment.ms'), maxCompactionLagMs) : num('segment.ms'),
        segmentJitterMs: num('segment.jitter.ms'),
        indexIntervalBytes: num('index.interval.bytes'),
        segmentIndexBytes: num('segment.index.bytes'),
        flushMessages: num('flush.messages'),
        flushMs: num('flush.ms'),
        retentionMs: num('retention.ms'),
        retentionBytes: num('retention.bytes'),
        deleteRetention: policy.includes('delete'),
        compact,
        deleteRetentionMs: num('delete.retention.ms'),
        minCleanableRatio: this.topicConfig(topic, 'min.cleanable.dirty.ratio') as number,
        minCompactionLagMs: num('min.compaction.lag.ms'),
        maxCompactionLagMs,
      },
    };
  }

  /** Validates topic configs as CreateTopics does; throws KafkaError(INVALID_CONFIG). */
  validateTopicConfigs(configs: Map<string, string | null>): Map<string, string> {
    const out = new Map<string, string>();
    // Kafka refuses null values first, naming all of them (ReplicationControlManager.computeConfigChanges)
    const nulls = [...configs].filter(([, value]) => value === null).map(([name]) => name);
    if (nulls.length > 0) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nulls.join(',')}`);
    for (const [name, value] of configs) {
      const def = topicConfigDef(name);
      if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
      if (value === null) continue;
      const parsed = parseConfigValue(def, value);
      if ('error' in parsed) throw new KafkaError(ErrorCode.INVALID_CONFIG, parsed.error);
      out.set(name, value);
    }
    return out;
  }

  /** Replica lists for new partitions, spread round-robin over the nodes as Kafka does. */
  private placeReplicas(firstPartition: number, count: number, replicationFactor: number): number[][] {
    const live = this.liveNodes();
    const ids = (live.length > 0 ? live : this.nodes).map(n => n.nodeId);
    const start = this.placementStart++;
    const out: number[][] = [];
    for (let p = firstPartition; p < firstPartition + count; p++) {
      const replicas: number[] = [];
      for (let r = 0; r < replicationFactor; r++) replicas.push(ids[(start + p + r) % ids.length]!);
      out.push(replicas);
    }
    return out;
  }

  private checkAssignment(replicas: number[], what: string): void {
    if (replicas.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${what} has an empty replica list`);
    if (new Set(replicas).size !== replicas.length) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${what} has duplicate replicas: ${replicas.join(', ')}`);
    }
    for (const id of replicas) {
      if (!this.nodes.some(n => n.nodeId === id)) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${what} includes broker ${id}, which is not registered`);
      }
    }
  }

  /**
   * Checks a CreateTopics entry the way Kafka's controller does and returns the replica
   * placement; throws KafkaError with Kafka's code and message. The order of the checks is
   * ReplicationControlManager.createTopics': the name, existence, the configs, then the
   * assignments or the replication factor and partition count.
   */
  planTopic(spec: NewTopic): { replicas: number[][]; configs: Map<string, string> } {
    const problem = topicNameProblem(spec.name);
    if (problem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.byName.has(spec.name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    if (this.isInternalTopic(spec.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${spec.name} is prohibited.`);
    const other = this.collisions.get(collisionKey(spec.name));
    if (other !== undefined) {
      throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${other}`);
    }
    const configs = this.validateTopicConfigs(spec.configs);
    let replicas: number[][];
    if (spec.assignments !== null && spec.assignments.length > 0) {
      if (spec.replicationFactor !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.');
      }
      if (spec.numPartitions !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.');
      }
      const byPartition = new Map<number, number[]>();
      for (const a of spec.assignments) {
        if (byPartition.has(a.partitionIndex)) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
        }
        this.checkAssignment(a.brokerIds, `Partition ${a.partitionIndex}`);
        const rf = byPartition.values().next().value?.length;
        if (rf !== undefined && a.brokerIds.length !== rf) {
          throw new KafkaError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `The manual partition assignment includes a partition with ${a.brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`,
          );
        }
        byPartition.set(a.partitionIndex, a.brokerIds);
      }
      replicas = [];
      for (let p = 0; p < byPartition.size; p++) {
        const r = byPartition.get(p);
        if (r === undefined) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
        replicas.push(r);
      }
    } else {
      if (spec.replicationFactor < -1 || spec.replicationFactor === 0) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      }
      if (spec.numPartitions < -1 || spec.numPartitions === 0) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
      }
      const numPartitions = spec.numPartitions === -1 ? this.config.int('num.partitions') : spec.numPartitions;
      const rf = spec.replicationFactor === -1 ? this.config.int('default.replication.factor') : spec.replicationFactor;
      const registered = this.liveNodes().length;
      if (rf > registered) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${registered} broker(s) are registered.`,
        );
      }
      if (1 + configs.size + numPartitions > MAX_RECORDS_PER_USER_OP) {
        throw new KafkaError(ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.');
      }
      replicas = this.placeReplicas(0, numPartitions, rf);
    }
    return { replicas, configs };
  }

  /**
   * Creates an internal topic (__consumer_offsets, __transaction_state) the way the broker's own
   * coordinators do, bypassing the checks that refuse internal names to clients. The replication
   * factor is capped at the number of nodes.
   */
  createInternalTopic(name: string, numPartitions: number, replicationFactor: number, configs: Map<string, string>): Topic {
    const rf = Math.max(1, Math.min(replicationFactor, this.liveNodes().length));
    return this.createTopic(name, this.placeReplicas(0, numPartitions, rf), this.validateTopicConfigs(configs));
  }

  /** Creates a topic already checked by planTopic. */
  createTopic(name: string, replicas: number[][], configs: Map<string, string>): Topic {
    const topic = new Topic(name, randomUuid(this.random), configs, this.isInternalTopic(name));
    topic.settings = this.resolveSettings(topic);
    this.addPartitions(topic, replicas, true);
    this.register(topic);
    this.onChange(this);
    return topic;
  }

  private addPartitions(topic: Topic, replicas: number[][], isNew: boolean): void {
    for (const r of replicas) {
      const index = topic.partitions.length;
      const log = this.logs.create(topic.name, index, { topicId: topic.id, settings: () => topic.settings.log, isNew });
      topic.partitions.push(new Partition(topic, index, r[0]!, 0, r, r.slice(), log));
    }
  }

  /** Checks a CreatePartitions entry and returns the new partitions' replicas; throws KafkaError. */
  planPartitions(topic: Topic, count: number, assignments: number[][] | null): number[][] {
    const current = topic.partitions.length;
    // Kafka's messages (ReplicationControlManager.createPartitions)
    if (count === current) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
    }
    if (count < current) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `The topic ${topic.name} currently has ${current} partition(s); ${count} would not be an increase.`);
    }
    const added = count - current;
    if (assignments !== null) {
      if (assignments.length !== added) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${added} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
        );
      }
      const rf = topic.partitions[0]?.replicas.length ?? 1;
      assignments.forEach((r, i) => {
        this.checkAssignment(r, `Partition ${current + i}`);
        if (r.length !== rf) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes a partition with ${r.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`);
        }
      });
      return assignments;
    }
    // Kafka's createPartitions catches the controller's too-many-records exception per topic,
    // which turns it into UNKNOWN_SERVER_ERROR
    if (added > MAX_RECORDS_PER_USER_OP) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR);
    return this.placeReplicas(current, added, topic.partitions[0]?.replicas.length ?? 1);
  }

  createPartitions(topic: Topic, replicas: number[][]): void {
    this.addPartitions(topic, replicas, true);
    this.metadataVersion++;
    this.onChange(this);
  }

  async deleteTopic(topic: Topic): Promise<void> {
    this.metadataVersion++;
    this.byName.delete(topic.name);
    this.byId.delete(topic.id);
    this.collisions.delete(collisionKey(topic.name));
    topic.deleted = true;
    // the metadata is saved first, so a crash leaves only stray directories (removed at the
    // next start); on a full disk that save fails, and is tried again once the removal has
    // freed the topic's space, and again at the next change or the shutdown
    const saved = this.trySave();
    // every partition's files are moved out of the way before anything waits: a topic created
    // under this name from now on never meets them
    const removals = topic.partitions.map(p => {
      p.notifyChange();
      return this.logs.remove(topic.name, p.index);
    });
    await Promise.all(removals);
    if (!saved && !this.trySave()) {
      this.log?.error({ topic: topic.name }, `the deletion of topic ${topic.name} is not saved yet (the disk is full?): it is tried again at the next change and at shutdown; a crash before then brings the topic back empty`);
    }
  }

  /** Applies retention to every partition's log; returns the segments deleted. */
  async applyRetention(nowMs: number): Promise<number> {
    let deleted = 0;
    for (const topic of [...this.byName.values()]) {
      for (const p of topic.partitions) deleted += await p.log.applyRetention(nowMs);
    }
    return deleted;
  }

  /** The logs of compacted topics, with their settings (for the log cleaner). */
  *compactedLogs(): Generator<CleanerEntry> {
    for (const topic of [...this.byName.values()]) {
      const settings = topic.settings.log;
      if (!settings.compact) continue;
      for (const p of topic.partitions) yield { log: p.log, settings };
    }
  }

  /** Wakes every waiter and closes every log. */
  async close(): Promise<void> {
    for (const timer of this.catchUps) timer.cancel();
    this.catchUps.clear();
    if (this.unsaved) this.trySave();
    for (const topic of this.byName.values()) {
      for (const p of topic.partitions) {
        p.notifyChange();
        // one log failing to close must not keep the others from closing; the log factory's
        // close tries it again, logs the failure and then leaves no clean-shutdown marker
        await p.log.close().catch(() => {});
      }
    }
    await this.logs.close();
  }

  /** Every topic config with its effective value and whether the topic set it (for CreateTopics v5+ answers). */
  describeTopicConfigs(configs: ReadonlyMap<string, string>): { name: string; value: string | null; source: 'topic' | 'broker' | 'default' }[] {
    return TOPIC_CONFIGS.map(def => {
      const own = configs.get(def.name);
      if (own !== undefined) return { name: def.name, value: own, source: 'topic' as const };
      if (def.brokerSynonym && this.config.isSet(def.brokerSynonym)) {
        return { name: def.name, value: this.config.raw(def.brokerSynonym), source: 'broker' as const };
      }
      return { name: def.name, value: def.default, source: 'default' as const };
    });
  }

  /** Client quotas (KIP-546): cluster-wide, as Kafka's controller keeps them; each node measures its own rates. */
  readonly clientQuotas = new ClientQuotaStore();
  /** ACLs (CreateAcls, DeleteAcls): cluster-wide, as Kafka's controller keeps them. */
  readonly acls = new AclStore();
  readonly scramCredentials = new ScramCredentialStore();

  // ---- dynamic configs (AlterConfigs, IncrementalAlterConfigs) ---------------------------------

  private dynamicStore: DynamicConfigs | null = null;

  /**
   * The dynamic broker configs and client-metrics subscriptions, made on first use; from then on
   * the cluster's own config (which topics resolve their settings with) reads them.
   */
  get dynamicConfigs(): DynamicConfigs {
    if (this.dynamicStore === null) {
      this.dynamicStore = new DynamicConfigs();
      this.dynamicStore.attach(this.config);
    }
    return this.dynamicStore;
  }

  /** Replaces the configs set on a topic (already validated), applies them at once and saves the metadata. */
  setTopicConfigs(topic: Topic, configs: ReadonlyMap<string, string>): void {
    topic.configs.clear();
    for (const [name, value] of configs) topic.configs.set(name, value);
    topic.settings = this.resolveSettings(topic);
    this.trySave();
  }

  /** Resolves every topic's settings again, after a change of the broker configs they default to. */
  resolveAllTopicSettings(): void {
    for (const topic of this.byName.values()) topic.settings = this.resolveSettings(topic);
  }
}
