// The embedding API: start a broker inside a test or program, many per process if you like.
//   const broker = await startBroker({ port: 0 });
//   new Kafka({ brokers: [broker.bootstrap] });
//   await broker.close();
// With `nodes: 3` it is a cluster of three broker nodes in this process, each with its own id
// and listeners, sharing one copy of the data; `broker.nodes` stops and starts them.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import type { Broker } from './broker/broker.js';
import { systemClock, type Clock } from './broker/clock.js';
import { LogTasks } from './broker/log-tasks.js';
import { BrokerNode } from './broker/node.js';
import { ProducerIdManager } from './broker/producer-ids.js';
import { Cluster, type ClusterNode } from './cluster/cluster.js';
import { BrokerConfig } from './cluster/configs.js';
import { parseListener, type ListenerAddress } from './cluster/listeners.js';
import { SECURITY_PROTOCOLS, type SecurityProtocol } from './security/principal.js';
import { parseAddScram } from './security/scram-credentials.js';
import { checkAuthorizerConfig } from './security/authorizer.js';
import type { OAuthBearerValidator } from './security/sasl/mechanism.js';
import { ErrorCode, KafkaError } from './protocol/errors.js';
import { randomUuid } from './protocol/wire.js';
import { MemoryLogFactory } from './storage/memory-log.js';
import { DiskLogFactory, partitionDirName } from './storage/log-manager.js';
import { META_PROPERTIES, MetadataStore } from './cluster/metadata-store.js';
import { kafkaRelease } from './cluster/kafka-versions.js';
import { ClusterControl } from './control/control.js';
import { FaultInjector } from './control/faults.js';
import type { ControlServer } from './control/http.js';

export interface BrokerOptions {
  /** TCP port of the first listener (of node 0 when there are several nodes); 0 picks a free one. Default: the port of `listeners`, else 9092. */
  port?: number;
  /** Interface to listen on. Default: the host of `listeners`, else 127.0.0.1. */
  host?: string;
  /**
   * Broker configs under Kafka's names (server.properties keys), e.g. { 'num.partitions': 3 }.
   * Samsa's own: `samsa.nodes` (as `nodes`), and `samsa.node.<id>.<config>` for one node's value
   * of a config (its `listeners`, `advertised.listeners`, `broker.rack`).
   */
  config?: Record<string, string | number | boolean>;
  /** Broker nodes in this process, with ids node.id ... node.id+N-1 (default 1). */
  nodes?: number;
  /** The first listener's port of each node; default: consecutive ports from `port` (each free one with 0). */
  ports?: number[];
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
  /** Emulate an Apache Kafka release's broker, e.g. '2.8': its API versions and feature levels (see kafka-versions.ts). */
  kafkaVersion?: string;
  /** Serve the HTTP control endpoint (src/control/http.ts) on this port; 0 picks a free one (see RunningBroker.controlPort). Default: off. */
  controlPort?: number;
  /** Interface the control endpoint listens on; default 127.0.0.1. */
  controlHost?: string;
  /**
   * SCRAM credentials to create at start, in kafka-storage's --add-scram syntax, e.g.
   * 'SCRAM-SHA-256=[name=alice,password=alice-secret]' (iterations=, salt=, saltedpassword= too).
   * Existing credentials of the same user and mechanism are replaced.
   */
  addScram?: string[];
  /** Validates OAUTHBEARER tokens (returns the principal and expiry, or null/throws to refuse) instead of Kafka's unsecured-JWT checks. */
  oauthBearerValidator?: OAuthBearerValidator;
}

/** One node of a running cluster. */
export interface RunningNode {
  readonly nodeId: number;
  /** host:port of its first listener. */
  readonly bootstrap: string;
  readonly port: number;
  /** Whether it is running. */
  readonly running: boolean;
  /** host:port of its listener of this name (e.g. SASL_SSL); throws when it has none. */
  addressOf(listenerName: string): string;
  /** Its broker's internals while it runs (tests and tools in this repository). */
  readonly broker: Broker | null;
}

