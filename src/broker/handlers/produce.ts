// Produce (0): appends each partition's record batch as received (validated by its header and
// CRC, never decoded record by record) and answers with the base offsets. acks=0 gets no
// response; if any partition failed, the connection is closed instead, as Kafka does, so the
// client refreshes its metadata. Kafka's error response answers every partition of the request
// with the error and its message, offsets unknown (-1).
//
// Authorization (KafkaApis.handleProduceRequest): a request carrying transactional batches needs
// a transactional id and WRITE on it, else every partition is answered
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (acks=0: the connection is closed), also when no
// authorizer is configured (Kafka checks the id before asking the authorizer); a topic needs WRITE,
// else its partitions are TOPIC_AUTHORIZATION_FAILED, before they are looked up (from v13 a topic
// id that names no topic is UNKNOWN_TOPIC_ID first).
import { NO_RESPONSE, arrivedAs, type Handler, type RequestContext } from '../handler.js';
import { nodeEndpoint } from '../topics.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { throttleProduce } from '../quota-manager.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { AppendOutcome } from '../replica-manager.js';
import type { Topic } from '../../cluster/cluster.js';
import {
  defaultProduceResponse,
  defaultProduceResponseLeaderIdAndEpoch,
  defaultProduceResponsePartitionProduceResponse,
  defaultProduceResponseTopicProduceResponse,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type ProduceResponseTopicProduceResponse,
} from '../../protocol/messages/index.js';

/** Versions below this carry message format v0/v1, which Kafka 4 no longer accepts. */
const FIRST_RECORD_BATCH_VERSION = 3;

function partitionResponse(index: number, out: AppendOutcome): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode: out.errorCode,
    baseOffset: out.baseOffset,
    logAppendTimeMs: out.logAppendTime,
    logStartOffset: out.logStartOffset,
    recordErrors: out.recordErrors,
    errorMessage: out.errorCode === ErrorCode.NONE ? null : out.errorMessage,
    currentLeader: defaultProduceResponseLeaderIdAndEpoch(),
  };
}

