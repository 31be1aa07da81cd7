// ListOffsets (2): offsets by time: earliest, latest, the first record at or after a timestamp,
// and the record with the largest timestamp. Kafka's error response answers every requested
// partition with the error, offset and timestamp unknown (-1).
//
// Authorization (KafkaApis.handleListOffsetRequest): a topic the requester may not DESCRIBE is
// answered, after the others, with TOPIC_AUTHORIZATION_FAILED for each partition asked for.
import type { Handler } from '../handler.js';
import { duplicates } from '../topics.js';
import { authorizedTopicNames } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  defaultListOffsetsResponseListOffsetsTopicResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/messages/index.js';

/** The first version that knows each special timestamp (ReplicaManager.timestampMinSupportedVersion). */
const SPECIAL_TIMESTAMP_MIN_VERSION = new Map<number, number>([
  [-1, 1], // latest
  [-2, 1], // earliest
  [-3, 7], // max timestamp (KIP-734)
  [-4, 8], // earliest local (KIP-405)
  [-5, 9], // latest tiered (KIP-1005)
]);

const unknownOffset = (errorCode: number) => ({ errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 });

export const handler: Handler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  async handle(ctx, req) {
    const { cluster, replicas } = ctx.broker;
    const v = ctx.apiVersion;
    const key = (name: string, index: number) => `${name}\u0000${index}`;
    const dup = duplicates(req.topics.flatMap(t => t.partitions.map(p => key(t.name, p.partitionIndex))));
    // Kafka keys its answers by partition and groups them by topic: a topic named twice is
    // answered once, a duplicated partition once (with INVALID_REQUEST)
    const byTopic = new Map<string, ListOffsetsResponse['topics'][number]['partitions']>();
    const answered = new Set<string>();
    const allowed = authorizedTopicNames(ctx, AclOperation.DESCRIBE, req.topics.map(t => t.name));
    const refused: ListOffsetsResponse['topics'] = [];
    for (const t of req.topics) {
      if (allowed !== null && !allowed.has(t.name)) {
        // each refused topic entry as asked, every partition (duplicates too)
        refused.push({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, ...unknownOffset(ErrorCode.TOPIC_AUTHORIZATION_FAILED) })) });
        continue;
      }
      const topic = cluster.topic(t.name);
      let partitions = byTopic.get(t.name);
      if (partitions === undefined) byTopic.set(t.name, (partitions = []));
      for (const p of t.partitions) {
        const k = key(t.name, p.partitionIndex);
        if (answered.has(k)) continue;
        answered.add(k);
        const partition = topic?.partitions[p.partitionIndex];
        const minVersion = SPECIAL_TIMESTAMP_MIN_VERSION.get(p.timestamp);
        let outcome;
        if (dup.has(k)) outcome = unknownOffset(ErrorCode.INVALID_REQUEST);
        else if (p.timestamp < 0 && (minVersion === undefined || v < minVersion)) outcome = unknownOffset(ErrorCode.UNSUPPORTED_VERSION);
        else if (partition === undefined) outcome = unknownOffset(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else outcome = await replicas.listOffset(partition, p.timestamp, req.isolationLevel, p.currentLeaderEpoch);
        partitions.push({ partitionIndex: p.partitionIndex, ...outcome });
      }
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    if (refused.length > 0) topics.push(...refused);
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
