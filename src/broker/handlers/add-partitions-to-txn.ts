// AddPartitionsToTxn (24). Below v4 (one transaction per request, sent by producers) Kafka
// answers every requested partition with the error; from v4 (batched, sent by brokers) it sets
// only the top-level error code and lists no transactions.
import type { Handler } from '../handler.js';
import {
  defaultAddPartitionsToTxnResponse,
  defaultAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResultV3AndBelow,
  defaultAddPartitionsToTxnResponseAddPartitionsToTxnTopicResultV3AndBelow,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: 24,
  errorResponse(req, version, code) {
    if (version >= 4) return { ...defaultAddPartitionsToTxnResponse(), errorCode: code };
    return {
      ...defaultAddPartitionsToTxnResponse(),
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map(topic => ({
        ...defaultAddPartitionsToTxnResponseAddPartitionsToTxnTopicResultV3AndBelow(),
        name: topic.name,
        resultsByPartition: topic.partitions.map(partitionIndex => ({
          ...defaultAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResultV3AndBelow(),
          partitionIndex,
          partitionErrorCode: code,
        })),
      })),
    };
  },
};
