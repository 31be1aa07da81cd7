// DescribeTopicPartitions (75). Kafka answers each requested topic with the error and no
// partitions.
import type { Handler } from '../handler.js';
import {
  defaultDescribeTopicPartitionsResponse,
  defaultDescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse> = {
  apiKey: 75,
  errorResponse(req, _version, code) {
    return {
      ...defaultDescribeTopicPartitionsResponse(),
      topics: req.topics.map(topic => ({
        ...defaultDescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic(),
        errorCode: code,
        name: topic.name,
        isInternal: false,
        partitions: [],
      })),
    };
  },
};