export interface RunningBroker {
  /** host:port to give clients as their bootstrap server (the first node's). */
  readonly bootstrap: string;
  /** Every node's host:port, comma-separated (librdkafka's and Java's bootstrap.servers). */
  readonly bootstrapServers: string;
  /** Every node's host:port of its listener of this name (e.g. SASL_SSL), comma-separated. */
  bootstrapFor(listenerName: string): string;
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  readonly clusterId: string;
  /** The first node's broker internals, for tests and tools in this repository. */
  readonly broker: Broker;
  /** The shared cluster state: topics, partitions, leadership. */
  readonly cluster: Cluster;
  readonly nodes: readonly RunningNode[];
  /** Stops a node: its listeners refuse connections, leadership moves to the surviving replicas. */
  stopNode(nodeId: number): Promise<void>;
  /** Starts a stopped node again on the same ports. */
  startNode(nodeId: number): Promise<void>;
  /** Moves a partition's leadership to a live in-sync replica; throws KafkaError (code and message) otherwise. */
  moveLeader(topic: string, partition: number, nodeId: number): void;
  /** Fault injection and control: the operations of the HTTP control endpoint and `samsa ctl` (stop/start nodes, move leaders, inject errors, delays and dropped connections, reset). */
  readonly control: ClusterControl;
  /** The bound port of the HTTP control endpoint; null unless `controlPort` was given. */
  readonly controlPort: number | null;
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
  o: { config: BrokerConfig; log: Logger; clock: Clock; nodeId: number; nodes: ClusterNode[]; clusterId: string | undefined; newClusterId: string; maxOpenFiles: number },
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
    nodes: o.nodes,
    config: o.config,
    logs,
    random: randomBytes,
    onChange: c => store.saveTopics(c.topicRecords()),
    log: o.log,
    schedule: (fn, ms) => o.clock.setTimeout(fn, ms),
  });
  // dynamic broker configs and client-metrics subscriptions (samsa-dynamic-configs.json), read before the topics resolve their settings
  cluster.dynamicConfigs.open(dataDir);
  const owned = new Set<string>();
  for (const record of stored?.topics ?? []) {
    cluster.restoreTopic(record);
    record.replicas.forEach((_, i) => owned.add(partitionDirName(record.name, i)));
  }
  for (const dir of dirs) if (!owned.has(dir)) void logs.removeStray(dir);
  // client quotas are kept in a file of their own (samsa-client-quotas.json)
  cluster.clientQuotas.openIn(dataDir);
  // as are SCRAM credentials and ACLs (samsa-scram-credentials.json, samsa-acls.json)
  cluster.scramCredentials.openIn(dataDir);
  cluster.acls.openIn(dataDir);
  // finalized feature levels too (samsa-features.json)
  cluster.features.openIn(dataDir);
  return cluster;
}

const SAMSA_NODES = 'samsa.nodes';
const NODE_PREFIX = /^samsa\.node\.(\d+)\.(.+)$/;

/** Splits Samsa's own keys (samsa.nodes, samsa.node.<id>.<config>) from Kafka's. */
function splitConfig(raw: Record<string, string>): { kafka: Record<string, string>; nodes: number | undefined; perNode: Map<number, Record<string, string>> } {
  const kafka: Record<string, string> = {};
  const perNode = new Map<number, Record<string, string>>();
  let nodes: number | undefined;
  for (const [k, v] of Object.entries(raw)) {
    const m = NODE_PREFIX.exec(k);
    if (k === SAMSA_NODES) nodes = Number(v);
    else if (m) {
      const id = Number(m[1]);
      if (!perNode.has(id)) perNode.set(id, {});
      perNode.get(id)![m[2]!] = v;
    } else kafka[k] = v;
  }
  return { kafka, nodes, perNode };
}

