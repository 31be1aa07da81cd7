// InitProducerId (22). Idempotent producers (no transactional id) get a new producer id at epoch 0,
// whatever id and epoch they bring (Kafka's TransactionCoordinator "blindly accepts" them); an id
// with no epoch, or an epoch with no id, is INVALID_REQUEST. A transactional id goes to the
// transaction coordinator (a bumped epoch, fencing the previous holder; KIP-360's id and epoch).
// Errors carry no producer id (-1) and no epoch (-1). Authorization comes first
// (KafkaApis.handleInitProducerIdRequest): a transactional id needs WRITE on it
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent producer needs IDEMPOTENT_WRITE on the
// cluster or WRITE on at least one topic (CLUSTER_AUTHORIZATION_FAILED).
import type { Handler } from '../handler.js';
import { ErrorCode, fencedForVersion } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { defaultInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/messages/index.js';

export const handler: Handler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  async handle(ctx, req) {
    const error = (code: number) => handler.errorResponse(req, ctx.apiVersion, code);
    const authorizer = ctx.broker.authorizer;
    if (authorizer.enabled) {
      const conn = ctx.connection;
      if (req.transactionalId !== null) {
        if (!authorizer.allows(conn, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return error(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      } else if (
        !authorizer.allowsCluster(conn, AclOperation.IDEMPOTENT_WRITE) &&
        !authorizer.authorizeByResourceType(conn.principal, conn.remoteAddress, AclOperation.WRITE, ResourceType.TOPIC)
      ) {
        return error(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      }
    }
    if ((req.producerId === -1) !== (req.producerEpoch === -1)) return error(ErrorCode.INVALID_REQUEST);
    if (req.transactionalId !== null) {
      const expected = req.producerId === -1 ? null : { producerId: req.producerId, producerEpoch: req.producerEpoch };
      let r;
      try {
        r = await ctx.broker.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
      } catch (err) {
        ctx.broker.log.error({ err }, 'cannot record the next block of producer ids');
        return error(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
      return { ...defaultInitProducerIdResponse(), errorCode: fencedForVersion(r.errorCode, ctx.apiVersion, 4), producerId: r.producerId, producerEpoch: r.producerEpoch };
    }
    let producerId: number;
    try {
      producerId = ctx.broker.producerIds.generate();
    } catch (err) {
      ctx.broker.log.error({ err }, 'cannot record the next block of producer ids');
      return error(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    }
    return { ...defaultInitProducerIdResponse(), producerId, producerEpoch: 0 };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultInitProducerIdResponse(), errorCode: code, producerId: -1, producerEpoch: -1 };
  },
};
