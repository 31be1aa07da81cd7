// ListPartitionReassignments (46). Top-level error and message; Kafka also lists each requested
// partition (none when the request names no topics), with empty replica lists: the partitions
// have no error field of their own.
import type { Handler } from '../handler.js';
import {
  defaultListPartitionReassignmentsResponse,
  defaultListPartitionReassignmentsResponseOngoingPartitionReassignment,
  defaultListPartitionReassignmentsResponseOngoingTopicReassignment,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  apiKey: 46,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultListPartitionReassignmentsResponse(),
      errorCode: code,
      errorMessage: message ?? null,
      topics: (req.topics ?? []).map(topic => ({
        ...defaultListPartitionReassignmentsResponseOngoingTopicReassignment(),
        name: topic.name,
        partitions: topic.partitionIndexes.map(partitionIndex => ({
          ...defaultListPartitionReassignmentsResponseOngoingPartitionReassignment(),
          partitionIndex,
        })),
      })),
    };
  },
};
