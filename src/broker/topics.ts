// Helpers shared by the topic-facing handlers (Metadata, CreateTopics, Produce, Fetch, ...).
import type { Topic } from '../cluster/cluster.js';
import { KafkaError } from '../protocol/errors.js';
import type { Broker } from './broker.js';
import type { ConnectionInfo } from './handler.js';

/**
 * The host and port clients should use for `nodeId`, reached through the listener the client
 * connected on (Kafka advertises each node's endpoint of the same listener name): the node's
 * `advertised.listeners` entry of that name when configured, else its listener of that name,
 * with the address the client connected to when the listener is bound to every interface (so a
 * client reaching us through any interface is told to come back through the same one). Null when
 * the node has no such listener (Kafka leaves it out of Metadata).
 */
export function nodeEndpoint(broker: Broker, nodeId: number, conn: ConnectionInfo): { host: string; port: number } | null {
  const node = broker.cluster.node(nodeId);
  const own = nodeId === broker.nodeId;
  if (node === undefined) return own ? { host: conn.localAddress, port: conn.localPort } : null;
  const advertised = node.advertised?.find(e => e.name === conn.listenerName);
  if (advertised !== undefined) return { host: advertised.host === '' ? conn.localAddress : advertised.host, port: advertised.port };
  if (own) return { host: conn.localAddress, port: conn.localPort };
  const listener = node.listeners.find(e => e.name === conn.listenerName);
  if (listener === undefined) return null;
  const anyInterface = listener.host === '' || listener.host === '0.0.0.0' || listener.host === '::';
  return { host: anyInterface ? conn.localAddress : listener.host, port: listener.port };
}

/** This node's endpoint for the client (see nodeEndpoint). */
export function advertisedAddress(broker: Broker, conn: ConnectionInfo): { host: string; port: number } {
  return nodeEndpoint(broker, broker.nodeId, conn) ?? { host: conn.localAddress, port: conn.localPort };
}

/** Creates a topic with the broker's defaults, as Metadata's auto-creation does; throws KafkaError. */
export function createTopicWithDefaults(broker: Broker, name: string): Topic {
  const cluster = broker.cluster;
  const plan = cluster.planTopic({ name, numPartitions: -1, replicationFactor: -1, assignments: null, configs: new Map() });
  const topic = cluster.createTopic(name, plan.replicas, plan.configs);
  broker.log.info({ topic: name, partitions: topic.partitions.length }, 'auto-created topic');
  return topic;
}

/** Error code and message for a thrown KafkaError; anything else is rethrown (a bug). */
export function kafkaErrorOf(err: unknown): { code: number; message: string } {
  if (err instanceof KafkaError) return { code: err.code, message: err.message };
  throw err;
}

/** Names that occur more than once in a list. */
export function duplicates<T>(items: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const x of items) (seen.has(x) ? dup : seen).add(x);
  return dup;
}

