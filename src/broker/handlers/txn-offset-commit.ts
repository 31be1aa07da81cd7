// TxnOffsetCommit (28): a transactional producer commits a consumer group's offsets as part of its
// transaction (Kafka's handleTxnOffsetCommitRequest). Partitions of unknown topics are answered
// UNKNOWN_TOPIC_OR_PARTITION here, as for OffsetCommit; the rest are written to the group's
// partition of __consumer_offsets as a transactional batch and become the group's committed
// offsets only when the transaction commits. A whole-request failure answers every partition.
import type { Handler } from '../handler.js';
import {
  defaultTxnOffsetCommitResponse,
  defaultTxnOffsetCommitResponseTxnOffsetCommitResponsePartition,
  defaultTxnOffsetCommitResponseTxnOffsetCommitResponseTopic,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from '../../protocol/messages/index.js';
import { commitKnownPartitions } from './offset-commit.js';

export const handler: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  apiKey: 28,
  async handle(ctx, req) {
    const codeOf = await commitKnownPartitions(ctx.broker.cluster, req.topics, valid =>
      ctx.broker.groups.commitTxnOffsets({ ...req, apiVersion: ctx.apiVersion, topics: valid }),
    );
    return answer(req, codeOf);
  },
  errorResponse(req, _version, code) {
    return answer(req, () => code);
  },
};

/** Every partition of the request, in its order, with its error code. */
function answer(req: TxnOffsetCommitRequest, codeOf: (topic: string, partition: number) => number): TxnOffsetCommitResponse {
  return {
    ...defaultTxnOffsetCommitResponse(),
    topics: req.topics.map(topic => ({
      ...defaultTxnOffsetCommitResponseTxnOffsetCommitResponseTopic(),
      name: topic.name,
      partitions: topic.partitions.map(partition => ({
        ...defaultTxnOffsetCommitResponseTxnOffsetCommitResponsePartition(),
        partitionIndex: partition.partitionIndex,
        errorCode: codeOf(topic.name, partition.partitionIndex),
      })),
    })),
  };
}
