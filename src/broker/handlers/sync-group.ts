// SyncGroup (14): the leader hands out the assignments; every member's request is held until
// the group has stored them. Errors carry an empty assignment.
import type { Handler } from '../handler.js';
import { defaultSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/index.js';

export const handler: Handler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: 14,
  async handle(ctx, req) {
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
