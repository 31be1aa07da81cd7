// SyncGroup (14): the leader hands out the assignments; every member's request is held until
// the group has stored them. Errors carry an empty assignment. As KafkaApis.handleSyncGroupRequest:
// from v5 a request without its protocol type and name is INCONSISTENT_GROUP_PROTOCOL, and then
// READ on the group is required (GROUP_AUTHORIZATION_FAILED).
import type { Handler } from '../handler.js';
import { authorized } from '../authorization-groups.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defaultSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/index.js';

export const handler: Handler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: 14,
  async handle(ctx, req) {
    if (ctx.apiVersion >= 5 && (req.protocolType === null || req.protocolName === null)) {
      return handler.errorResponse(req, ctx.apiVersion, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const r = await ctx.broker.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignments: req.assignments,
    });
    return { ...defaultSyncGroupResponse(), errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultSyncGroupResponse(), errorCode: code, assignment: Buffer.alloc(0) };
  },
};
