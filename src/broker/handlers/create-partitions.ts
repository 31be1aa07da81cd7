// CreatePartitions (37): adds partitions to topics (or only checks, with validateOnly). Kafka's
// error response answers each requested topic with the error and its message.
//
// Authorization (ControllerApis.createPartitions): a topic needs ALTER, else it is answered after
// the duplicates TOPIC_AUTHORIZATION_FAILED (no message), before it is looked up.
import type { Handler } from '../handler.js';
import { duplicates, kafkaErrorOf } from '../topics.js';
import { authorizedTopicNames } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultCreatePartitionsResponse,
  defaultCreatePartitionsResponseCreatePartitionsTopicResult,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: 37,
  handle(ctx, req) {
    const cluster = ctx.broker.cluster;
    const dup = duplicates(req.topics.map(t => t.name));
    const results: CreatePartitionsResponse['results'] = [];
    for (const name of dup) results.push({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
    const allowed = authorizedTopicNames(ctx, AclOperation.ALTER, req.topics.filter(t => !dup.has(t.name)).map(t => t.name));
    if (allowed !== null) {
      for (const t of req.topics) if (!dup.has(t.name) && !allowed.has(t.name)) results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
    }
    for (const t of req.topics) {
      if (dup.has(t.name) || (allowed !== null && !allowed.has(t.name))) continue;
      const topic = cluster.topic(t.name);
      if (!topic) {
        // Kafka throws UnknownTopicOrPartitionException without a message, so none is sent
        results.push({ name: t.name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
        continue;
      }
      try {
        const replicas = cluster.planPartitions(topic, t.count, t.assignments?.map(a => a.brokerIds) ?? null);
        if (!req.validateOnly) {
          cluster.createPartitions(topic, replicas);
          ctx.log.info({ topic: t.name, partitions: topic.partitions.length }, 'created partitions');
        }
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        const { code, message } = kafkaErrorOf(err);
        results.push({ name: t.name, errorCode: code, errorMessage: message });
      }
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, code, message) {
    return {
      ...defaultCreatePartitionsResponse(),
      results: req.topics.map(topic => ({
        ...defaultCreatePartitionsResponseCreatePartitionsTopicResult(),
        name: topic.name,
        errorCode: code,
        errorMessage: message ?? null,
      })),
    };
  },
};
