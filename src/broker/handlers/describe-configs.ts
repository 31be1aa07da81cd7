// DescribeConfigs (32). Kafka answers each requested resource with the error and no configs. The
// error message is Kafka's default text for the code (Errors.message()), not the exception's.
import type { Handler } from '../handler.js';
import { errorMessage } from '../../protocol/errors.js';
import {
  defaultDescribeConfigsResponse,
  defaultDescribeConfigsResponseDescribeConfigsResult,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: 32,
  errorResponse(req, _version, code) {
    return {
      ...defaultDescribeConfigsResponse(),
      results: req.resources.map(resource => ({
        ...defaultDescribeConfigsResponseDescribeConfigsResult(),
        errorCode: code,
        errorMessage: errorMessage(code),
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        configs: [],
      })),
    };
  },
};
