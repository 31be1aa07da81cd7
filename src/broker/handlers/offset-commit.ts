// OffsetCommit (8). Kafka answers every partition of the request with the error.
import type { Handler } from '../handler.js';
import {
  defaultOffsetCommitResponse,
  defaultOffsetCommitResponseOffsetCommitResponsePartition,
  defaultOffsetCommitResponseOffsetCommitResponseTopic,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: 8,
  errorResponse(req, _version, code) {
    return {
      ...defaultOffsetCommitResponse(),
      topics: req.topics.map(topic => ({
        ...defaultOffsetCommitResponseOffsetCommitResponseTopic(),
        name: topic.name,
        partitions: topic.partitions.map(partition => ({
          ...defaultOffsetCommitResponseOffsetCommitResponsePartition(),
          partitionIndex: partition.partitionIndex,
          errorCode: code,
        })),
      })),
    };
  },
};
