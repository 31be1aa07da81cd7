// Dynamic configs: what AlterConfigs and IncrementalAlterConfigs set while the cluster runs (Kafka
// keeps them as ConfigRecords in its metadata log). Broker configs per node (resource name: the
// node id) and as the cluster-wide default (resource name ""), and client-metrics subscriptions
// (KIP-714), kept as the strings they were given. Topic configs are not here: they belong to their
// topic and are saved with it. In disk mode the store is one JSON file in the data directory,
// replaced atomically on every change and read at start.
//
// Also here: Kafka's checks of a resource's new configs, which both alter APIs share.
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { readJsonFile, writeJsonFileAtomic } from '../storage/checkpoint.js';
import {
  brokerConfigDef,
  clientMetricsConfigDef,
  dynamicUpdateMode,
  parseConfigValue,
  topicConfigConflict,
  topicConfigDef,
  CLIENT_METRICS_CONFIGS,
  TOPIC_CONFIGS,
  type BrokerConfig,
  type ConfigDef,
  type ConfigValue,
  type DynamicBrokerValues,
} from './configs.js';

export const DYNAMIC_CONFIGS_FILE = 'samsa-dynamic-configs.json';

/** Kafka's ConfigResource.Type ids. */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

/** Kafka's AlterConfigOp.OpType ids (IncrementalAlterConfigs). */
export const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
export const OP_NAMES: readonly string[] = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

/** A change the store made, for whoever follows it (the telemetry subscriptions, logs). */
export interface DynamicConfigChange {
  resourceType: typeof ResourceType.BROKER | typeof ResourceType.CLIENT_METRICS;
  resourceName: string;
  configs: ReadonlyMap<string, string>;
}

interface StoredFile {
  version: number;
  brokers: Record<string, Record<string, string>>;
  clientMetrics: Record<string, Record<string, string>>;
}

const EMPTY: ReadonlyMap<string, string> = new Map();

export class DynamicConfigs implements DynamicBrokerValues {
  /** Broker configs by resource name: "" (the cluster-wide default) or a node id. */
  private readonly brokers = new Map<string, ReadonlyMap<string, string>>();
  /** Their parsed values, only of dynamic configs Samsa knows (what a BrokerConfig reads). */
  private readonly parsed = new Map<string, Map<string, ConfigValue>>();
  /** Client-metrics subscriptions by name. */
  private readonly subscriptions = new Map<string, ReadonlyMap<string, string>>();
  private readonly listeners = new Set<(change: DynamicConfigChange) => void>();
  private file: string | null = null;

  /** Makes `config` read its dynamic values from this store. */
  attach(config: BrokerConfig): void {
    config.useDynamic(this);
  }

  dynamicValue(nodeId: number, name: string): ConfigValue | undefined {
    const own = this.parsed.get(String(nodeId));
    if (own !== undefined && own.has(name)) return own.get(name);
    const cluster = this.parsed.get('');
    if (cluster !== undefined && cluster.has(name)) return cluster.get(name);
    return undefined;
  }

  /** The dynamic configs of a BROKER resource ("" or a node id), as stored. */
  broker(resourceName: string): ReadonlyMap<string, string> {
    return this.brokers.get(resourceName) ?? EMPTY;
  }

  /** The configs of a client-metrics subscription (empty: no such subscription). */
  clientMetrics(name: string): ReadonlyMap<string, string> {
    return this.subscriptions.get(name) ?? EMPTY;
  }

  clientMetricsNames(): string[] {
    return [...this.subscriptions.keys()];
  }

  /** Replaces a BROKER resource's configs (empty removes it); throws, changing nothing, when the save fails. */
  setBroker(resourceName: string, configs: ReadonlyMap<string, string>): void {
    this.replace(this.brokers, resourceName, configs, () => this.parseBroker(resourceName));
    this.notify({ resourceType: ResourceType.BROKER, resourceName, configs: this.broker(resourceName) });
  }

  /** Replaces a subscription's configs (empty removes it); throws, changing nothing, when the save fails. */
  setClientMetrics(name: string, configs: ReadonlyMap<string, string>): void {
    this.replace(this.subscriptions, name, configs, () => {});
    this.notify({ resourceType: ResourceType.CLIENT_METRICS, resourceName: name, configs: this.clientMetrics(name) });
  }

