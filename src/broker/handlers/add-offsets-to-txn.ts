// AddOffsetsToTxn (25): adds the group's partition of __consumer_offsets to the transaction, so
// its TxnOffsetCommits are committed or aborted with it (Kafka's handleAddOffsetsToTxnRequest).
// Authorization first: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then
// READ on the group (GROUP_AUTHORIZATION_FAILED).
import type { Handler } from '../handler.js';
import { authorized } from '../authorization-groups.js';
import { ErrorCode, fencedForVersion } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { partitionForGroup, OFFSETS_TOPIC } from '../../coordinator/group/group-coordinator.js';
import { defaultAddOffsetsToTxnResponse, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../../protocol/messages/index.js';

export const handler: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  apiKey: 25,
  async handle(ctx, req) {
    if (ctx.broker.authorizer.enabled) {
      if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
        return handler.errorResponse(req, ctx.apiVersion, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      }
      if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    }
    const topic = ctx.broker.groups.ensureOffsetsTopic();
    const partition = partitionForGroup(req.groupId, topic.partitions.length);
    const errorCode = await ctx.broker.transactions.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition }]);
    return { ...defaultAddOffsetsToTxnResponse(), errorCode: fencedForVersion(errorCode, ctx.apiVersion, 2) };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultAddOffsetsToTxnResponse(), errorCode: code };
  },
};
