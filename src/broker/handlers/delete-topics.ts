// DeleteTopics (20): deletes topics by name (and from v6 by topic id). Kafka's error response
// answers each requested topic with the error code; it does not fill the error message there.
//
// Authorization (ControllerApis.deleteTopics): DELETE on the cluster allows every topic; otherwise
// a topic needs DELETE on itself, and one refused is TOPIC_AUTHORIZATION_FAILED without saying
// whether it exists: by name, a topic the requester may not even DESCRIBE is refused before it is
// looked up; by id, the name is answered only to a requester that may DESCRIBE it.
import type { Handler } from '../handler.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { duplicates } from '../topics.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/wire.js';
import type { Topic } from '../../cluster/cluster.js';
import {
  defaultDeleteTopicsResponse,
  defaultDeleteTopicsResponseDeletableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/messages/index.js';

type Result = DeleteTopicsResponse['responses'][number];

const result = (name: string | null, topicId: string, errorCode: number, errorMessage: string | null): Result => ({
  ...defaultDeleteTopicsResponseDeletableTopicResult(),
  name,
  topicId,
  errorCode,
  errorMessage,
});

export const handler: Handler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: 20,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const cluster = ctx.broker.cluster;
    // Kafka fails the whole request: InvalidRequestException before v3, TopicDeletionDisabledException after
    if (!ctx.broker.config.bool('delete.topic.enable')) {
      return handler.errorResponse(req, v, v < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED);
    }
    const wanted = v >= 6 ? req.topics : req.topicNames.map(name => ({ name, topicId: ZERO_UUID }));
    // As ControllerApis.deleteTopics: a name or id given twice is refused (once) and not deleted;
    // a name and an id together, or neither, are refused.
    const dupNames = duplicates(wanted.filter(t => t.name !== null && t.topicId === ZERO_UUID).map(t => t.name));
    const dupIds = duplicates(wanted.filter(t => t.name === null && t.topicId !== ZERO_UUID).map(t => t.topicId));
    const answered = new Set<string>();
    const responses: Result[] = [];
    const { authorizer } = ctx.broker;
    const conn = ctx.connection;
    const mayDeleteAll = !authorizer.enabled || authorizer.allowsCluster(conn, AclOperation.DELETE);
    const allowed = (op: number, name: string): boolean => mayDeleteAll || authorizer.allows(conn, op, ResourceType.TOPIC, name);
    const refusedMessage = errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const toDelete = new Map<Topic, Result>();
    for (const t of wanted) {
      if (t.name === null && t.topicId === ZERO_UUID) {
        responses.push(result(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'));
      } else if (t.name !== null && t.topicId !== ZERO_UUID) {
        responses.push(result(t.name, t.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'));
      } else if (t.name !== null ? dupNames.has(t.name) : dupIds.has(t.topicId)) {
        const key = t.name ?? `\u0000${t.topicId}`;
        if (answered.has(key)) continue;
        answered.add(key);
        responses.push(
          t.name !== null
            ? result(t.name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.')
            : result(null, t.topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'),
        );
      } else if (t.name !== null && !allowed(AclOperation.DESCRIBE, t.name)) {
        responses.push(result(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, refusedMessage));
      } else {
        const topic = t.name !== null ? cluster.topic(t.name) : cluster.topicById(t.topicId);
        if (!topic) {
          const code = t.name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID;
          responses.push(result(t.name, t.topicId, code, errorMessage(code)));
        } else if (!allowed(AclOperation.DELETE, topic.name)) {
          if (t.name !== null) responses.push(result(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, refusedMessage));
          else responses.push(result(allowed(AclOperation.DESCRIBE, topic.name) ? topic.name : null, t.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED, refusedMessage));
        } else if (toDelete.has(topic)) {
          // one topic named by its name and by its id: Kafka deletes neither
          const earlier = toDelete.get(topic)!;
          toDelete.delete(topic);
          Object.assign(earlier, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The provided topic name maps to an ID that was already supplied.' });
          responses.push(result(topic.name, topic.id, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'));
        } else {
          const r = result(topic.name, topic.id, ErrorCode.NONE, null);
          toDelete.set(topic, r);
          responses.push(r);
        }
      }
    }
    for (const topic of toDelete.keys()) {
      await cluster.deleteTopic(topic);
      ctx.log.info({ topic: topic.name }, 'deleted topic');
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
