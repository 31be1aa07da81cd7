// ConsumerGroupHeartbeat (68). Top-level error code only: Kafka does not fill the error message
// here.
import type { Handler } from '../handler.js';
import {
  defaultConsumerGroupHeartbeatResponse,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  apiKey: 68,
  errorResponse(_req, _version, code) {
    return { ...defaultConsumerGroupHeartbeatResponse(), errorCode: code };
  },
};
