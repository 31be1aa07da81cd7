// TxnOffsetCommit (28): a transactional producer commits a consumer group's offsets as part of its
// transaction (Kafka's handleTxnOffsetCommitRequest). Partitions of unknown topics are answered
// UNKNOWN_TOPIC_OR_PARTITION here, as for OffsetCommit; the rest are written to the group's
// partition of __consumer_offsets as a transactional batch and become the group's committed
// offsets only when the transaction commits. A whole-request failure answers every partition.
// Authorization (KafkaApis.handleTxnOffsetCommitRequest): WRITE on the transactional id, else the
// whole request is TRANSACTIONAL_ID_AUTHORIZATION_FAILED; READ on the group, else
// GROUP_AUTHORIZATION_FAILED; then READ on each topic, whose partitions are otherwise
// TOPIC_AUTHORIZATION_FAILED (before the topic's existence is looked at).
import type { Handler } from '../handler.js';
import { authorized, nameFilter } from '../authorization-groups.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
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
    if (ctx.broker.authorizer.enabled) {
      if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
        return handler.errorResponse(req, ctx.apiVersion, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      }
      if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    }
    const readable = nameFilter(ctx, AclOperation.READ, ResourceType.TOPIC);
    const codeOf = await commitKnownPartitions(ctx.broker.cluster, req.topics, readable, valid =>
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
