// The embedding API: start a broker inside a test or program, many per process if you like.
//   const broker = await startBroker({ port: 0 });
//   new Kafka({ brokers: [broker.bootstrap] });
//   await broker.close();
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import { Broker } from './broker/broker.js';
import { systemClock, type Clock } from './broker/clock.js';
import { Cluster } from './cluster/cluster.js';
import { BrokerConfig } from './cluster/configs.js';
import { parseListener } from './cluster/listeners.js';
import { Listener } from './network/listener.js';
import { randomUuid } from './protocol/wire.js';
import { MemoryLogFactory } from './storage/memory-log.js';
import { DiskLogFactory, partitionDirName } from './storage/log-manager.js';
import { META_PROPERTIES, MetadataStore } from './cluster/metadata-store.js';

export interface BrokerOptions {
  /** TCP port; 0 picks a free one. Default: the port of `listeners`, else 9092. */
  port?: number;
  /** Interface to listen on. Default: the host of `listeners`, else 127.0.0.1. */
  host?: string;
  /** Broker configs under Kafka's names (server.properties keys), e.g. { 'num.partitions': 3 }. */
  config?: Record<string, string | number | boolean>;
  /** Keep data in this directory (Kafka's log.dirs) instead of memory; reopened on the next start. */
  dataDir?: string;
  /** Disk mode: segment files kept open at once; the least recently used close beyond it. Default 1000. */
  maxOpenFiles?: number;
  /** Cluster id reported in Metadata; default: a random one. */
  clusterId?: string;
  /** A pino logger to use; default: one at `logLevel`. */
  logger?: Logger;
  /** Level of the default logger; default 'silent' when embedded. */
  logLevel?: string;
  /** Time source (tests pass a ManualClock). */
  clock?: Clock;
}

export interface RunningBroker {
  /** host:port to give clients as their bootstrap server. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  readonly clusterId: string;
  /** The broker's internals, for tests and tools in this repository. */
  readonly broker: Broker;
  /** Stops listening, closes every connection and releases the logs. */
  close(): Promise<void>;
}

/**
 * Opens a data directory: its identity (meta.properties), its topics, and each partition's log,
 * recovering what an unclean shutdown left. Directories of partitions no topic owns (a topic
 * deleted while the broker crashed) are removed.
 */
function openDataDir(
  dataDir: string,
  o: { config: BrokerConfig; log: Logger; clock: Clock; nodeId: number; clusterId: string | undefined; newClusterId: string; maxOpenFiles: number },
): Cluster {
  const store = new MetadataStore(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const stored = store.load();
  if (stored !== null && o.clusterId !== undefined && stored.clusterId !== o.clusterId) {
    throw new Error(`the cluster id ${stored.clusterId} in ${dataDir} does not match the configured ${o.clusterId}`);
  }
  if (stored !== null && stored.nodeId !== o.nodeId) {
    throw new Error(`the node.id ${stored.nodeId} in ${dataDir} does not match the configured ${o.nodeId}`);
  }
  const logs = new DiskLogFactory({
    dataDir,
    log: o.log,
    clock: o.clock,
    maxOpenFiles: o.maxOpenFiles,
    checkpointIntervalMs: o.config.int('log.flush.offset.checkpoint.interval.ms'),
  });
  const dirs = logs.partitionDirs();
  if (stored === null && dirs.length > 0) {
    throw new Error(`${dataDir} holds partition directories but no ${META_PROPERTIES}: not a Samsa data directory, or its metadata was lost`);
  }
  const clusterId = stored?.clusterId ?? o.newClusterId;
  if (stored === null) {
    store.saveIdentity(clusterId, o.nodeId);
    store.saveTopics([]);
  }
  const cluster = new Cluster({
    clusterId,
    nodes: [{ nodeId: o.nodeId, rack: null }],
    config: o.config,
    logs,
    random: randomBytes,
    onChange: c => store.saveTopics(c.topicRecords()),
    log: o.log,
  });
  const owned = new Set<string>();
  for (const record of stored?.topics ?? []) {
    cluster.restoreTopic(record);
    record.replicas.forEach((_, i) => owned.add(partitionDirName(record.name, i)));
  }
  for (const dir of dirs) if (!owned.has(dir)) void logs.removeStray(dir);
  return cluster;
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.config ?? {})) raw[k] = String(v);
  const config = new BrokerConfig(raw);
  const log = opts.logger ?? pino({ level: opts.logLevel ?? 'silent', base: { node: config.int('node.id') } });
  for (const name of config.unknown) log.warn({ config: name }, 'The configuration was supplied but isn\'t a known config.');
  const dataDir = opts.dataDir ?? config.str('log.dirs') ?? config.str('log.dir');
  const listeners = config.get('listeners') as string[];
  const first = parseListener(listeners[0] ?? 'PLAINTEXT://127.0.0.1:9092');
  if (first.name !== 'PLAINTEXT') throw new Error(`listener ${first.name} is not built yet: Samsa serves PLAINTEXT only`);
  const host = opts.host ?? (first.host === '' ? '0.0.0.0' : first.host);
  const nodeId = config.int('node.id');
  const clock = opts.clock ?? systemClock;
  let clusterId = opts.clusterId ?? randomUuid(randomBytes);
  let cluster: Cluster;
  if (dataDir) {
    cluster = openDataDir(dataDir, { config, log, clock, nodeId, clusterId: opts.clusterId, maxOpenFiles: opts.maxOpenFiles ?? 1000, newClusterId: clusterId });
    clusterId = cluster.clusterId;
  } else {
    cluster = new Cluster({ clusterId, nodes: [{ nodeId, rack: null }], config, logs: new MemoryLogFactory(clock), random: randomBytes });
  }
  const broker = new Broker({ nodeId, config, cluster, log, clock, dataDir: dataDir ?? null });
  await broker.groups.load();
  await broker.transactions.load();
  broker.startBackgroundTasks();
  const listener = new Listener(broker, log, host, opts.port ?? first.port);
  const port = await listener.listen();
  const bootstrapHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const bootstrap = `${bootstrapHost.includes(':') ? `[${bootstrapHost}]` : bootstrapHost}:${port}`;
  log.info({ bootstrap, clusterId, nodeId }, 'broker started');
  let closing: Promise<void> | null = null;
  return {
    bootstrap,
    host,
    port,
    nodeId,
    clusterId,
    broker,
    close() {
      closing ??= (async () => {
        await listener.close();
        await broker.close();
        log.info('broker stopped');
      })();
      return closing;
    },
  };
}

export { Broker } from './broker/broker.js';
export { ManualClock, systemClock, type Clock } from './broker/clock.js';
export { ErrorCode, errorName } from './protocol/errors.js';
export { encodeRecordBatch, decodeBatches, type RecordInput } from './protocol/records.js';
// The protocol codecs, for tools and tests that speak Kafka's protocol directly.
export { API_SPECS } from './protocol/messages/index.js';
export { Reader, Writer } from './protocol/wire.js';
// Partition assignors (range, roundrobin, sticky, cooperative-sticky, uniform) as pure functions,
// and as kafkajs `partitionAssigners` (kafkajs itself ships only round-robin).
export {
  ASSIGNORS,
  SERVER_ASSIGNORS,
  cooperativeSticky,
  kafkajsAssigners,
  range,
  roundRobin,
  sticky,
  uniform,
  withholdTransferringPartitions,
  type Assignment,
  type MemberSpec,
  type PartitionAssignor,
  type TopicSpec,
} from './coordinator/group/assignors/index.js';
export type { PartitionLag } from './coordinator/group/group-coordinator.js';
