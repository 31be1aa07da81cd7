// SyncGroup (14). Top-level error with an empty assignment.
import type { Handler } from '../handler.js';
import { defaultSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/index.js';

export const handler: Handler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: 14,
  errorResponse(_req, _version, code) {
    return { ...defaultSyncGroupResponse(), errorCode: code, assignment: Buffer.alloc(0) };
  },
};
