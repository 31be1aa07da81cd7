// EndTxn (26): commits or aborts the producer's transaction. The answer comes once the decision
// (PrepareCommit/PrepareAbort) is in __transaction_state; the markers follow in the background.
// v5+ is transaction version 2 (KIP-890 part 2): the commit or abort bumps the epoch and the answer
// carries the producer id and epoch of the producer's next transaction. Before v5 the answer's
// id and epoch are the unchanged ones. WRITE on the transactional id is required
// (KafkaApis.handleEndTxnRequest), else TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
import type { Handler } from '../handler.js';
import { authorized } from '../authorization-groups.js';
import { ErrorCode, fencedForVersion } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { defaultEndTxnResponse, type EndTxnRequest, type EndTxnResponse } from '../../protocol/messages/index.js';

export const handler: Handler<EndTxnRequest, EndTxnResponse> = {
  apiKey: 26,
  async handle(ctx, req) {
    if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
      return handler.errorResponse(req, ctx.apiVersion, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    const r = await ctx.broker.transactions.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, ctx.apiVersion >= 5 ? 2 : 0);
    return { ...defaultEndTxnResponse(), errorCode: fencedForVersion(r.errorCode, ctx.apiVersion, 2), producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultEndTxnResponse(), errorCode: code };
  },
};
