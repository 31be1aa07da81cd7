// DescribeClientQuotas (48). Top-level error and message; the entries are null, as in Kafka.
import type { Handler } from '../handler.js';
import {
  defaultDescribeClientQuotasResponse,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> = {
  apiKey: 48,
  errorResponse(_req, _version, code, message) {
    return { ...defaultDescribeClientQuotasResponse(), errorCode: code, errorMessage: message ?? null, entries: null };
  },
};
