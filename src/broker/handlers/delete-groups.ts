// DeleteGroups (42). Kafka answers each requested group with the error.
import type { Handler } from '../handler.js';
import {
  defaultDeleteGroupsResponse,
  defaultDeleteGroupsResponseDeletableGroupResult,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  errorResponse(req, _version, code) {
    return {
      ...defaultDeleteGroupsResponse(),
      results: req.groupsNames.map(groupId => ({
        ...defaultDeleteGroupsResponseDeletableGroupResult(),
        groupId,
        errorCode: code,
      })),
    };
  },
};
