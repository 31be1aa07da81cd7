// LeaveGroup (13). v0-2 name one member and get one error at the top level; v3+ name several
// (by member id, or by group.instance.id alone for an administrative removal) and get one error
// each. A whole-request failure is a top-level error without members. READ on the group is
// required (KafkaApis.handleLeaveGroupRequest), else GROUP_AUTHORIZATION_FAILED.
import type { Handler } from '../handler.js';
import { authorized } from '../authorization-groups.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defaultLeaveGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/messages/index.js';

export const handler: Handler<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: 13,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, v, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const members = v < 3 ? [{ memberId: req.memberId, groupInstanceId: null, reason: null }] : req.members;
    const r = await ctx.broker.groups.leave(req.groupId, members);
    if (v < 3) return { ...defaultLeaveGroupResponse(), errorCode: r.errorCode !== 0 ? r.errorCode : (r.members[0]?.errorCode ?? 0) };
    return { ...defaultLeaveGroupResponse(), errorCode: r.errorCode, members: r.members };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultLeaveGroupResponse(), errorCode: code };
  },
};
