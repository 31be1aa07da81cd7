// ConsumerGroupDescribe (69): KIP-848 consumer groups with their epochs, assignor, and each
// member's subscription, current and target assignment. Unknown groups and classic groups are
// GROUP_ID_NOT_FOUND; a whole-request error answers each requested group with it (the error
// message is left null, as Kafka does). Authorization (Kafka 4.1's
// KafkaApis.handleConsumerGroupDescribe): DESCRIBE on each group; the groups one may not describe
// come first, GROUP_AUTHORIZATION_FAILED, then the described ones. A group whose members'
// current or target assignments name a topic one may not DESCRIBE is answered
// TOPIC_AUTHORIZATION_FAILED with Kafka's message and nothing else.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultConsumerGroupDescribeResponse,
  defaultConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupDescribeResponseDescribedGroup,
} from '../../protocol/messages/index.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { authorized, groupAuthorizedOperations, nameFilter } from '../authorization-groups.js';

type DescribedGroup = ConsumerGroupDescribeResponseDescribedGroup;

const UNAUTHORIZED_TOPICS = 'The group has described topic(s) that the client is not authorized to describe.';

/** Whether every topic of the group's members' assignments and target assignments passes `describable`. */
function assignmentsDescribable(group: DescribedGroup, describable: (topic: string) => boolean): boolean {
  for (const m of group.members) {
    for (const tp of m.assignment.topicPartitions) if (!describable(tp.topicName)) return false;
    for (const tp of m.targetAssignment.topicPartitions) if (!describable(tp.topicName)) return false;
  }
  return true;
}

export const handler: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = {
  apiKey: 69,
  handle(ctx, req) {
    if (!ctx.broker.authorizer.enabled) {
      const groups = ctx.broker.groups.describeConsumerGroups(req.groupIds);
      if (req.includeAuthorizedOperations) for (const g of groups) if (g.errorCode === 0) g.authorizedOperations = groupAuthorizedOperations(ctx, g.groupId);
      return { ...defaultConsumerGroupDescribeResponse(), groups };
    }
    const refused: DescribedGroup[] = [];
    const allowed: string[] = [];
    for (const groupId of req.groupIds) {
      if (authorized(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) allowed.push(groupId);
      else refused.push({ ...defaultConsumerGroupDescribeResponseDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    }
    const described = ctx.broker.groups.describeConsumerGroups(allowed);
    if (req.includeAuthorizedOperations) for (const g of described) if (g.errorCode === 0) g.authorizedOperations = groupAuthorizedOperations(ctx, g.groupId);
    const describable = nameFilter(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC)!;
    const groups = [...refused, ...described].map(g =>
      assignmentsDescribable(g, describable)
        ? g
        : { ...defaultConsumerGroupDescribeResponseDescribedGroup(), groupId: g.groupId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: UNAUTHORIZED_TOPICS, members: [] },
    );
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
