// DescribeLogDirs (35). Top-level error code and no results. Below v3 the response has no
// top-level error code, so Kafka's error response there is just an empty result list.
import type { Handler } from '../handler.js';
import { defaultDescribeLogDirsResponse, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/messages/index.js';

export const handler: Handler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  apiKey: 35,
  errorResponse(_req, _version, code) {
    return { ...defaultDescribeLogDirsResponse(), errorCode: code, results: [] };
  },
};
