// AlterConfigs (33). Kafka answers each requested resource with the error and its message.
import type { Handler } from '../handler.js';
import {
  defaultAlterConfigsResponse,
  defaultAlterConfigsResponseAlterConfigsResourceResponse,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: 33,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultAlterConfigsResponse(),
      responses: req.resources.map(resource => ({
        ...defaultAlterConfigsResponseAlterConfigsResourceResponse(),
        errorCode: code,
        errorMessage: message ?? null,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
      })),
    };
  },
};
