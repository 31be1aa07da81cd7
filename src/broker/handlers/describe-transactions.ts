// DescribeTransactions (65): each requested transactional id's state as its coordinator holds it
// (TRANSACTIONAL_ID_NOT_FOUND for one it does not know, NOT_COORDINATOR for one it does not own).
import type { Handler } from '../handler.js';
import {
  defaultDescribeTransactionsResponse,
  defaultDescribeTransactionsResponseTransactionState,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> = {
  apiKey: 65,
  handle(ctx, req) {
    return { ...defaultDescribeTransactionsResponse(), transactionStates: req.transactionalIds.map(id => ctx.broker.transactions.describe(id)) };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: req.transactionalIds.map(transactionalId => ({
        ...defaultDescribeTransactionsResponseTransactionState(),
        errorCode: code,
        transactionalId,
      })),
    };
  },
};
