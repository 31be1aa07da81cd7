// DescribeTopicPartitions (75): topics and their partitions a page at a time (KIP-966), as Kafka
// 4.1's DescribeTopicPartitionsRequestHandler and KRaftMetadataCache answer it:
//   - the topics asked for, or every topic (internal ones too) when none are, from the cursor's
//     topic on, without duplicates, sorted by name (String.compareTo: UTF-16 code units);
//   - at most max(min(responsePartitionLimit, max.request.partition.size.limit = 2000), 1)
//     partitions; a topic cut short ends the page with nextCursor at its next partition, and a
//     page full at a topic's end with nextCursor at the next topic's partition 0 (which need not
//     exist);
//   - the cursor's topic starts at the cursor's partition (past its last: the topic with no
//     partitions); a listed topic that does not exist is UNKNOWN_TOPIC_OR_PARTITION (an illegal
//     name INVALID_TOPIC_EXCEPTION), with the zero topic id; asking for all topics leaves out
//     nothing but what is before the cursor;
//   - a cursor whose topic is not among the listed ones, or with a negative partition, is
//     INVALID_REQUEST for every listed topic (Kafka's error response; none when all topics were
//     asked for);
//   - per partition: the leader (-1 when it has no endpoint on the client's listener), leader
//     epoch, replicas, ISR, eligible leader replicas and last known ELR (empty: Samsa does not
//     track ELR, as Kafka with eligible.leader.replicas.version 0), the replicas on stopped nodes
//     as offline; per topic the authorized operations (of the topics answered, not the refused);
//   - authorization: a topic the requester may not DESCRIBE is left out (asking for all topics) or
//     answered TOPIC_AUTHORIZATION_FAILED after the others, with the zero topic id and not
//     internal. As in Kafka, whose filter is lazy, a topic is only checked when the page reaches
//     it: those past a full page are neither answered nor refused.
import type { Handler, RequestContext } from '../handler.js';
import { nodeEndpoint } from '../topics.js';
import { OPERATIONS_NOT_REQUESTED, topicAuthorizedOperations } from '../authorization.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { topicNameProblem, type Topic } from '../../cluster/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/wire.js';
import {
  defaultDescribeTopicPartitionsResponse,
  defaultDescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition as PartitionAnswer,
  type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic as TopicAnswer,
} from '../../protocol/messages/index.js';

/** Kafka's max.request.partition.size.limit default: the most partitions one answer carries. */
export const MAX_REQUEST_PARTITION_SIZE_LIMIT = 2000;

export const handler: Handler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse> = {
  apiKey: 75,
  handle(ctx, req) {
    const cluster = ctx.broker.cluster;
    const fetchAll = req.topics.length === 0;
    const cursor = req.cursor;
    const cursorTopic = cursor?.topicName ?? '';
    const names = new Set<string>();
    if (fetchAll) {
      for (const topic of cluster.topics()) if (topic.name >= cursorTopic) names.add(topic.name);
    } else {
      for (const t of req.topics) if (t.name >= cursorTopic) names.add(t.name);
      if (cursor !== null && !names.has(cursor.topicName)) {
        ctx.log.debug({ cursor }, 'DescribeTopicPartitionsRequest topic list should contain the cursor topic');
        return handler.errorResponse(req, ctx.apiVersion, ErrorCode.INVALID_REQUEST);
      }
    }
    if (cursor !== null && cursor.partitionIndex < 0) {
      ctx.log.debug({ cursor }, 'DescribeTopicPartitionsRequest cursor partition must be valid');
      return handler.errorResponse(req, ctx.apiVersion, ErrorCode.INVALID_REQUEST);
    }

    const authorizer = ctx.broker.authorizer;
    let remaining = Math.max(Math.min(MAX_REQUEST_PARTITION_SIZE_LIMIT, req.responsePartitionLimit), 1);
    const topics: TopicAnswer[] = [];
    const refused: TopicAnswer[] = [];
    let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null;
    for (const name of [...names].sort()) {
      if (authorizer.enabled && !authorizer.allows(ctx.connection, AclOperation.DESCRIBE, ResourceType.TOPIC, name)) {
        if (!fetchAll) {
          refused.push({
            ...defaultDescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic(),
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            name,
            topicId: ZERO_UUID,
            isInternal: false,
            partitions: [],
            topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
          });
        }
        continue;
      }
      if (remaining === 0) {
        // the page is full at a topic's end: the next page starts at this one
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const topic = cluster.topic(name);
      if (topic === undefined) {
        if (!fetchAll) {
          const errorCode = topicNameProblem(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
          topics.push({
            ...defaultDescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic(),
            errorCode,
            name,
            topicId: ZERO_UUID,
            isInternal: cluster.isInternalTopic(name),
            partitions: [],
            topicAuthorizedOperations: topicAuthorizedOperations(ctx, name),
          });
        }
        continue;
      }
      const start = name === cursorTopic && cursor !== null ? cursor.partitionIndex : 0;
      const end = Math.min(topic.partitions.length, start + remaining);
      const partitions: PartitionAnswer[] = [];
      for (let i = start; i < end; i++) partitions.push(describePartition(ctx, topic, i));
      topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: topic.id,
        isInternal: topic.internal,
        partitions,
        topicAuthorizedOperations: topicAuthorizedOperations(ctx, name),
      });
      if (end < topic.partitions.length) {
        nextCursor = { topicName: name, partitionIndex: end };
        break;
      }
      remaining -= partitions.length;
    }
    if (refused.length > 0) topics.push(...refused);
    return { ...defaultDescribeTopicPartitionsResponse(), topics, nextCursor };
  },
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

function describePartition(ctx: RequestContext, topic: Topic, index: number): PartitionAnswer {
  const cluster = ctx.broker.cluster;
  const p = topic.partitions[index]!;
  const leaderKnown = p.leader >= 0 && nodeEndpoint(ctx.broker, p.leader, ctx.connection) !== null;
  return {
    errorCode: ErrorCode.NONE,
    partitionIndex: index,
    leaderId: leaderKnown ? p.leader : -1,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: p.replicas.slice(),
    isrNodes: p.isr.slice(),
    eligibleLeaderReplicas: [],
    lastKnownElr: [],
    offlineReplicas: p.replicas.filter(id => !cluster.isAlive(id)),
  };
}
