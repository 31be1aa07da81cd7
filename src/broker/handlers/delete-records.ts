// DeleteRecords (21). Kafka answers every requested partition with the error and an unknown low
// watermark (-1).
import type { Handler } from '../handler.js';
import {
  defaultDeleteRecordsResponse,
  defaultDeleteRecordsResponseDeleteRecordsPartitionResult,
  defaultDeleteRecordsResponseDeleteRecordsTopicResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: 21,
  errorResponse(req, _version, code) {
    return {
      ...defaultDeleteRecordsResponse(),
      topics: req.topics.map(topic => ({
        ...defaultDeleteRecordsResponseDeleteRecordsTopicResult(),
        name: topic.name,
        partitions: topic.partitions.map(partition => ({
          ...defaultDeleteRecordsResponseDeleteRecordsPartitionResult(),
          partitionIndex: partition.partitionIndex,
          lowWatermark: -1,
          errorCode: code,
        })),
      })),
    };
  },
};
