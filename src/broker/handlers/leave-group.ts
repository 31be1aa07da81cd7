// LeaveGroup (13). Top-level error only: Kafka does not answer the members of a v3+ request
// one by one here.
import type { Handler } from '../handler.js';
import { defaultLeaveGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/messages/index.js';

export const handler: Handler<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: 13,
  errorResponse(_req, _version, code) {
    return { ...defaultLeaveGroupResponse(), errorCode: code };
  },
};