  /** Registers a listener for changes; returns its cancel function. */
  onChange(fn: (change: DynamicConfigChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Disk mode: reads the store of `dataDir` (if any) and saves every change there. */
  open(dataDir: string): void {
    const file = path.join(dataDir, DYNAMIC_CONFIGS_FILE);
    const stored = readJsonFile<StoredFile>(file);
    if (stored !== undefined) {
      if (stored.version !== 1) throw new Error(`${file}: unknown version ${stored.version}`);
      this.brokers.clear();
      this.subscriptions.clear();
      this.parsed.clear();
      for (const [name, configs] of Object.entries(stored.brokers ?? {})) {
        this.brokers.set(name, new Map(Object.entries(configs)));
        this.parseBroker(name);
      }
      for (const [name, configs] of Object.entries(stored.clientMetrics ?? {})) this.subscriptions.set(name, new Map(Object.entries(configs)));
    }
    this.file = file;
  }

  private replace(map: Map<string, ReadonlyMap<string, string>>, name: string, configs: ReadonlyMap<string, string>, after: () => void): void {
    const previous = map.get(name);
    if (configs.size === 0) map.delete(name);
    else map.set(name, new Map(configs));
    try {
      this.save();
    } catch (err) {
      if (previous === undefined) map.delete(name);
      else map.set(name, previous);
      throw err;
    }
    after();
  }

  /**
   * Parses a BROKER resource's values for the BrokerConfigs. As Kafka's fromPersistentProps, only
   * dynamic configs count (per-broker ones only on a node's own resource), and an invalid value is
   * ignored (a file edited by hand).
   */
  private parseBroker(resourceName: string): void {
    const values = new Map<string, ConfigValue>();
    for (const [name, text] of this.broker(resourceName)) {
      const def = brokerConfigDef(name);
      const mode = dynamicUpdateMode(name);
      if (def === undefined || mode === undefined || (mode === 'per-broker' && resourceName === '')) continue;
      const parsed = parseConfigValue(def, text);
      if ('value' in parsed) values.set(name, parsed.value);
    }
    if (values.size === 0) this.parsed.delete(resourceName);
    else this.parsed.set(resourceName, values);
  }

  private save(): void {
    if (this.file === null) return;
    const out: StoredFile = { version: 1, brokers: {}, clientMetrics: {} };
    for (const [name, configs] of this.brokers) out.brokers[name] = Object.fromEntries(configs);
    for (const [name, configs] of this.subscriptions) out.clientMetrics[name] = Object.fromEntries(configs);
    writeJsonFileAtomic(this.file, out);
  }

  private notify(change: DynamicConfigChange): void {
    for (const fn of this.listeners) fn(change);
  }
}

// ---- the checks both alter APIs make ---------------------------------------------------------

/** Java's String.split(","): trailing empty strings dropped, but "" is [""]. */
function javaSplit(s: string): string[] {
  const parts = s.split(',');
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export interface ConfigOp {
  name: string;
  op: number;
  value: string | null;
}

/**
 * Applies IncrementalAlterConfigs operations to a resource's current configs, as Kafka's
 * controller does (ConfigurationControlManager): SET and DELETE; APPEND and SUBTRACT only for
 * list configs (else `notList`'s error), on the current value or else the default, by items.
 * Unknown operation types are refused.
 */
export function applyOps(
  current: ReadonlyMap<string, string>,
  ops: readonly ConfigOp[],
  defOf: (name: string) => ConfigDef | undefined,
  notList: (op: string, name: string) => KafkaError,
): Map<string, string> | KafkaError {
  for (const { op } of ops) {
    if (OP_NAMES[op] === undefined) return new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${op}`);
  }
  const next = new Map(current);
  for (const { name, op, value } of ops) {
    if (op === OpType.SET) next.set(name, value!);
    else if (op === OpType.DELETE) next.delete(name);
    else {
      const def = defOf(name);
      if (def?.type !== 'list') return notList(OP_NAMES[op]!, name);
      const base = next.get(name) ?? def.default;
      const items = base === null ? [] : base.split(',').filter(s => s !== '');
      for (const item of javaSplit(value!)) {
        if (op === OpType.APPEND) {
          if (!items.includes(item)) items.push(item);
        } else {
          const i = items.indexOf(item);
          if (i >= 0) items.splice(i, 1);
        }
      }
      next.set(name, items.join(','));
    }
  }
  return next;
}

/**
 * Kafka's checks of a topic's configs (LogConfig.validate, as the controller runs it on every
 * change): every name known, every value valid, and the checks across configs with the broker's
 * values for the configs the topic does not set. Throws nothing; returns INVALID_CONFIG.
 */
export function topicConfigsProblem(configs: ReadonlyMap<string, string>, broker: BrokerConfig): KafkaError | null {
  for (const name of configs.keys()) {
    if (!topicConfigDef(name)) return new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
  }
  // ConfigDef.parse goes through the definitions in order
  for (const def of TOPIC_CONFIGS) {
    const text = configs.get(def.name);
    if (text === undefined) continue;
    const parsed = parseConfigValue(def, text);
    if ('error' in parsed) return new KafkaError(ErrorCode.INVALID_CONFIG, parsed.error);
  }
  const conflict = topicConfigConflict(name => {
    const own = configs.get(name);
    if (own !== undefined) return own;
    const syn = topicConfigDef(name)?.brokerSynonym;
    if (syn !== undefined && broker.isSet(syn)) return broker.raw(syn);
    return topicConfigDef(name)?.default ?? null;
  });
  return conflict === null ? null : new KafkaError(ErrorCode.INVALID_CONFIG, conflict);
}

/** Names as Scala prints a Set of them, the way Kafka's messages list them. */
const scalaSet = (names: readonly string[]) => `Set(${names.join(', ')})`;

/** A broker change that Kafka refuses while reconfiguring: the client hears Kafka's words, the log the reason. */
export interface BrokerChangeProblem {
  error: KafkaError;
  /** Why, for the broker's log (Kafka logs the cause of "Invalid dynamic configuration"). */
  reason?: string;
}

/**
 * Kafka's checks of a BROKER resource's new dynamic configs (DynamicBrokerConfig.validate), as
 * the node answering the request makes them: no read-only config; valid values; per-broker
 * configs only on a node's own resource; and the checks of the components that would take the
 * change (the log cleaner's thread count, local against total retention). Names Samsa does not
 * know are custom configs, which Kafka accepts. All answered INVALID_REQUEST (KAFKA-13609).
 */
export function brokerChangeProblem(
  store: DynamicConfigs,
  config: BrokerConfig,
  nodeId: number,
  resourceName: string,
  next: ReadonlyMap<string, string>,
): BrokerChangeProblem | null {
  const perBroker = resourceName !== '';
  const names = [...next.keys()];
  const readOnly = names.filter(n => brokerConfigDef(n) !== undefined && dynamicUpdateMode(n) === undefined);
  if (readOnly.length > 0) return { error: new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: ${scalaSet(readOnly)}`) };
  for (const [name, text] of next) {
    const def = brokerConfigDef(name);
    if (def === undefined) continue;
    const parsed = parseConfigValue(def, text);
    if ('error' in parsed) return { error: new KafkaError(ErrorCode.INVALID_REQUEST, parsed.error) };
  }
  if (!perBroker) {
    const onlyPerBroker = names.filter(n => dynamicUpdateMode(n) === 'per-broker');
    if (onlyPerBroker.length > 0) {
      return { error: new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot update these configs at default cluster level, broker id must be specified: ${scalaSet(onlyPerBroker)}`) };
    }
  }
  // the node's configs as they would be: its own dynamic ones over the cluster-wide ones over the
  // static ones (Kafka's DynamicBrokerConfig.validatedKafkaProps)
  const own = perBroker ? next : store.broker(String(nodeId));
  const cluster = perBroker ? store.broker('') : next;
  const after = (name: string): string | null => own.get(name) ?? cluster.get(name) ?? config.staticText(name) ?? brokerConfigDef(name)?.default ?? null;
  const before = (name: string): string | null => config.raw(name);
  const changed = (name: string) => {
    const def = brokerConfigDef(name)!;
    const a = after(name);
    const b = before(name);
    if (a === null || b === null) return a !== b;
    const pa = parseConfigValue(def, a);
    const pb = parseConfigValue(def, b);
    return JSON.stringify('value' in pa ? pa.value : a) !== JSON.stringify('value' in pb ? pb.value : b);
  };
  const invalid = (reason: string): BrokerChangeProblem => ({ error: new KafkaError(ErrorCode.INVALID_REQUEST, 'Invalid dynamic configuration'), reason });
  const num = (name: string) => Number(after(name)!.trim());
  for (const name of ['listeners', 'listener.security.protocol.map']) {
    // Samsa binds its listeners once, at start
    if (changed(name)) return invalid(`${name} cannot be changed while Samsa runs`);
  }
  if (changed('log.cleaner.threads')) {
    const threads = num('log.cleaner.threads');
    const current = Number(before('log.cleaner.threads'));
    if (threads < 1) return invalid('Log cleaner threads should be at least 1');
    if (threads < Math.trunc(current / 2)) return invalid(`Log cleaner threads cannot be reduced to less than half the current value ${current}`);
    if (threads > current * 2) return invalid(`Log cleaner threads cannot be increased to more than double the current value ${current}`);
  }
  const logConfigs = TOPIC_CONFIGS.flatMap(d => (d.brokerSynonym ? [d.brokerSynonym] : []));
  if (logConfigs.some(changed)) {
    // DynamicLogConfig.validateReconfiguration: local retention within the total retention
    const retentionMs = BigInt(after('log.retention.ms')!.trim());
    const localMs = BigInt(after('log.local.retention.ms')!.trim());
    if (retentionMs !== -1n && localMs !== -2n) {
      if (localMs === -1n) return invalid(`Invalid value -1 for configuration log.local.retention.ms: Value must not be -1 as log.retention.ms value is set as ${retentionMs}.`);
      if (localMs > retentionMs) return invalid(`Invalid value ${localMs} for configuration log.local.retention.ms: Value must not be more than log.retention.ms property value: ${retentionMs}`);
    }
    const retentionBytes = BigInt(after('log.retention.bytes')!.trim());
    const localBytes = BigInt(after('log.local.retention.bytes')!.trim());
    if (retentionBytes > -1n && localBytes !== -2n) {
      if (localBytes === -1n) return invalid(`Invalid value -1 for configuration log.local.retention.bytes: Value must not be -1 as log.retention.bytes value is set as ${retentionBytes}.`);
      if (localBytes > retentionBytes) return invalid(`Invalid value ${localBytes} for configuration log.local.retention.bytes: Value must not be more than log.retention.bytes property value: ${retentionBytes}`);
    }
  }
  return null;
}

const MATCH_PARAMS = new Set(['client_instance_id', 'client_id', 'client_software_name', 'client_software_version', 'client_source_address', 'client_source_port']);

/** Kafka's checks of a client-metrics subscription (ClientMetricsConfigs.validate). */
export function clientMetricsProblem(name: string, configs: ReadonlyMap<string, string>): KafkaError | null {
  if (name === '') return new KafkaError(ErrorCode.INVALID_REQUEST, 'Subscription name can\'t be empty');
  for (const key of configs.keys()) {
    if (!clientMetricsConfigDef(key)) return new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown client metrics configuration: ${key}`);
  }
  const values = new Map<string, ConfigValue>();
  for (const def of CLIENT_METRICS_CONFIGS) {
    const text = configs.get(def.name);
    if (text === undefined) continue;
    const parsed = parseConfigValue(def, text);
    // a ConfigException, which the controller answers INVALID_CONFIG
    if ('error' in parsed) return new KafkaError(ErrorCode.INVALID_CONFIG, parsed.error);
    values.set(def.name, parsed.value);
  }
  const interval = values.get('interval.ms');
  if (typeof interval === 'number' && (interval < 100 || interval > 3600000)) {
    return new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid value ${interval} for interval.ms, interval must be between 100 and 3600000 (1 hour)`);
  }
  for (const pattern of (values.get('match') as string[] | undefined) ?? []) {
    const parts = pattern.split('=');
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    let ok = parts.length === 2 && MATCH_PARAMS.has(parts[0]!.trim());
    if (ok) {
      try {
        new RegExp(parts[1]!.trim());
      } catch {
        ok = false;
      }
    }
    if (!ok) return new KafkaError(ErrorCode.INVALID_CONFIG, `Illegal client matching pattern: ${pattern}`);
  }
  return null;
}
