// DescribeGroups (15): state, protocol and members of classic groups. Member metadata and
// assignments, and the protocol name, are given only while a group is Stable, as Kafka does.
// An unknown group is "Dead" with no error below v6, GROUP_ID_NOT_FOUND from v6 (KIP-1043).
// A whole-request error answers each group with the error, an empty state, protocol type and
// protocol, no members and authorized operations omitted.
import type { Handler } from '../handler.js';
import {
  defaultDescribeGroupsResponse,
  defaultDescribeGroupsResponseDescribedGroup,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from '../../protocol/messages/index.js';
import { authorizedOperations } from '../topics.js';

const NOT_REQUESTED = -2147483648;

export const handler: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
  handle(ctx, req) {
    return {
      ...defaultDescribeGroupsResponse(),
      groups: req.groups.map(groupId => {
        const d = ctx.broker.groups.describe(groupId, ctx.apiVersion);
        return {
          ...defaultDescribeGroupsResponseDescribedGroup(),
          ...d,
          authorizedOperations: req.includeAuthorizedOperations && d.errorCode === 0 ? authorizedOperations('group') : NOT_REQUESTED,
        };
      }),
    };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultDescribeGroupsResponse(),
      groups: req.groups.map(groupId => ({
        ...defaultDescribeGroupsResponseDescribedGroup(),
        groupId,
        errorCode: code,
        groupState: '',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: NOT_REQUESTED,
      })),
    };
  },
};
