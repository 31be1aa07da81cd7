// DescribeGroups (15). Kafka answers each requested group with the error, an unknown (empty)
// state, protocol type and protocol, no members and authorized operations omitted. It does not
// fill the v6 error message here.
import type { Handler } from '../handler.js';
import {
  defaultDescribeGroupsResponse,
  defaultDescribeGroupsResponseDescribedGroup,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
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
        authorizedOperations: -2147483648,
      })),
    };
  },
};
