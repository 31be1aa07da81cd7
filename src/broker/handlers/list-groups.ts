// ListGroups (16): the groups this node coordinates, filtered by state (v4+) and type (v5+).
// A whole-request error is top-level, without groups. Authorization
// (KafkaApis.handleListGroupsRequest): DESCRIBE on the cluster lists every group; without it,
// only the groups one may DESCRIBE are listed. Neither check is an error, so neither is logged
// as a denial.
import type { Handler } from '../handler.js';
import { defaultListGroupsResponse, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/index.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../security/acls.js';
import { authorizedQuietly } from '../authorization-groups.js';

export const handler: Handler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  handle(ctx, req) {
    const r = ctx.broker.groups.list(req.statesFilter, req.typesFilter);
    let groups = r.groups;
    if (ctx.broker.authorizer.enabled && !authorizedQuietly(ctx, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
      groups = groups.filter(g => authorizedQuietly(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId));
    }
    return { ...defaultListGroupsResponse(), errorCode: r.errorCode, groups };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultListGroupsResponse(), errorCode: code, groups: [] };
  },
};
