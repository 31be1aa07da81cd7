// Heartbeat (12): keeps a classic member's session alive and tells it when to rejoin. Top-level
// error only.
import type { Handler } from '../handler.js';
import { defaultHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/messages/index.js';

export const handler: Handler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: 12,
  handle(ctx, req) {
    return { ...defaultHeartbeatResponse(), errorCode: ctx.broker.groups.heartbeat(req) };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultHeartbeatResponse(), errorCode: code };
  },
};
