// ListConfigResources (74; ListClientMetricsResources before Kafka 4.1). Top-level error only.
import type { Handler } from '../handler.js';
import {
  defaultListConfigResourcesResponse,
  type ListConfigResourcesRequest,
  type ListConfigResourcesResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<ListConfigResourcesRequest, ListConfigResourcesResponse> = {
  apiKey: 74,
  errorResponse(_req, _version, code) {
    return { ...defaultListConfigResourcesResponse(), errorCode: code };
  },
};
