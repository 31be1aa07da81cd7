// ConsumerGroupHeartbeat (68): a KIP-848 consumer group member joins, heartbeats, reconciles its
// assignment and leaves with this one request. Errors are top-level, with Kafka's message.
import type { Handler } from '../handler.js';
import {
  defaultConsumerGroupHeartbeatResponse,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  apiKey: 68,
  handle(ctx, req) {
    return ctx.broker.groups.consumerHeartbeat(req, {
      apiVersion: ctx.apiVersion,
      clientId: ctx.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
    });
  },
  errorResponse(_req, _version, code, message) {
    return { ...defaultConsumerGroupHeartbeatResponse(), errorCode: code, errorMessage: message ?? null };
  },
};
