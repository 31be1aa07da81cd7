// The embedding API: start a broker inside a test or program, many per process if you like.
//   const broker = await startBroker({ port: 0 });
//   new Kafka({ brokers: [broker.bootstrap] });
//   await broker.close();
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { Broker } from './broker/broker.js';
import { systemClock, type Clock } from './broker/clock.js';
import { Cluster } from './cluster/cluster.js';
import { BrokerConfig } from './cluster/configs.js';
import { parseListener } from './cluster/listeners.js';
import { Listener } from './network/listener.js';
import { randomUuid } from './protocol/wire.js';
import { MemoryLogFactory } from './storage/memory-log.js';

export interface BrokerOptions {
  /** TCP port; 0 picks a free one. Default: the port of `listeners`, else 9092. */
  port?: number;
  /** Interface to listen on. Default: the host of `listeners`, else 127.0.0.1. */
  host?: string;
  /** Broker configs under Kafka's names (server.properties keys), e.g. { 'num.partitions': 3 }. */
  config?: Record<string, string | number | boolean>;
  /** Keep data in this directory instead of memory (not built yet: the storage engine issue). */
  dataDir?: string;
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

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.config ?? {})) raw[k] = String(v);
  const config = new BrokerConfig(raw);
  const log = opts.logger ?? pino({ level: opts.logLevel ?? 'silent', base: { node: config.int('node.id') } });
  for (const name of config.unknown) log.warn({ config: name }, 'The configuration was supplied but isn\'t a known config.');
  const dataDir = opts.dataDir ?? config.str('log.dirs') ?? config.str('log.dir');
  if (dataDir) {
    throw new Error(`disk storage (${dataDir}) is not built yet: Samsa keeps data in memory until the storage engine lands`);
  }
  const listeners = config.get('listeners') as string[];
  const first = parseListener(listeners[0] ?? 'PLAINTEXT://127.0.0.1:9092');
  if (first.name !== 'PLAINTEXT') throw new Error(`listener ${first.name} is not built yet: Samsa serves PLAINTEXT only`);
  const host = opts.host ?? (first.host === '' ? '0.0.0.0' : first.host);
  const nodeId = config.int('node.id');
  const clock = opts.clock ?? systemClock;
  const clusterId = opts.clusterId ?? randomUuid(randomBytes);
  const cluster = new Cluster({ clusterId, nodes: [{ nodeId, rack: null }], config, logs: new MemoryLogFactory(), random: randomBytes });
  const broker = new Broker({ nodeId, config, cluster, log, clock });
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
