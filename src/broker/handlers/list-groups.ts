// ListGroups (16). Top-level error, no groups.
import type { Handler } from '../handler.js';
import { defaultListGroupsResponse, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/index.js';

export const handler: Handler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  errorResponse(_req, _version, code) {
    return { ...defaultListGroupsResponse(), errorCode: code, groups: [] };
  },
};
