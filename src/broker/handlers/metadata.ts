// Metadata (3): brokers, cluster id, controller, and topics with their partitions. A topic asked
// for that does not exist is created when auto.create.topics.enable and the request allow it.
// Kafka's error response answers each requested topic (none when the request asks for all
// topics) with the error and no partitions, naming it as the request did: by name, or by topic id
// with an empty name (v10+). The top-level error code (v13+) carries the error too.
import type { Handler } from '../handler.js';
import { authorizedOperations, createTopicWithDefaults, kafkaErrorOf, nodeEndpoint } from '../topics.js';
import type { RequestContext } from '../handler.js';
import { topicNameProblem, type Cluster, type Topic } from '../../cluster/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/wire.js';
import {
  defaultMetadataResponse,
  defaultMetadataResponseMetadataResponseTopic,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseMetadataResponseTopic,
} from '../../protocol/messages/index.js';

/** The running nodes with an endpoint for the client's listener (Kafka lists the unfenced brokers). */
export function liveBrokers(ctx: RequestContext): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const out = [];
  for (const n of ctx.broker.cluster.liveNodes()) {
    const endpoint = nodeEndpoint(ctx.broker, n.nodeId, ctx.connection);
    if (endpoint !== null) out.push({ nodeId: n.nodeId, host: endpoint.host, port: endpoint.port, rack: n.rack });
  }
  return out;
}

/** authorizedOperations when the client did not ask for them. */
const NOT_REQUESTED = -2147483648;

function describeTopic(cluster: Cluster, topic: Topic, includeOperations: boolean): MetadataResponseMetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: topic.internal,
    partitions: topic.partitions.map(p => ({
      // Kafka: a partition without a leader is LEADER_NOT_AVAILABLE
      errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p.index,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.replicas.filter(id => !cluster.isAlive(id)),
    })),
    topicAuthorizedOperations: includeOperations ? authorizedOperations('topic') : NOT_REQUESTED,
  };
}

/** An unanswerable topic. Kafka fills the operations of topics named by name even then, not of unknown ids. */
function topicError(errorCode: number, name: string | null, topicId: string, includeOperations = false): MetadataResponseMetadataResponseTopic {
  const topicAuthorizedOperations = includeOperations ? authorizedOperations('topic') : NOT_REQUESTED;
  return { ...defaultMetadataResponseMetadataResponseTopic(), errorCode, name, topicId, topicAuthorizedOperations };
}

export const handler: Handler<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  handle(ctx, req) {
    const { broker, apiVersion: v } = ctx;
    const cluster = broker.cluster;
    const includeOps = v >= 8 && req.includeTopicAuthorizedOperations;
    const topics: MetadataResponseMetadataResponseTopic[] = [];
    // v0 asks for every topic with an empty list; v1+ with null
    if (req.topics === null || (v === 0 && req.topics.length === 0)) {
      for (const topic of cluster.topics()) topics.push(describeTopic(cluster, topic, includeOps));
    } else {
      // v10-11 carry topic ids, but Kafka accepts lookups by id only from v12 (KafkaApis.handleTopicMetadataRequest)
      if (v < 12 && req.topics.some(x => x.name === null || x.topicId !== ZERO_UUID)) {
        return handler.errorResponse(req, v, ErrorCode.INVALID_REQUEST);
      }
      const autoCreate = (v < 4 || req.allowAutoTopicCreation) && broker.config.bool('auto.create.topics.enable');
      const seen = new Set<string>();
      for (const wanted of req.topics) {
        if (wanted.name === null) {
          // by topic id (v12+)
          if (seen.has(wanted.topicId)) continue;
          seen.add(wanted.topicId);
          const topic = wanted.topicId === ZERO_UUID ? undefined : cluster.topicById(wanted.topicId);
          topics.push(topic ? describeTopic(cluster, topic, includeOps) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, wanted.topicId));
          continue;
        }
        if (seen.has(wanted.name)) continue;
        seen.add(wanted.name);
        const topic = cluster.topic(wanted.name);
        if (topic) {
          topics.push(describeTopic(cluster, topic, includeOps));
        } else if (!autoCreate) {
          // Kafka still validates the name: an illegal one is INVALID_TOPIC_EXCEPTION
          const code = topicNameProblem(wanted.name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
          topics.push(topicError(code, wanted.name, ZERO_UUID, includeOps));
        } else {
          try {
            topics.push(describeTopic(cluster, createTopicWithDefaults(broker, wanted.name), includeOps));
          } catch (err) {
            const { code } = kafkaErrorOf(err);
            // an illegal name is INVALID_TOPIC_EXCEPTION; any other refusal reads as an unknown topic
            topics.push(topicError(code === ErrorCode.INVALID_TOPIC_EXCEPTION ? code : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, wanted.name, ZERO_UUID, includeOps));
          }
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: liveBrokers(ctx),
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      topics,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? authorizedOperations('cluster') : NOT_REQUESTED,
      errorCode: ErrorCode.NONE,
    };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultMetadataResponse(),
      errorCode: code,
      topics: (req.topics ?? []).map(topic => ({
        ...defaultMetadataResponseMetadataResponseTopic(),
        errorCode: code,
        name: topic.name ?? '',
        topicId: topic.topicId,
        isInternal: false,
        partitions: [],
      })),
    };
  },
};
