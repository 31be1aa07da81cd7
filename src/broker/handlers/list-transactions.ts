// ListTransactions (66): the transactions this node coordinates, filtered by state, producer id,
// how long they have run (v1) and a transactional id pattern (v2). Unknown state names are
// reported back, as Kafka does. Only the transactional ids one may DESCRIBE are listed
// (KafkaApis.handleListTransactionsRequest).
import type { Handler } from '../handler.js';
import { defaultListTransactionsResponse, type ListTransactionsRequest, type ListTransactionsResponse } from '../../protocol/messages/index.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { nameFilter } from '../authorization-groups.js';

export const handler: Handler<ListTransactionsRequest, ListTransactionsResponse> = {
  apiKey: 66,
  handle(ctx, req) {
    const r = ctx.broker.transactions.list(req.stateFilters, req.producerIdFilters, req.durationFilter, req.transactionalIdPattern);
    const describable = nameFilter(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID);
    const transactionStates = describable === null ? r.transactions : r.transactions.filter(t => describable(t.transactionalId));
    return { ...defaultListTransactionsResponse(), errorCode: r.errorCode, unknownStateFilters: r.unknownStateFilters, transactionStates };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultListTransactionsResponse(), errorCode: code };
  },
};
