// DescribeAcls (29). Top-level error and message, no resources.
import type { Handler } from '../handler.js';
import { defaultDescribeAclsResponse, type DescribeAclsRequest, type DescribeAclsResponse } from '../../protocol/messages/index.js';

export const handler: Handler<DescribeAclsRequest, DescribeAclsResponse> = {
  apiKey: 29,
  errorResponse(_req, _version, code, message) {
    return { ...defaultDescribeAclsResponse(), errorCode: code, errorMessage: message ?? null };
  },
};
