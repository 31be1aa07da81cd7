// WriteTxnMarkers (27). Kafka answers every partition of every marker with the error, per
// producer id. (Kafka builds this through hash maps, merging markers of the same producer and
// topics of the same name; here each marker and topic of the request is answered in order.)
// The API is not built (brokers write their markers in-process). When it is, authorize as Kafka
// 4.1's handleWriteTxnMarkersRequest: ALTER on the cluster (not logged when denied), else
// CLUSTER_ACTION, else the whole request is CLUSTER_AUTHORIZATION_FAILED.
import type { Handler } from '../handler.js';
import {
  defaultWriteTxnMarkersResponse,
  defaultWriteTxnMarkersResponseWritableTxnMarkerPartitionResult,
  defaultWriteTxnMarkersResponseWritableTxnMarkerResult,
  defaultWriteTxnMarkersResponseWritableTxnMarkerTopicResult,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = {
  apiKey: 27,
  errorResponse(req, _version, code) {
    return {
      ...defaultWriteTxnMarkersResponse(),
      markers: req.markers.map(marker => ({
        ...defaultWriteTxnMarkersResponseWritableTxnMarkerResult(),
        producerId: marker.producerId,
        topics: marker.topics.map(topic => ({
          ...defaultWriteTxnMarkersResponseWritableTxnMarkerTopicResult(),
          name: topic.name,
          partitions: topic.partitionIndexes.map(partitionIndex => ({
            ...defaultWriteTxnMarkersResponseWritableTxnMarkerPartitionResult(),
            partitionIndex,
            errorCode: code,
          })),
        })),
      })),
    };
  },
};
