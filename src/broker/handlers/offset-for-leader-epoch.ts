// OffsetForLeaderEpoch (23). Kafka answers every requested partition with the error, leader
// epoch and end offset undefined (-1).
//
// Authorization (KafkaApis.handleOffsetForLeaderEpochRequest): CLUSTER_ACTION on the cluster (a
// replica) allows every topic; otherwise (a consumer, KIP-320) a topic needs DESCRIBE, and one
// refused is answered, after the others, TOPIC_AUTHORIZATION_FAILED for each partition.
import { ErrorCode } from '../../protocol/errors.js';
import type { Handler } from '../handler.js';
import { authorizedTopicNames } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import {
  defaultOffsetForLeaderEpochResponse,
  defaultOffsetForLeaderEpochResponseEpochEndOffset,
  defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/messages/index.js';

const DEBUGGING_REPLICA_ID = -2;

/**
 * Kafka's LeaderEpochFileCache.endOffsetFor: the end offset of `requested` is where the next
 * higher epoch began (the log end offset for the latest epoch), answered with the highest known
 * epoch at or below it; below every known epoch, the requested epoch with the first known start.
 */
export function endOffsetForEpoch(epochStarts: readonly [number, number][], requested: number, logEndOffset: number): [number, number] {
  const latest = epochStarts[epochStarts.length - 1];
  if (requested < 0 || latest === undefined) return [-1, -1];
  if (requested === latest[0]) return [latest[0], logEndOffset];
  const higher = epochStarts.findIndex(([epoch]) => epoch > requested);
  if (higher < 0) return [-1, -1];
  if (higher === 0) return [requested, epochStarts[0]![1]];
  return [epochStarts[higher - 1]![0], epochStarts[higher]![1]];
}

export const handler: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: 23,
  handle(ctx, req) {
    const { cluster, replicas, authorizer } = ctx.broker;
    const allowed = authorizer.enabled && !authorizer.allowsCluster(ctx.connection, AclOperation.CLUSTER_ACTION) ? authorizedTopicNames(ctx, AclOperation.DESCRIBE, req.topics.map(t => t.topic)) : null;
    const asked = allowed === null ? req.topics : req.topics.filter(t => allowed.has(t.topic));
    const topics: OffsetForLeaderEpochResponse['topics'] = asked.map(t => ({
      topic: t.topic,
      partitions: t.partitions.map(r => {
        const p = cluster.topic(t.topic)?.partitions[r.partition];
        const failed = (errorCode: number) => ({ errorCode, partition: r.partition, leaderEpoch: -1, endOffset: -1 });
        if (p === undefined) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        // a consumer (replica id -1) asks the leader; Kafka's debugging replica id (-2) may ask any replica
        const check = req.replicaId === DEBUGGING_REPLICA_ID && p.replicas.includes(ctx.broker.nodeId) ? ErrorCode.NONE : replicas.checkLeader(p, r.currentLeaderEpoch);
        if (check !== ErrorCode.NONE) return failed(check);
        const [leaderEpoch, endOffset] = endOffsetForEpoch(p.epochStarts, r.leaderEpoch, p.log.logEndOffset);
        return { errorCode: ErrorCode.NONE, partition: r.partition, leaderEpoch, endOffset };
      }),
    }));
    if (allowed !== null) {
      for (const t of req.topics) {
        if (allowed.has(t.topic)) continue;
        topics.push({ topic: t.topic, partitions: t.partitions.map(r => ({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: r.partition, leaderEpoch: -1, endOffset: -1 })) });
      }
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultOffsetForLeaderEpochResponse(),
      topics: req.topics.map(topic => ({
        ...defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult(),
        topic: topic.topic,
        partitions: topic.partitions.map(partition => ({
          ...defaultOffsetForLeaderEpochResponseEpochEndOffset(),
          partition: partition.partition,
          errorCode: code,
          leaderEpoch: -1,
          endOffset: -1,
        })),
      })),
    };
  },
};
