// Heartbeat (12). Top-level error only.
import type { Handler } from '../handler.js';
import { defaultHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/messages/index.js';

export const handler: Handler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: 12,
  errorResponse(_req, _version, code) {
    return { ...defaultHeartbeatResponse(), errorCode: code };
  },
};
