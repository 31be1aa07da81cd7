// AddPartitionsToTxn (24). Below v4 (one transaction per request, sent by producers) every
// requested partition is answered; from v4 (batched, sent by brokers) the results come per
// transaction, and a transaction marked verifyOnly is only checked (KIP-890). As in Kafka's
// KafkaApis: a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION and the others of its
// transaction OPERATION_NOT_ATTEMPTED; otherwise the coordinator's one answer goes to every
// partition (verification answers per partition).
// Authorization (KafkaApis.handleAddPartitionsToTxnRequest): v4+ comes from brokers and needs
// CLUSTER_ACTION on the cluster, else the whole request is CLUSTER_AUTHORIZATION_FAILED. Below v4
// (clients) the transaction needs WRITE on its transactional id, else every partition is
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED; and each topic WRITE, else its partitions are
// TOPIC_AUTHORIZATION_FAILED (decided before existence; internal topics are always refused, with
// or without an authorizer, as Kafka filters them out before authorizing), the others of the
// transaction then OPERATION_NOT_ATTEMPTED.
import type { Handler, RequestContext } from '../handler.js';
import { authorized, nameFilter } from '../authorization-groups.js';
import { ErrorCode, fencedForVersion } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import {
  defaultAddPartitionsToTxnResponse,
  defaultAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResultV3AndBelow,
  defaultAddPartitionsToTxnResponseAddPartitionsToTxnTopicResultV3AndBelow,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from '../../protocol/messages/index.js';

interface TxnToAdd {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: { name: string; partitions: number[] }[];
}

type Results = AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[];

const resultsOf = (topics: TxnToAdd['topics'], codeOf: (topic: string, partition: number) => number): Results =>
  topics.map(t => ({ name: t.name, resultsByPartition: t.partitions.map(partitionIndex => ({ partitionIndex, partitionErrorCode: codeOf(t.name, partitionIndex) })) }));

async function addOne(ctx: RequestContext, txn: TxnToAdd): Promise<Results> {
  const cluster = ctx.broker.cluster;
  // v0-3 come from clients: their transactional id and topics are authorized (v4+ from brokers are not)
  const fromClient = ctx.apiVersion < 4;
  if (fromClient && !authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txn.transactionalId)) {
    return resultsOf(txn.topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  const writable = fromClient ? nameFilter(ctx, AclOperation.WRITE, ResourceType.TOPIC) : null;
  const failed = new Map<string, number>();
  for (const t of txn.topics) {
    if (fromClient && (cluster.isInternalTopic(t.name) || (writable !== null && !writable(t.name)))) {
      for (const p of t.partitions) failed.set(`${t.name}\u0000${p}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      continue;
    }
    const topic = cluster.topic(t.name);
    for (const p of t.partitions) if (topic === undefined || topic.deleted || topic.partitions[p] === undefined) failed.set(`${t.name}\u0000${p}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
  if (failed.size > 0) return resultsOf(txn.topics, (topic, p) => failed.get(`${topic}\u0000${p}`) ?? ErrorCode.OPERATION_NOT_ATTEMPTED);
  const coordinator = ctx.broker.transactions;
  const partitions = txn.topics.flatMap(t => t.partitions.map(partition => ({ topic: t.name, partition })));
  if (txn.verifyOnly) {
    const verified = coordinator.verify(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions);
    return resultsOf(txn.topics, (topic, p) => (typeof verified === 'number' ? verified : verified.get(`${topic}\u0000${p}`)!));
  }
  // v5's adds are the produce path's of transaction version 2 (Kafka's addPartition operation)
  const code = await coordinator.addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions, ctx.apiVersion >= 5 ? 2 : 0);
  return resultsOf(txn.topics, () => fencedForVersion(code, ctx.apiVersion, 2));
}

export const handler: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: 24,
  async handle(ctx, req) {
    if (ctx.apiVersion < 4) {
      const results = await addOne(ctx, {
        transactionalId: req.v3AndBelowTransactionalId,
        producerId: req.v3AndBelowProducerId,
        producerEpoch: req.v3AndBelowProducerEpoch,
        verifyOnly: false,
        topics: req.v3AndBelowTopics,
      });
      return { ...defaultAddPartitionsToTxnResponse(), resultsByTopicV3AndBelow: results };
    }
    if (ctx.broker.authorizer.enabled && !ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.CLUSTER_ACTION)) {
      return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    const resultsByTransaction = [];
    for (const txn of req.transactions) resultsByTransaction.push({ transactionalId: txn.transactionalId, topicResults: await addOne(ctx, txn) });
    return { ...defaultAddPartitionsToTxnResponse(), resultsByTransaction };
  },
  errorResponse(req, version, code) {
    if (version >= 4) return { ...defaultAddPartitionsToTxnResponse(), errorCode: code };
    return {
      ...defaultAddPartitionsToTxnResponse(),
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map(topic => ({
        ...defaultAddPartitionsToTxnResponseAddPartitionsToTxnTopicResultV3AndBelow(),
        name: topic.name,
        resultsByPartition: topic.partitions.map(partitionIndex => ({
          ...defaultAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResultV3AndBelow(),
          partitionIndex,
          partitionErrorCode: code,
        })),
      })),
    };
  },
};
