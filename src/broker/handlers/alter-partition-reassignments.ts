// AlterPartitionReassignments (45). Kafka sets the error and its message both at the top level
// and on every requested partition.
import type { Handler } from '../handler.js';
import {
  defaultAlterPartitionReassignmentsResponse,
  defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse,
  defaultAlterPartitionReassignmentsResponseReassignableTopicResponse,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  apiKey: 45,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultAlterPartitionReassignmentsResponse(),
      errorCode: code,
      errorMessage: message ?? null,
      responses: req.topics.map(topic => ({
        ...defaultAlterPartitionReassignmentsResponseReassignableTopicResponse(),
        name: topic.name,
        partitions: topic.partitions.map(partition => ({
          ...defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse(),
          partitionIndex: partition.partitionIndex,
          errorCode: code,
          errorMessage: message ?? null,
        })),
      })),
    };
  },
};
