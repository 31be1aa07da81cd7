// DescribeTransactions (65): each requested transactional id's state as its coordinator holds it
// (TRANSACTIONAL_ID_NOT_FOUND for one it does not know, NOT_COORDINATOR for one it does not own).
// Authorization (KafkaApis.handleDescribeTransactionsRequest): DESCRIBE on each transactional id,
// else TRANSACTIONAL_ID_AUTHORIZATION_FAILED with every other field at its default; a described
// transaction shows only the topics one may DESCRIBE.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultDescribeTransactionsResponse,
  defaultDescribeTransactionsResponseTransactionState,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
} from '../../protocol/messages/index.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { authorized, nameFilter } from '../authorization-groups.js';

export const handler: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> = {
  apiKey: 65,
  handle(ctx, req) {
    const transactions = ctx.broker.transactions;
    const describable = nameFilter(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    if (describable === null) return { ...defaultDescribeTransactionsResponse(), transactionStates: req.transactionalIds.map(id => transactions.describe(id)) };
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: req.transactionalIds.map(transactionalId => {
        if (!authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
          return { ...defaultDescribeTransactionsResponseTransactionState(), transactionalId, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
        }
        const state = transactions.describe(transactionalId);
        return { ...state, topics: state.topics.filter(t => describable(t.topic)) };
      }),
    };
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
