// AlterPartitionReassignments (45). Kafka sets the error and its message both at the top level
// and on every requested partition. Kafka's controller requires ALTER on the cluster first
// (ClusterAuthorizationException: "Request ... is not authorized.").
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { clusterDenied } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import { kafkaErrorOf } from '../topics.js';
import type { Handler } from '../handler.js';
import {
  defaultAlterPartitionReassignmentsResponse,
  defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse,
  defaultAlterPartitionReassignmentsResponseReassignableTopicResponse,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  apiKey: 45,
  handle(ctx, req) {
    const denied = clusterDenied(ctx, AclOperation.ALTER);
    if (denied !== null) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, denied);
    const cluster = ctx.broker.cluster;
    const allowReplicationFactorChange = ctx.apiVersion >= 1 ? req.allowReplicationFactorChange : true;
    const responses = req.topics.map(t => ({
      name: t.name,
      partitions: t.partitions.map(target => {
        const topic = cluster.topic(t.name);
        const p = topic?.partitions[target.partitionIndex];
        try {
          if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${t.name}.`);
          if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${t.name}:${target.partitionIndex}.`);
          if (target.replicas === null) cluster.cancelReassignment(p);
          else cluster.reassign(p, target.replicas, allowReplicationFactorChange);
          ctx.log.info({ topic: t.name, partition: p.index, target: target.replicas, replicas: p.replicas, leader: p.leader }, target.replicas === null ? 'cancelled a reassignment' : 'reassigned a partition');
          return { partitionIndex: target.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (err) {
          const { code, message } = kafkaErrorOf(err);
          return { partitionIndex: target.partitionIndex, errorCode: code, errorMessage: message };
        }
      }),
    }));
    return { throttleTimeMs: 0, allowReplicationFactorChange, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse(req, _version, code, message) {
    return {
      ...defaultAlterPartitionReassignmentsResponse(),
      errorCode: code,
      errorMessage: message ?? null,
      responses: req.topics.map(topic => ({
        ...defaultAlterPartitionReassignmentsResponseReassignableTopicResponse(),
        name: topic.name,
        partitions: topic.partitions.map(partition => ({
          ...defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse(),
          partitionIndex: partition.partitionIndex,
          errorCode: code,
          errorMessage: message ?? null,
        })),
      })),
    };
  },
};
