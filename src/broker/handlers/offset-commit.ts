// OffsetCommit (8). As Kafka's KafkaApis does, partitions of unknown topics are answered
// UNKNOWN_TOPIC_OR_PARTITION here and never reach the coordinator; the rest are validated
// against the group and written to __consumer_offsets before the answer. A whole-request
// failure answers every partition with the error. Authorization (KafkaApis.handleOffsetCommitRequest):
// READ on the group, else the whole request is GROUP_AUTHORIZATION_FAILED; then READ on each
// topic, whose partitions are otherwise TOPIC_AUTHORIZATION_FAILED - decided before the topic's
// existence, so an unknown topic one may not read is TOPIC_AUTHORIZATION_FAILED too.
import type { Handler } from '../handler.js';
import { authorized, nameFilter } from '../authorization-groups.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import type { Cluster } from '../../cluster/cluster.js';
import type { TopicPartitionErrors } from '../../coordinator/group/group-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultOffsetCommitResponse,
  defaultOffsetCommitResponseOffsetCommitResponsePartition,
  defaultOffsetCommitResponseOffsetCommitResponseTopic,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: 8,
  async handle(ctx, req) {
    if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const readable = nameFilter(ctx, AclOperation.READ, ResourceType.TOPIC);
    const codeOf = await commitKnownPartitions(ctx.broker.cluster, req.topics, readable, valid =>
      ctx.broker.groups.commitOffsets({
        groupId: req.groupId,
        generationIdOrMemberEpoch: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        retentionTimeMs: req.retentionTimeMs,
        apiVersion: ctx.apiVersion,
        topics: valid,
      }),
    );
    return answer(req, codeOf);
  },
  errorResponse(req, _version, code) {
    return answer(req, () => code);
  },
};

/**
 * OffsetCommit's and TxnOffsetCommit's first step, as Kafka's KafkaApis: partitions of topics
 * `readable` refuses (null: no authorizer) are answered TOPIC_AUTHORIZATION_FAILED, then those of
 * unknown topics UNKNOWN_TOPIC_OR_PARTITION; neither reaches the coordinator, which `commit` is
 * given the rest of. Resolves with every partition's error code.
 */
export async function commitKnownPartitions<P extends { partitionIndex: number }, T extends { name: string; partitions: P[] }>(
  cluster: Cluster,
  topics: readonly T[],
  readable: ((topic: string) => boolean) | null,
  commit: (valid: T[]) => Promise<TopicPartitionErrors>,
): Promise<(topic: string, partition: number) => number> {
  const errors = new Map<string, Map<number, number>>();
  const set = (topic: string, partition: number, code: number) => {
    let m = errors.get(topic);
    if (m === undefined) errors.set(topic, (m = new Map()));
    m.set(partition, code);
  };
  const valid: T[] = [];
  for (const t of topics) {
    if (readable !== null && !readable(t.name)) {
      for (const p of t.partitions) set(t.name, p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      continue;
    }
    const topic = cluster.topic(t.name);
    const ok = t.partitions.filter(p => {
      const exists = topic !== undefined && !topic.deleted && p.partitionIndex >= 0 && p.partitionIndex < topic.partitions.length;
      if (!exists) set(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      return exists;
    });
    if (ok.length > 0) valid.push({ ...t, partitions: ok });
  }
  if (valid.length > 0) {
    for (const t of await commit(valid)) for (const p of t.partitions) set(t.name, p.partitionIndex, p.errorCode);
  }
  return (topic, partition) => errors.get(topic)?.get(partition) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** Every partition of the request, in its order, with its error code. */
function answer(req: OffsetCommitRequest, codeOf: (topic: string, partition: number) => number): OffsetCommitResponse {
  return {
    ...defaultOffsetCommitResponse(),
    topics: req.topics.map(t => ({
      ...defaultOffsetCommitResponseOffsetCommitResponseTopic(),
      name: t.name,
      partitions: t.partitions.map(p => ({
        ...defaultOffsetCommitResponseOffsetCommitResponsePartition(),
        partitionIndex: p.partitionIndex,
        errorCode: codeOf(t.name, p.partitionIndex),
      })),
    })),
  };
}
