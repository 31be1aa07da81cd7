// Heartbeat (12): keeps a classic member's session alive and tells it when to rejoin. Top-level
// error only. READ on the group is required (KafkaApis.handleHeartbeatRequest).
import type { Handler } from '../handler.js';
import { authorized } from '../authorization-groups.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defaultHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/messages/index.js';

export const handler: Handler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: 12,
  handle(ctx, req) {
    if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    return { ...defaultHeartbeatResponse(), errorCode: ctx.broker.groups.heartbeat(req) };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultHeartbeatResponse(), errorCode: code };
  },
};
