// ElectLeaders (43). Kafka answers every requested partition with the error and its message
// (none when the request names no partitions, meaning all of them), and sets the top-level error
// code where the response has one (v1+). A v0 request naming no partitions thus gets an answer
// with no error site at all. Kafka's controller requires ALTER on the cluster before anything
// else (ClusterAuthorizationException: "Request ... is not authorized.").
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { clusterDenied } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import type { Handler } from '../handler.js';
import {
  defaultElectLeadersResponse,
  defaultElectLeadersResponsePartitionResult,
  defaultElectLeadersResponseReplicaElectionResult,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
} from '../../protocol/messages/index.js';

const PREFERRED = 0;
const UNCLEAN = 1;

export const handler: Handler<ElectLeadersRequest, ElectLeadersResponse> = {
  apiKey: 43,
  handle(ctx, req) {
    const denied = clusterDenied(ctx, AclOperation.ALTER);
    if (denied !== null) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, denied);
    const cluster = ctx.broker.cluster;
    // v0 has no election type: preferred
    const type = ctx.apiVersion === 0 ? PREFERRED : req.electionType;
    if (type !== PREFERRED && type !== UNCLEAN) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.INVALID_REQUEST, `Unknown election type ${type}`);
    const kind = type === PREFERRED ? 'preferred' : 'unclean';
    const elect = (topic: string, index: number): { errorCode: number; errorMessage: string | null } => {
      const p = cluster.topic(topic)?.partitions[index];
      if (p === undefined) {
        return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: cluster.topic(topic) === undefined ? `No such topic as ${topic}` : `No such partition as ${topic}-${index}` };
      }
      const before = p.leader;
      const errorCode = cluster.electLeader(p, kind);
      if (errorCode === ErrorCode.NONE) ctx.log.info({ topic, partition: index, election: kind, from: before, to: p.leader, leaderEpoch: p.leaderEpoch }, 'elected a leader');
      return { errorCode, errorMessage: errorCode === ErrorCode.NONE ? null : errorMessage(errorCode) };
    };
    const replicaElectionResults: ElectLeadersResponse['replicaElectionResults'] = [];
    if (req.topicPartitions === null) {
      // every partition; those that already have the leader asked for are left out, as Kafka does
      for (const topic of cluster.topics()) {
        const partitionResult = [];
        for (const p of topic.partitions) {
          const r = elect(topic.name, p.index);
          if (r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) partitionResult.push({ partitionId: p.index, ...r });
        }
        replicaElectionResults.push({ topic: topic.name, partitionResult });
      }
    } else {
      for (const t of req.topicPartitions) replicaElectionResults.push({ topic: t.topic, partitionResult: t.partitions.map(partitionId => ({ partitionId, ...elect(t.topic, partitionId) })) });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
  },
  errorResponse(req, _version, code, message) {
    return {
      ...defaultElectLeadersResponse(),
      errorCode: code,
      replicaElectionResults: (req.topicPartitions ?? []).map(topic => ({
        ...defaultElectLeadersResponseReplicaElectionResult(),
        topic: topic.topic,
        partitionResult: topic.partitions.map(partitionId => ({
          ...defaultElectLeadersResponsePartitionResult(),
          partitionId,
          errorCode: code,
          errorMessage: message ?? null,
        })),
      })),
    };
  },
};
