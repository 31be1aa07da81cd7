// DeleteTopics (20): deletes topics by name (and from v6 by topic id). Kafka's error response
// answers each requested topic with the error code; it does not fill the error message there.
import type { Handler } from '../handler.js';
import { duplicates } from '../topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/wire.js';
import type { Topic } from '../../cluster/cluster.js';
import {
  defaultDeleteTopicsResponse,
  defaultDeleteTopicsResponseDeletableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: 20,
  async handle(ctx, req) {
    const cluster = ctx.broker.cluster;
    const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map(name => ({ name, topicId: ZERO_UUID }));
    const dup = duplicates(wanted.map(t => t.name ?? t.topicId));
    const enabled = ctx.broker.config.bool('delete.topic.enable');
    const responses: DeleteTopicsResponse['responses'] = [];
    for (const t of wanted) {
      const result = { ...defaultDeleteTopicsResponseDeletableTopicResult(), name: t.name, topicId: t.topicId };
      let topic: Topic | undefined;
      if (!enabled) result.errorCode = ErrorCode.TOPIC_DELETION_DISABLED;
      else if (dup.has(t.name ?? t.topicId)) {
        result.errorCode = ErrorCode.INVALID_REQUEST;
        result.errorMessage = 'Duplicate topic name.';
      } else if (t.name !== null && t.topicId !== ZERO_UUID) {
        result.errorCode = ErrorCode.INVALID_REQUEST;
        result.errorMessage = 'A topic may be named by name or by topic id, not both.';
      } else if (t.name !== null) {
        topic = cluster.topic(t.name);
        if (!topic) result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      } else {
        topic = t.topicId === ZERO_UUID ? undefined : cluster.topicById(t.topicId);
        if (!topic) result.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
      }
      if (topic) {
        result.name = topic.name;
        result.topicId = topic.id;
        await cluster.deleteTopic(topic);
        ctx.log.info({ topic: topic.name }, 'deleted topic');
      }
      responses.push(result);
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, version, code) {
    const responses =
      version >= 6
        ? req.topics.map(topic => ({
            ...defaultDeleteTopicsResponseDeletableTopicResult(),
            name: topic.name,
            topicId: topic.topicId,
            errorCode: code,
          }))
        : req.topicNames.map(name => ({
            ...defaultDeleteTopicsResponseDeletableTopicResult(),
            name,
            errorCode: code,
          }));
    return { ...defaultDeleteTopicsResponse(), responses };
  },
};
