// ConsumerGroupHeartbeat (68): a KIP-848 consumer group member joins, heartbeats, reconciles its
// assignment and leaves with this one request. Errors are top-level, with Kafka's message.
// Authorization (Kafka 4.1's KafkaApis.handleConsumerGroupHeartbeat): READ on the group, else
// GROUP_AUTHORIZATION_FAILED; subscribed topic names one may not DESCRIBE fail the heartbeat with
// TOPIC_AUTHORIZATION_FAILED (no message). A regex subscription resolves only to topics the
// heartbeating member may DESCRIBE (GroupMetadataManager.refreshRegularExpressions).
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultConsumerGroupHeartbeatResponse,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/index.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { authorized, nameFilter } from '../authorization-groups.js';

export const handler: Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  apiKey: 68,
  handle(ctx, req) {
    const heartbeat = { apiVersion: ctx.apiVersion, clientId: ctx.clientId ?? '', clientHost: `/${ctx.connection.remoteAddress}` };
    if (!ctx.broker.authorizer.enabled) return ctx.broker.groups.consumerHeartbeat(req, heartbeat);
    if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const topicDescribable = nameFilter(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC)!;
    if (req.subscribedTopicNames !== null) {
      for (const name of req.subscribedTopicNames) {
        if (!topicDescribable(name)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      }
    }
    // the coordinator spreads this into the consumer group's HeartbeatContext, whose
    // topicDescribable filters what the member's regex resolves to
    const withAuthorization = { ...heartbeat, topicDescribable };
    return ctx.broker.groups.consumerHeartbeat(req, withAuthorization);
  },
  errorResponse(_req, _version, code, message) {
    return { ...defaultConsumerGroupHeartbeatResponse(), errorCode: code, errorMessage: message ?? null };
  },
};
