// EndTxn (26): commits or aborts the producer's transaction. The answer comes once the decision
// (PrepareCommit/PrepareAbort) is in __transaction_state; the markers follow in the background.
// Transaction version 1 throughout: v5's producer id and epoch are the unchanged ones (Samsa
// finalizes no transaction.version 2, so clients do not expect a bump).
import type { Handler } from '../handler.js';
import { fencedForVersion } from '../../protocol/errors.js';
import { defaultEndTxnResponse, type EndTxnRequest, type EndTxnResponse } from '../../protocol/messages/index.js';

export const handler: Handler<EndTxnRequest, EndTxnResponse> = {
  apiKey: 26,
  async handle(ctx, req) {
    const r = await ctx.broker.transactions.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { ...defaultEndTxnResponse(), errorCode: fencedForVersion(r.errorCode, ctx.apiVersion, 2), producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultEndTxnResponse(), errorCode: code };
  },
};
