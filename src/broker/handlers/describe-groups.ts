// DescribeGroups (15): state, protocol and members of classic groups. Member metadata and
// assignments, and the protocol name, are given only while a group is Stable, as Kafka does.
// An unknown group is "Dead" with no error below v6, GROUP_ID_NOT_FOUND from v6 (KIP-1043).
// A whole-request error answers each group with the error, an empty state, protocol type and
// protocol, no members and authorized operations omitted. Authorization
// (KafkaApis.handleDescribeGroupsRequest): DESCRIBE on each group; the groups one may not describe
// are answered GROUP_AUTHORIZATION_FAILED first, in request order, then the described ones. The
// authorized operations, when asked for, are the requester's on the group.
import type { Handler } from '../handler.js';
import {
  defaultDescribeGroupsResponse,
  defaultDescribeGroupsResponseDescribedGroup,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribeGroupsResponseDescribedGroup,
} from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { authorized, groupAuthorizedOperations } from '../authorization-groups.js';

const NOT_REQUESTED = -2147483648;

/** DescribeGroupsResponse.groupError: the group with the error and nothing else. */
const groupError = (groupId: string, errorCode: number): DescribeGroupsResponseDescribedGroup => ({
  ...defaultDescribeGroupsResponseDescribedGroup(),
  groupId,
  errorCode,
  groupState: '',
  protocolType: '',
  protocolData: '',
  members: [],
  authorizedOperations: NOT_REQUESTED,
});

export const handler: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
  handle(ctx, req) {
    const refused: DescribeGroupsResponseDescribedGroup[] = [];
    const described: DescribeGroupsResponseDescribedGroup[] = [];
    const checking = ctx.broker.authorizer.enabled;
    for (const groupId of req.groups) {
      if (checking && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
        refused.push(groupError(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        continue;
      }
      const d = ctx.broker.groups.describe(groupId, ctx.apiVersion);
      described.push({
        ...defaultDescribeGroupsResponseDescribedGroup(),
        ...d,
        authorizedOperations: req.includeAuthorizedOperations && d.errorCode === 0 ? groupAuthorizedOperations(ctx, groupId) : NOT_REQUESTED,
      });
    }
    return { ...defaultDescribeGroupsResponse(), groups: refused.length === 0 ? described : [...refused, ...described] };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultDescribeGroupsResponse(),
      groups: req.groups.map(groupId => groupError(groupId, code)),
    };
  },
};
