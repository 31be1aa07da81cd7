// OffsetForLeaderEpoch (23). Kafka answers every requested partition with the error, leader
// epoch and end offset undefined (-1).
import type { Handler } from '../handler.js';
import {
  defaultOffsetForLeaderEpochResponse,
  defaultOffsetForLeaderEpochResponseEpochEndOffset,
  defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: 23,
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
