// TxnOffsetCommit (28). Kafka answers every partition of the request with the error.
import type { Handler } from '../handler.js';
import {
  defaultTxnOffsetCommitResponse,
  defaultTxnOffsetCommitResponseTxnOffsetCommitResponsePartition,
  defaultTxnOffsetCommitResponseTxnOffsetCommitResponseTopic,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  apiKey: 28,
  errorResponse(req, _version, code) {
    return {
      ...defaultTxnOffsetCommitResponse(),
      topics: req.topics.map(topic => ({
        ...defaultTxnOffsetCommitResponseTxnOffsetCommitResponseTopic(),
        name: topic.name,
        partitions: topic.partitions.map(partition => ({
          ...defaultTxnOffsetCommitResponseTxnOffsetCommitResponsePartition(),
          partitionIndex: partition.partitionIndex,
          errorCode: code,
        })),
      })),
    };
  },
};
