// DescribeProducers (61, KIP-664): the idempotent and transactional producers a partition's log
// keeps state for. As Kafka 4.1 (KafkaApis.handleDescribeProducersRequest, then
// ReplicaManager.activeProducerState and Partition/UnifiedLog.activeProducers):
// - every requested topic and partition is answered, in request order, duplicates included;
// - an illegal topic name is INVALID_TOPIC_EXCEPTION, then a topic one may not READ
//   TOPIC_AUTHORIZATION_FAILED, then an unknown topic UNKNOWN_TOPIC_OR_PARTITION, for each of its
//   partitions and with an error message (Topic.validate's complaint; the error's default message);
// - a partition the topic does not have is UNKNOWN_TOPIC_OR_PARTITION, one this broker holds no
//   replica of NOT_LEADER_OR_FOLLOWER, one whose log is offline KAFKA_STORAGE_ERROR - these
//   without a message;
// - any replica answers from its own log: Kafka does not ask for leadership here (the admin
//   client sends the request to the leader).
// A producer's lastSequence is its last retained batch's last sequence, -1 when it has none (a
// producer known only from a marker, or whose epoch a marker bumped); lastTimestamp is the max
// timestamp of its last batch or the timestamp of its last marker, whichever came last.
import type { Handler } from '../handler.js';
import { nameFilter } from '../authorization-groups.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { topicNameProblem } from '../../cluster/cluster.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import type { ProducerEntry } from '../../storage/producer-state.js';
import {
  defaultDescribeProducersResponse,
  defaultDescribeProducersResponsePartitionResponse,
  defaultDescribeProducersResponseTopicResponse,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
} from '../../protocol/messages/index.js';

type PartitionResponse = DescribeProducersResponse['topics'][number]['partitions'][number];
type ProducerState = PartitionResponse['activeProducers'][number];

/** Kafka's UnifiedLog.activeProducers, for one producer. */
function producerState(e: ProducerEntry): ProducerState {
  const last = e.batches[e.batches.length - 1];
  return {
    producerId: e.producerId,
    producerEpoch: e.epoch,
    lastSequence: last === undefined ? -1 : last.lastSeq,
    lastTimestamp: e.lastTimestamp,
    coordinatorEpoch: e.coordinatorEpoch,
    currentTxnStartOffset: e.currentTxnFirstOffset >= 0 ? e.currentTxnFirstOffset : -1,
  };
}

const failed = (partitionIndex: number, errorCode: number, message: string | null = null): PartitionResponse => ({
  partitionIndex,
  errorCode,
  errorMessage: message,
  activeProducers: [],
});

export const handler: Handler<DescribeProducersRequest, DescribeProducersResponse> = {
  apiKey: 61,
  handle(ctx, req) {
    const { cluster, nodeId } = ctx.broker;
    const topics: DescribeProducersResponse['topics'] = [];
    const readable = nameFilter(ctx, AclOperation.READ, ResourceType.TOPIC);
    for (const t of req.topics) {
      const problem = topicNameProblem(t.name);
      const topic = problem === null ? cluster.topic(t.name) : undefined;
      let topicError: { code: number; message: string } | null = null;
      if (problem !== null) topicError = { code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: problem };
      else if (readable !== null && !readable(t.name)) topicError = { code: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) };
      else if (topic === undefined || topic.deleted) topicError = { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: errorMessage(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) };
      const partitions = t.partitionIndexes.map((index): PartitionResponse => {
        if (topicError !== null) return failed(index, topicError.code, topicError.message);
        const p = topic!.partitions[index];
        if (p === undefined) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (!p.replicas.includes(nodeId)) return failed(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
        if (p.log.offline !== undefined) return failed(index, ErrorCode.KAFKA_STORAGE_ERROR);
        return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: p.log.producers.activeProducers().map(producerState) };
      });
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
  // Kafka's DescribeProducersRequest.getErrorResponse: every partition with the code, no message.
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
