// IncrementalAlterConfigs (44). Kafka answers each requested resource with the error and its
// message.
import type { Handler } from '../handler.js';
import {
  defaultIncrementalAlterConfigsResponse,
  defaultIncrementalAlterConfigsResponseAlterConfigsResourceResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: 44,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultIncrementalAlterConfigsResponse(),
      responses: req.resources.map(resource => ({
        ...defaultIncrementalAlterConfigsResponseAlterConfigsResourceResponse(),
        errorCode: code,
        errorMessage: message ?? null,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
      })),
    };
  },
};