function parseListeners(values: string[], what: string, protocols: Map<string, string>): ListenerAddress[] {
  const out = values.map(parseListener);
  const names = new Set<string>();
  for (const l of out) {
    if (names.has(l.name)) throw new Error(`${what}: the listener name ${l.name} appears twice`);
    names.add(l.name);
    const protocol = protocols.get(l.name);
    if (protocol === undefined) throw new Error(`${what}: no security protocol for listener ${l.name} in listener.security.protocol.map`);
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new Error(`listener.security.protocol.map: ${protocol} (of listener ${l.name}) is not a security protocol: ${SECURITY_PROTOCOLS.join(', ')}`);
    }
    l.securityProtocol = protocol as SecurityProtocol;
  }
  return out;
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const given: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.config ?? {})) given[k] = String(v);
  const split = splitConfig(given);
  const config = new BrokerConfig(split.kafka);
  const release = opts.kafkaVersion === undefined ? null : kafkaRelease(opts.kafkaVersion);
  checkAuthorizerConfig(config);
  const scramUsers = (opts.addScram ?? []).map(spec => parseAddScram(spec));
  const firstId = config.int('node.id');
  const log = opts.logger ?? pino({ level: opts.logLevel ?? 'silent' });
  for (const name of config.unknown.filter(n => !n.startsWith('listener.name.'))) log.warn({ config: name }, 'The configuration was supplied but isn\'t a known config.');
  const count = opts.nodes ?? split.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`nodes: ${count} is not a number of nodes from 1 to 64`);
  if (opts.ports !== undefined && opts.ports.length !== count) throw new Error(`ports: ${opts.ports.length} ports given for ${count} nodes`);
  for (const id of split.perNode.keys()) {
    if (id < firstId || id >= firstId + count) throw new Error(`samsa.node.${id}.*: there is no node ${id} (nodes ${firstId}-${firstId + count - 1})`);
  }
  const protocols = new Map((config.get('listener.security.protocol.map') as string[]).map(e => e.split(':') as [string, string]));
  const baseListeners = parseListeners(config.get('listeners') as string[], 'listeners', protocols);
  if (baseListeners.length === 0) throw new Error('listeners: at least one listener is needed');

  // each node's configs: the shared ones, its own samsa.node.<id>.* values, its node.id; its
  // listeners those of `listeners` with the ports moved along, unless it has its own
  const specs: { nodeId: number; config: BrokerConfig; bind: ListenerAddress[]; advertised: ListenerAddress[] | null }[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = firstId + i;
    const own = split.perNode.get(nodeId) ?? {};
    const nodeConfig = i === 0 && Object.keys(own).length === 0 ? config : new BrokerConfig({ ...split.kafka, ...own, 'node.id': String(nodeId) });
    let bind: ListenerAddress[];
    if (own.listeners !== undefined) bind = parseListeners(nodeConfig.get('listeners') as string[], `samsa.node.${nodeId}.listeners`, protocols);
    else {
      bind = baseListeners.map((l, j) => {
        const firstPort = j === 0 ? (opts.ports?.[i] ?? (opts.port !== undefined ? (opts.port === 0 ? 0 : opts.port + i) : undefined)) : undefined;
        return { ...l, port: firstPort ?? (l.port === 0 ? 0 : l.port + i) };
      });
    }
    if (opts.host !== undefined) bind = bind.map((l, j) => (j === 0 ? { ...l, host: opts.host! } : l));
    const advertisedValues = nodeConfig.get('advertised.listeners') as string[] | null;
    const advertised = advertisedValues === null || advertisedValues.length === 0 ? null : parseListeners(advertisedValues, 'advertised.listeners', protocols);
    if (advertised !== null && count > 1 && own['advertised.listeners'] === undefined) {
      throw new Error(`advertised.listeners: with ${count} nodes each node needs its own (samsa.node.<id>.advertised.listeners)`);
    }
    specs.push({ nodeId, config: nodeConfig, bind, advertised });
  }

  const dataDir = opts.dataDir ?? config.str('log.dirs') ?? config.str('log.dir');
  const clock = opts.clock ?? systemClock;
  const clusterNodes: ClusterNode[] = specs.map(s => ({ nodeId: s.nodeId, rack: s.config.str('broker.rack') ?? null, alive: true, listeners: [], advertised: s.advertised }));
  let clusterId = opts.clusterId ?? randomUuid(randomBytes);
  let cluster: Cluster;
  if (dataDir) {
    cluster = openDataDir(dataDir, { config, log, clock, nodeId: firstId, nodes: clusterNodes, clusterId: opts.clusterId, maxOpenFiles: opts.maxOpenFiles ?? 1000, newClusterId: clusterId });
    clusterId = cluster.clusterId;
  } else {
    cluster = new Cluster({ clusterId, nodes: clusterNodes, config, logs: new MemoryLogFactory(clock), random: randomBytes, log, schedule: (fn, ms) => clock.setTimeout(fn, ms) });
  }
  if (release !== null) cluster.features.emulate(release);
  for (const spec of scramUsers) cluster.scramCredentials.add(spec);
  cluster.settleLeadership();
  const shared = { cluster, clock, log, dataDir: dataDir ?? null, producerIds: new ProducerIdManager(dataDir ?? null), peers: new Map<number, Broker>(), security: { oauthBearerValidator: opts.oauthBearerValidator } };
  const nodes = specs.map(s => new BrokerNode(s.nodeId, s.config, s.bind, shared));
  const tasks = new LogTasks(cluster, config, clock, log);
  const started: BrokerNode[] = [];
  try {
    for (const node of nodes) {
      await node.start();
      started.push(node);
    }
  } catch (err) {
    for (const node of started) await node.stop(true);
    await cluster.close();
    throw err;
  }
  tasks.start();
  const address = (node: BrokerNode, listenerName?: string) => {
    const l = listenerName === undefined ? node.endpoints[0]! : node.endpoints.find(e => e.name === listenerName);
    if (l === undefined) throw new Error(`node ${node.nodeId} has no listener named ${listenerName}`);
    const host = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? '127.0.0.1' : l.host;
    return `${host.includes(':') ? `[${host}]` : host}:${l.port}`;
  };
  const first = nodes[0]!;
  const firstBroker = first.broker!;
  const bootstrap = address(first);
  // fault injection and control (src/control/): RunningBroker.control, and the HTTP endpoint when asked for
  const faults = new FaultInjector(cluster, log);
  const control = new ClusterControl({ cluster, nodes, address, faults, log });
  let controlServer: ControlServer | null = null;
  if (opts.controlPort !== undefined) {
    try {
      // loaded only when asked for: node:http costs the process memory
      const { startControlServer } = await import('./control/http.js');
      controlServer = await startControlServer(control, { host: opts.controlHost ?? '127.0.0.1', port: opts.controlPort, log });
    } catch (err) {
      for (const node of nodes) await node.stop(true);
      await tasks.stop();
      faults.close();
      await cluster.close();
      throw err;
    }
  }
  log.info({ bootstrap, bootstrapServers: nodes.map(n => address(n)).join(','), clusterId, nodeId: first.nodeId, nodes: nodes.map(n => n.nodeId), ...(controlServer === null ? {} : { controlPort: controlServer.port }) }, 'broker started');
  const nodeOf = (nodeId: number): BrokerNode => {
    const node = nodes.find(n => n.nodeId === nodeId);
    if (node === undefined) throw new Error(`there is no node ${nodeId}`);
    return node;
  };
  let closing: Promise<void> | null = null;
  return {
    bootstrap,
    bootstrapServers: nodes.map(n => address(n)).join(','),
    host: first.endpoints[0]!.host === '' ? '0.0.0.0' : first.endpoints[0]!.host,
    port: first.endpoints[0]!.port,
    nodeId: first.nodeId,
    clusterId,
    broker: firstBroker,
    cluster,
    control,
    controlPort: controlServer?.port ?? null,
    nodes: nodes.map(n => ({
      nodeId: n.nodeId,
      get bootstrap() {
        return address(n);
      },
      get port() {
        return n.endpoints[0]!.port;
      },
      get running() {
        return n.running;
      },
      addressOf: (listenerName: string) => address(n, listenerName),
      get broker() {
        return n.broker;
      },
    })),
    bootstrapFor: (listenerName: string) => nodes.map(n => address(n, listenerName)).join(','),
    stopNode: nodeId => nodeOf(nodeId).stop(),
    startNode: nodeId => nodeOf(nodeId).start(),
    moveLeader(topic, partition, nodeId) {
      const p = cluster.topic(topic)?.partitions[partition];
      if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topic}-${partition}`);
      cluster.moveLeader(p, nodeId);
      log.info({ topic, partition, leader: nodeId, leaderEpoch: p.leaderEpoch }, 'moved the leader');
    },
    close() {
      closing ??= (async () => {
        await controlServer?.close();
        for (const node of nodes) await node.stop(true).catch(err => log.error({ err, nodeId: node.nodeId }, 'stopping a node failed'));
        await tasks.stop();
        faults.close();
        await cluster.close();
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
// Fault injection and control (RunningBroker.control), and a client of the HTTP control endpoint.
export { ClusterControl, ControlError, type ClusterStatus, type NodeStatus, type PartitionStatus, type ResetResult } from './control/control.js';
export type { DelayRuleSpec, DropRuleSpec, ErrorRuleSpec, FaultRule } from './control/faults.js';
export { ControlClient, ControlRequestError } from './control/client.js';
