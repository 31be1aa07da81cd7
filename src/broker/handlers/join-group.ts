// JoinGroup (11): a member joins a classic group; the response is held until the group's join
// phase completes. Errors carry an unknown generation (-1), empty leader, no members, and the
// protocol name null from v7 (where it is nullable), else "". READ on the group is required
// first (KafkaApis.handleJoinGroupRequest): GROUP_AUTHORIZATION_FAILED otherwise.
import type { Handler } from '../handler.js';
import { authorized } from '../authorization-groups.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { JoinResult } from '../../coordinator/group/classic-group.js';
import { defaultJoinGroupResponse, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/messages/index.js';

function toResponse(r: JoinResult, version: number): JoinGroupResponse {
  return {
    ...defaultJoinGroupResponse(),
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: r.protocolName ?? (version >= 7 ? null : ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map(m => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
}

export const handler: Handler<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: 11,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, v, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const result = await ctx.broker.groups.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout serves as both
      rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map(p => ({ name: p.name, metadata: p.metadata })),
      clientId: ctx.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
      requireKnownMemberId: v >= 4,
      supportsSkipAssignment: v >= 9,
      reason: req.reason,
    });
    return toResponse(result, v);
  },
  errorResponse(_req, version, code) {
    return {
      ...defaultJoinGroupResponse(),
      errorCode: code,
      generationId: -1,
      protocolName: version >= 7 ? null : '',
      leader: '',
      memberId: '',
      members: [],
    };
  },
};
