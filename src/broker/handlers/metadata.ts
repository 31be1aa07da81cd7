// Metadata (3): brokers, cluster id, controller, and topics with their partitions. A topic asked
// for that does not exist is created when auto.create.topics.enable and the request allow it.
// Kafka's error response answers each requested topic (none when the request asks for all
// topics) with the error and no partitions, naming it as the request did: by name, or by topic id
// with an empty name (v10+). The top-level error code (v13+) carries the error too.
//
// Authorization (KafkaApis.handleTopicMetadataRequest): topics the requester may not DESCRIBE are
// left out of an all-topics answer; named, they are answered TOPIC_AUTHORIZATION_FAILED without
// saying whether they exist (by name: no topic id; by id: no name), after the others. Creating a
// missing topic needs CREATE on the cluster or on the topic, else it is TOPIC_AUTHORIZATION_FAILED.
// Authorized operations are filled for the topics answered (not the refused ones) when asked; the
// cluster's (v8-10) only for a requester that may DESCRIBE the cluster (else 0).
import type { Handler } from '../handler.js';
import { createTopicWithDefaults, kafkaErrorOf, nodeEndpoint } from '../topics.js';
import type { RequestContext } from '../handler.js';
import { OPERATIONS_NOT_REQUESTED, clusterAuthorizedOperations, topicAuthorizedOperations } from '../authorization.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
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

const NOT_REQUESTED = OPERATIONS_NOT_REQUESTED;

function describeTopic(ctx: RequestContext, cluster: Cluster, topic: Topic, includeOperations: boolean): MetadataResponseMetadataResponseTopic {
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
    topicAuthorizedOperations: includeOperations ? topicAuthorizedOperations(ctx, topic.name) : NOT_REQUESTED,
  };
}

/**
 * An unanswerable topic. Kafka fills the operations of topics named by name even then, not of
 * unknown ids nor of topics it refuses.
 */
function topicError(ctx: RequestContext, errorCode: number, name: string | null, topicId: string, includeOperations = false, isInternal = false): MetadataResponseMetadataResponseTopic {
  const operations = includeOperations && name !== null ? topicAuthorizedOperations(ctx, name) : NOT_REQUESTED;
  return { ...defaultMetadataResponseMetadataResponseTopic(), errorCode, name, topicId, isInternal, topicAuthorizedOperations: operations };
}

export const handler: Handler<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  handle(ctx, req) {
    const { broker, apiVersion: v } = ctx;
    const cluster = broker.cluster;
    const includeOps = v >= 8 && req.includeTopicAuthorizedOperations;
    const authorizer = broker.authorizer;
    const secure = authorizer.enabled;
    const topics: MetadataResponseMetadataResponseTopic[] = [];
    // Kafka answers the refused topics after the others: those it may not create, then those it may not describe
    let refusedCreate: MetadataResponseMetadataResponseTopic[] | null = null;
    let refusedDescribe: MetadataResponseMetadataResponseTopic[] | null = null;
    // CREATE on the cluster allows every auto-creation; asked once, when a topic is missing
    let mayCreateAll: boolean | null = null;
    // v0 asks for every topic with an empty list; v1+ with null
    if (req.topics === null || (v === 0 && req.topics.length === 0)) {
      for (const topic of cluster.topics()) {
        if (secure && !authorizer.allows(ctx.connection, AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name)) continue;
        topics.push(describeTopic(ctx, cluster, topic, includeOps));
      }
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
          if (topic === undefined) topics.push(topicError(ctx, ErrorCode.UNKNOWN_TOPIC_ID, null, wanted.topicId));
          else if (secure && !authorizer.allows(ctx.connection, AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name)) {
            // topic ids are not secret: the id is echoed, the name is not
            (refusedDescribe ??= []).push(topicError(ctx, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, wanted.topicId));
          } else topics.push(describeTopic(ctx, cluster, topic, includeOps));
          continue;
        }
        if (seen.has(wanted.name)) continue;
        seen.add(wanted.name);
        if (secure && !authorizer.allows(ctx.connection, AclOperation.DESCRIBE, ResourceType.TOPIC, wanted.name)) {
          // whether it exists is not disclosed: no topic id, not internal
          (refusedDescribe ??= []).push(topicError(ctx, ErrorCode.TOPIC_AUTHORIZATION_FAILED, wanted.name, ZERO_UUID));
          continue;
        }
        const topic = cluster.topic(wanted.name);
        if (topic) {
          topics.push(describeTopic(ctx, cluster, topic, includeOps));
        } else if (!autoCreate) {
          // Kafka still validates the name: an illegal one is INVALID_TOPIC_EXCEPTION
          const code = topicNameProblem(wanted.name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
          topics.push(topicError(ctx, code, wanted.name, ZERO_UUID, includeOps));
        } else if (secure && !(mayCreateAll ??= authorizer.allowsCluster(ctx.connection, AclOperation.CREATE)) && !authorizer.allows(ctx.connection, AclOperation.CREATE, ResourceType.TOPIC, wanted.name)) {
          (refusedCreate ??= []).push(topicError(ctx, ErrorCode.TOPIC_AUTHORIZATION_FAILED, wanted.name, ZERO_UUID, false, cluster.isInternalTopic(wanted.name)));
        } else {
          try {
            topics.push(describeTopic(ctx, cluster, createTopicWithDefaults(broker, wanted.name), includeOps));
          } catch (err) {
            const { code } = kafkaErrorOf(err);
            // an illegal name is INVALID_TOPIC_EXCEPTION; any other refusal reads as an unknown topic
            topics.push(topicError(ctx, code === ErrorCode.INVALID_TOPIC_EXCEPTION ? code : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, wanted.name, ZERO_UUID, includeOps));
          }
        }
      }
    }
    if (refusedCreate !== null) topics.push(...refusedCreate);
    if (refusedDescribe !== null) topics.push(...refusedDescribe);
    return {
      throttleTimeMs: 0,
      brokers: liveBrokers(ctx),
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      topics,
      // the request field exists in v8-10 only
      clusterAuthorizedOperations: v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : NOT_REQUESTED,
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
