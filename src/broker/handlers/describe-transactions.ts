// DescribeTransactions (65). Kafka answers each requested transactional id with the error.
import type { Handler } from '../handler.js';
import {
  defaultDescribeTransactionsResponse,
  defaultDescribeTransactionsResponseTransactionState,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> = {
  apiKey: 65,
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
