// ElectLeaders (43). Kafka answers every requested partition with the error and its message
// (none when the request names no partitions, meaning all of them), and sets the top-level error
// code where the response has one (v1+). A v0 request naming no partitions thus gets an answer
// with no error site at all.
import type { Handler } from '../handler.js';
import {
  defaultElectLeadersResponse,
  defaultElectLeadersResponsePartitionResult,
  defaultElectLeadersResponseReplicaElectionResult,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ElectLeadersRequest, ElectLeadersResponse> = {
  apiKey: 43,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultElectLeadersResponse(),
      errorCode: code,
      replicaElectionResults: (req.topicPartitions ?? []).map(topic => ({
        ...defaultElectLeadersResponseReplicaElectionResult(),
        topic: topic.topic,
        partitionResult: topic.partitions.map(partitionId => ({
          ...defaultElectLeadersResponsePartitionResult(),
          partitionId,
          errorCode: code,
          errorMessage: message ?? null,
        })),
      })),
    };
  },
};
