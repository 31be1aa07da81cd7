// ConsumerGroupDescribe (69). Kafka answers each requested group with the error code (the error
// message is left null).
import type { Handler } from '../handler.js';
import {
  defaultConsumerGroupDescribeResponse,
  defaultConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = {
  apiKey: 69,
  errorResponse(req, _version, code) {
    return {
      ...defaultConsumerGroupDescribeResponse(),
      groups: req.groupIds.map(groupId => ({
        ...defaultConsumerGroupDescribeResponseDescribedGroup(),
        groupId,
        errorCode: code,
      })),
    };
  },
};
