// ListGroups (16): the groups this node coordinates, filtered by state (v4+) and type (v5+).
// A whole-request error is top-level, without groups.
import type { Handler } from '../handler.js';
import { defaultListGroupsResponse, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/index.js';

export const handler: Handler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  handle(ctx, req) {
    const r = ctx.broker.groups.list(req.statesFilter, req.typesFilter);
    return { ...defaultListGroupsResponse(), errorCode: r.errorCode, groups: r.groups };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultListGroupsResponse(), errorCode: code, groups: [] };
  },
};
