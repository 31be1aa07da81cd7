// DescribeProducers (61). Kafka answers every requested partition with the error code (the
// partitions' error message is left null) and no producers.
import type { Handler } from '../handler.js';
import {
  defaultDescribeProducersResponse,
  defaultDescribeProducersResponsePartitionResponse,
  defaultDescribeProducersResponseTopicResponse,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeProducersRequest, DescribeProducersResponse> = {
  apiKey: 61,
  errorResponse(req, _version, code) {
    return {
      ...defaultDescribeProducersResponse(),
      topics: req.topics.map(topic => ({
        ...defaultDescribeProducersResponseTopicResponse(),
        name: topic.name,
        partitions: topic.partitionIndexes.map(partitionIndex => ({
          ...defaultDescribeProducersResponsePartitionResponse(),
          partitionIndex,
          errorCode: code,
        })),
      })),
    };
  },
};