function partitionError(index: number, errorCode: number): ProduceResponsePartitionProduceResponse {
  return { ...defaultProduceResponsePartitionProduceResponse(), index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

/** The transactional bit of a record batch's attributes. */
const TRANSACTIONAL_ATTRIBUTE = 0x10;
/** Offsets of the magic byte and the attributes in a record batch (v2) header; its length field. */
const MAGIC_OFFSET = 16;
const ATTRIBUTES_OFFSET = 21;
const LENGTH_OFFSET = 8;
const LOG_OVERHEAD = 12;

/**
 * Kafka's RequestUtils.hasTransactionalRecords: does the first whole batch of some partition's
 * records carry the transactional bit?
 */
function hasTransactionalRecords(req: ProduceRequest): boolean {
  for (const t of req.topicData) {
    for (const pd of t.partitionData) {
      const records = pd.records as Buffer | null;
      if (records === null || records.length <= ATTRIBUTES_OFFSET + 1) continue;
      if (LOG_OVERHEAD + records.readInt32BE(LENGTH_OFFSET) > records.length || records[MAGIC_OFFSET]! < 2) continue;
      if ((records.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_ATTRIBUTE) !== 0) return true;
    }
  }
  return false;
}

/**
 * KIP-951: a partition answered NOT_LEADER_OR_FOLLOWER names its current leader and epoch, and
 * the response carries that leader's endpoint, so the client need not ask Metadata first.
 */
function leaderHints(ctx: RequestContext, responses: ProduceResponseTopicProduceResponse[]): ProduceResponse['nodeEndpoints'] {
  let endpoints: ProduceResponse['nodeEndpoints'] | null = null;
  for (const t of responses) {
    for (const pr of t.partitionResponses) {
      if (pr.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) continue;
      const topic = ctx.apiVersion >= 13 ? ctx.broker.cluster.topicById(t.topicId) : ctx.broker.cluster.topic(t.name);
      const p = topic?.partitions[pr.index];
      if (p === undefined) continue;
      pr.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
      endpoints ??= [];
      const node = ctx.broker.cluster.node(p.leader);
      const endpoint = node?.alive ? nodeEndpoint(ctx.broker, p.leader, ctx.connection) : null;
      if (node !== undefined && endpoint !== null && !endpoints.some(e => e.nodeId === p.leader)) endpoints.push({ nodeId: p.leader, host: endpoint.host, port: endpoint.port, rack: node.rack });
    }
  }
  return endpoints ?? [];
}

export const handler: Handler<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const { cluster, replicas } = ctx.broker;
    if (v < FIRST_RECORD_BATCH_VERSION) {
      const message = `Produce v${v} (message format v0/v1) is not supported; use v3 or later`;
      if (req.acks !== 0) return handler.errorResponse(req, v, ErrorCode.UNSUPPORTED_VERSION, message);
      // no response to carry the error: close, as for any failed acks=0 produce
      ctx.connection.close(message);
      return NO_RESPONSE;
    }
    const authorizer = ctx.broker.authorizer;
    const secure = authorizer.enabled;
    // with or without an authorizer, as Kafka: transactional batches need a transactional id
    // (and, with one, WRITE on it)
    if (hasTransactionalRecords(req)) {
      const txnId = req.transactionalId;
      if (txnId === null || (secure && !authorizer.allows(ctx.connection, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txnId))) {
        // Kafka's error response (none for acks=0, whose connection is closed instead); the
        // exception carries the code's default text, which ApiError leaves out
        if (req.acks !== 0) return handler.errorResponse(req, v, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        ctx.connection.close('a produce with acks=0 failed: transactional id authorization failed');
        return NO_RESPONSE;
      }
    }
    const validAcks = req.acks === -1 || req.acks === 0 || req.acks === 1;
    // appends are issued in request order; only a log that must wait makes this asynchronous
    let waiting: Promise<void>[] | null = null;
    const responses: ProduceResponseTopicProduceResponse[] = [];
    for (const t of req.topicData) {
      const topic: Topic | undefined = v >= 13 ? cluster.topicById(t.topicId) : cluster.topic(t.name);
      const unknown = v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      // WRITE on the topic, by name (from v13 only for an id that names a topic)
      const denied = secure && (v >= 13 ? topic !== undefined && !authorizer.allows(ctx.connection, AclOperation.WRITE, ResourceType.TOPIC, topic.name) : !authorizer.allows(ctx.connection, AclOperation.WRITE, ResourceType.TOPIC, t.name));
      const partitionResponses: ProduceResponsePartitionProduceResponse[] = [];
      for (const pd of t.partitionData) {
        const partition = topic?.partitions[pd.index];
        // Kafka answers unauthorized topics, then unknown partitions, then bad acks (ReplicaManager.appendRecords)
        if (denied) partitionResponses.push(partitionError(pd.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        else if (topic === undefined) partitionResponses.push(partitionError(pd.index, unknown));
        else if (partition === undefined) partitionResponses.push(partitionError(pd.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        else if (!validAcks) partitionResponses.push(partitionError(pd.index, ErrorCode.INVALID_REQUIRED_ACKS));
        else {
          const records = pd.records as Buffer | null;
          const out = replicas.append(partition, records, records === null ? null : arrivedAs(ctx, records), req.acks, v, req.transactionalId);
          if (out instanceof Promise) {
            const slot = partitionResponses.push(partitionError(pd.index, ErrorCode.NONE)) - 1;
            (waiting ??= []).push(out.then(o => void (partitionResponses[slot] = partitionResponse(pd.index, o))));
          } else partitionResponses.push(partitionResponse(pd.index, out));
        }
      }
      responses.push({ name: t.name, topicId: t.topicId, partitionResponses });
    }
    const finish = (): ProduceResponse | typeof NO_RESPONSE => {
      // client quotas: one check while none was ever set; over producer_byte_rate the connection is muted
      const throttleTimeMs = ctx.broker.quotas.produce.enabled ? throttleProduce(ctx) : 0;
      if (req.acks !== 0) return { throttleTimeMs, responses, nodeEndpoints: v >= 10 ? leaderHints(ctx, responses) : [] };
      if (responses.some(t => t.partitionResponses.some(p => p.errorCode !== ErrorCode.NONE))) ctx.connection.close('a produce with acks=0 failed');
      return NO_RESPONSE;
    };
    return waiting === null ? finish() : Promise.all(waiting).then(finish);
  },
  errorResponse(req, _version, code, message) {
    return {
      ...defaultProduceResponse(),
      responses: req.topicData.map(topic => ({
        ...defaultProduceResponseTopicProduceResponse(),
        name: topic.name,
        topicId: topic.topicId,
        partitionResponses: topic.partitionData.map(partition => ({
          ...partitionError(partition.index, code),
          errorMessage: message ?? null,
        })),
      })),
    };
  },
};
