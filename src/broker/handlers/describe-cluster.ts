// DescribeCluster (60). Top-level error and message; no brokers.
import type { Handler } from '../handler.js';
import { defaultDescribeClusterResponse, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/messages/index.js';

export const handler: Handler<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: 60,
  errorResponse(_req, _version, code, message) {
    return { ...defaultDescribeClusterResponse(), errorCode: code, errorMessage: message ?? null };
  },
};
