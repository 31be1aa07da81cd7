// ListTransactions (66). Top-level error only.
import type { Handler } from '../handler.js';
import { defaultListTransactionsResponse, type ListTransactionsRequest, type ListTransactionsResponse } from '../../protocol/messages/index.js';

export const handler: Handler<ListTransactionsRequest, ListTransactionsResponse> = {
  apiKey: 66,
  errorResponse(_req, _version, code) {
    return { ...defaultListTransactionsResponse(), errorCode: code };
  },
};
