// OffsetCommit (8). As Kafka's KafkaApis does, partitions of unknown topics are answered
// UNKNOWN_TOPIC_OR_PARTITION here and never reach the coordinator; the rest are validated
// against the group and written to __consumer_offsets before the answer. A whole-request
// failure answers every partition with the error.
import type { Handler } from '../handler.js';
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
    const cluster = ctx.broker.cluster;
    const errors = new Map<string, Map<number, number>>();
    const set = (topic: string, partition: number, code: number) => {
      let m = errors.get(topic);
      if (m === undefined) errors.set(topic, (m = new Map()));
      m.set(partition, code);
    };
    const valid: OffsetCommitRequest['topics'] = [];
    for (const t of req.topics) {
      const topic = cluster.topic(t.name);
      const ok = t.partitions.filter(p => {
        const exists = topic !== undefined && !topic.deleted && p.partitionIndex >= 0 && p.partitionIndex < topic.partitions.length;
        if (!exists) set(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        return exists;
      });
      if (ok.length > 0) valid.push({ ...t, partitions: ok });
    }
    if (valid.length > 0) {
      const committed = await ctx.broker.groups.commitOffsets({
        groupId: req.groupId,
        generationIdOrMemberEpoch: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        retentionTimeMs: req.retentionTimeMs,
        apiVersion: ctx.apiVersion,
        topics: valid,
      });
      for (const t of committed) for (const p of t.partitions) set(t.name, p.partitionIndex, p.errorCode);
    }
    return answer(req, (topic, partition) => errors.get(topic)?.get(partition) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  },
  errorResponse(req, _version, code) {
    return answer(req, () => code);
  },
};

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
