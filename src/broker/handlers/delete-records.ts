// DeleteRecords (21): moves partitions' log start offsets forward; segments wholly below the new
// start are deleted at once. Kafka keys the request by partition (a partition named twice is
// answered once, with the last offset asked for), refuses internal topics, and answers with
// the new low watermark. Its error response answers every partition with the error and an
// unknown low watermark (-1).
//
// Authorization (KafkaApis.handleDeleteRecordsRequest): a topic needs DELETE, else each of its
// partitions is TOPIC_AUTHORIZATION_FAILED, before it is looked up.
import type { Handler } from '../handler.js';
import { authorizedTopicNames } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultDeleteRecordsResponse,
  defaultDeleteRecordsResponseDeleteRecordsPartitionResult,
  defaultDeleteRecordsResponseDeleteRecordsTopicResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from '../../protocol/messages/index.js';

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];

export const handler: Handler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: 21,
  async handle(ctx, req) {
    const { cluster, replicas } = ctx.broker;
    // by topic, then partition: the last offset given for a partition wins
    const asked = new Map<string, Map<number, number>>();
    for (const t of req.topics) {
      let partitions = asked.get(t.name);
      if (partitions === undefined) asked.set(t.name, (partitions = new Map()));
      for (const p of t.partitions) partitions.set(p.partitionIndex, p.offset);
    }
    const allowed = authorizedTopicNames(ctx, AclOperation.DELETE, asked.keys());
    const topics: DeleteRecordsResponse['topics'] = [];
    for (const [name, partitions] of asked) {
      const topic = cluster.topic(name);
      const denied = allowed !== null && !allowed.has(name);
      const results: PartitionResult[] = [];
      for (const [partitionIndex, offset] of partitions) {
        const partition = topic?.partitions[partitionIndex];
        let outcome: { errorCode: number; lowWatermark: number };
        if (denied) outcome = { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, lowWatermark: -1 };
        else if (partition === undefined) outcome = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
        else if (topic!.internal) outcome = { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, lowWatermark: -1 };
        else outcome = await replicas.deleteRecords(partition, offset);
        results.push({ partitionIndex, ...outcome });
      }
      topics.push({ name, partitions: results });
    }
    return { throttleTimeMs: 0, topics };
  },
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
