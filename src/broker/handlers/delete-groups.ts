// DeleteGroups (42): deletes empty groups with their committed offsets. Each group is answered
// on its own (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, NOT_COORDINATOR, …); a whole-request error
// answers each requested group with it.
import type { Handler } from '../handler.js';
import {
  defaultDeleteGroupsResponse,
  defaultDeleteGroupsResponseDeletableGroupResult,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  async handle(ctx, req) {
    const results = await Promise.all(
      req.groupsNames.map(async groupId => ({
        ...defaultDeleteGroupsResponseDeletableGroupResult(),
        groupId,
        errorCode: await ctx.broker.groups.deleteGroup(groupId),
      })),
    );
    return { ...defaultDeleteGroupsResponse(), results };
  },
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
