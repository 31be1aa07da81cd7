// Nodes, topics and partitions: the broker's view of the cluster. Knows nothing of the wire
// protocol; handlers translate requests into calls here and answers into responses.
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { randomUuid } from '../protocol/wire.js';
import type { CleanerEntry } from '../storage/cleaner.js';
import type { LogFactory, LogSettings, PartitionLog } from '../storage/log.js';
import { Features } from './features.js';
import { BrokerConfig, LONG_MAX, TOPIC_CONFIGS, parseConfigValue, topicConfigDef, type ConfigValue } from './configs.js';

export interface ClusterNode {
  nodeId: number;
  rack: string | null;
}

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
}

/** A topic as the metadata store keeps it. */
export interface TopicRecord {
  name: string;
  id: string;
  configs: Record<string, string>;
  /** Replica node ids by partition index. */
  replicas: number[][];
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
    return [...this.byName.values()].map(t => ({ name: t.name, id: t.id, configs: Object.fromEntries(t.configs), replicas: t.partitions.map(p => p.replicas) }));
  }

  /** Brings back a topic from the metadata store, opening its partitions' existing logs. */
  restoreTopic(record: TopicRecord): Topic {
    const topic = new Topic(record.name, record.id, new Map(Object.entries(record.configs)), this.isInternalTopic(record.name));
    topic.settings = this.resolveSettings(topic);
    this.addPartitions(topic, record.replicas, false);
    this.register(topic);
    return topic;
  }

  private register(topic: Topic): void {
    this.metadataVersion++;
    this.byName.set(topic.name, topic);
    this.byId.set(topic.id, topic);
    this.collisions.set(collisionKey(topic.name), topic.name);
  }

  get controllerId(): number {
    return this.nodes[0]!.nodeId;
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
    const ids = this.nodes.map(n => n.nodeId);
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
      if (rf > this.nodes.length) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${this.nodes.length} broker(s) are registered.`,
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
    const rf = Math.max(1, Math.min(replicationFactor, this.nodes.length));
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
}
