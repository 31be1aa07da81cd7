// ConsumerGroupDescribe (69): KIP-848 consumer groups with their epochs, assignor, and each
// member's subscription, current and target assignment. Unknown groups and classic groups are
// GROUP_ID_NOT_FOUND; a whole-request error answers each requested group with it (the error
// message is left null, as Kafka does).
import type { Handler } from '../handler.js';
import {
  defaultConsumerGroupDescribeResponse,
  defaultConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
} from '../../protocol/messages/index.js';
import { authorizedOperations } from '../topics.js';

export const handler: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = {
  apiKey: 69,
  handle(ctx, req) {
    const groups = ctx.broker.groups.describeConsumerGroups(req.groupIds);
    if (req.includeAuthorizedOperations) for (const g of groups) if (g.errorCode === 0) g.authorizedOperations = authorizedOperations('group');
    return { ...defaultConsumerGroupDescribeResponse(), groups };
  },
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
