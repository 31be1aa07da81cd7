// ListOffsets (2): offsets by time: earliest, latest, the first record at or after a timestamp,
// and the record with the largest timestamp. Kafka's error response answers every requested
// partition with the error, offset and timestamp unknown (-1).
import type { Handler } from '../handler.js';
import { duplicates } from '../topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  defaultListOffsetsResponseListOffsetsTopicResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  async handle(ctx, req) {
    const { cluster, replicas } = ctx.broker;
    const dup = duplicates(req.topics.flatMap(t => t.partitions.map(p => `${t.name}\u0000${p.partitionIndex}`)));
    const topics: ListOffsetsResponse['topics'] = [];
    for (const t of req.topics) {
      const topic = cluster.topic(t.name);
      const partitions: ListOffsetsResponse['topics'][number]['partitions'] = [];
      for (const p of t.partitions) {
        const partition = topic?.partitions[p.partitionIndex];
        let outcome;
        if (dup.has(`${t.name}\u0000${p.partitionIndex}`)) outcome = { errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1, offset: -1, leaderEpoch: -1 };
        else if (partition === undefined) outcome = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1, leaderEpoch: -1 };
        else outcome = await replicas.listOffset(partition, p.timestamp, req.isolationLevel, p.currentLeaderEpoch);
        partitions.push({ partitionIndex: p.partitionIndex, ...outcome });
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultListOffsetsResponse(),
      topics: req.topics.map(topic => ({
        ...defaultListOffsetsResponseListOffsetsTopicResponse(),
        name: topic.name,
        partitions: topic.partitions.map(partition => ({
          ...defaultListOffsetsResponseListOffsetsPartitionResponse(),
          partitionIndex: partition.partitionIndex,
          errorCode: code,
          offset: -1,
          timestamp: -1,
        })),
      })),
    };
  },
};
