// DeleteGroups (42): deletes empty groups with their committed offsets. Each group is answered
// on its own (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, NOT_COORDINATOR, ...); a whole-request error
// answers each requested group with it. As KafkaApis.handleDeleteGroupsRequest: a group named
// twice is answered once; DELETE on each group is required, and the groups refused it are
// answered GROUP_AUTHORIZATION_FAILED after the others.
import type { Handler } from '../handler.js';
import {
  defaultDeleteGroupsResponse,
  defaultDeleteGroupsResponseDeletableGroupResult,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
} from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { nameFilter } from '../authorization-groups.js';

export const handler: Handler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  async handle(ctx, req) {
    const deletable = nameFilter(ctx, AclOperation.DELETE, ResourceType.GROUP);
    const allowed: string[] = [];
    const refused: string[] = [];
    for (const groupId of new Set(req.groupsNames)) (deletable === null || deletable(groupId) ? allowed : refused).push(groupId);
    const results = await Promise.all(
      allowed.map(async groupId => ({
        ...defaultDeleteGroupsResponseDeletableGroupResult(),
        groupId,
        errorCode: await ctx.broker.groups.deleteGroup(groupId),
      })),
    );
    for (const groupId of refused) results.push({ ...defaultDeleteGroupsResponseDeletableGroupResult(), groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
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
