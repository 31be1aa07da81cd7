// ListPartitionReassignments (46). Top-level error and message; Kafka also lists each requested
// partition (none when the request names no topics), with empty replica lists: the partitions
// have no error field of their own. Kafka's controller requires DESCRIBE on the cluster first
// (ClusterAuthorizationException: "Request ... is not authorized.").
import { ErrorCode } from '../../protocol/errors.js';
import { clusterDenied } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import type { Partition } from '../../cluster/cluster.js';
import type { Handler } from '../handler.js';
import {
  defaultListPartitionReassignmentsResponse,
  defaultListPartitionReassignmentsResponseOngoingPartitionReassignment,
  defaultListPartitionReassignmentsResponseOngoingTopicReassignment,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  apiKey: 46,
  handle(ctx, req) {
    const denied = clusterDenied(ctx, AclOperation.DESCRIBE);
    if (denied !== null) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, denied);
    const cluster = ctx.broker.cluster;
    const describe = (p: Partition) => ({ partitionIndex: p.index, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas });
    const topics: ListPartitionReassignmentsResponse['topics'] = [];
    if (req.topics === null) {
      const byTopic = new Map<string, Partition[]>();
      for (const p of cluster.reassigning()) byTopic.set(p.topic.name, [...(byTopic.get(p.topic.name) ?? []), p]);
      for (const [name, parts] of byTopic) topics.push({ name, partitions: parts.map(describe) });
    } else {
      // Kafka lists the named partitions that are being reassigned; unknown ones are left out
      for (const t of req.topics) {
        const topic = cluster.topic(t.name);
        if (topic === undefined) continue;
        const parts = t.partitionIndexes.flatMap(i => topic.partitions[i] ?? []).filter(p => p.addingReplicas.length + p.removingReplicas.length > 0);
        if (parts.length > 0) topics.push({ name: t.name, partitions: parts.map(describe) });
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
  errorResponse(req, _version, code, message) {
    return {
      ...defaultListPartitionReassignmentsResponse(),
      errorCode: code,
      errorMessage: message ?? null,
      topics: (req.topics ?? []).map(topic => ({
        ...defaultListPartitionReassignmentsResponseOngoingTopicReassignment(),
        name: topic.name,
        partitions: topic.partitionIndexes.map(partitionIndex => ({
          ...defaultListPartitionReassignmentsResponseOngoingPartitionReassignment(),
          partitionIndex,
        })),
      })),
    };
  },
};
