// IncrementalAlterConfigs (44): changes some configs of a resource (a topic, this node, the
// cluster-wide broker defaults "", a client-metrics subscription, this node's logger) with SET,
// DELETE, and for list configs APPEND and SUBTRACT; or only checks, with validateOnly. The checks
// and changes are AlterConfigs' (see alter-configs.ts), on the resource's configs with the
// operations applied. Kafka's error response answers each requested resource with the error and
// its message.
import type { Handler } from '../handler.js';
import { alterResources } from './alter-configs.js';
import {
  defaultIncrementalAlterConfigsResponse,
  defaultIncrementalAlterConfigsResponseAlterConfigsResourceResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: 44,
  handle(ctx, req) {
    const targets = req.resources.map(r => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      ops: r.configs.map(c => ({ name: c.name, op: c.configOperation, value: c.value })),
    }));
    return { throttleTimeMs: 0, responses: alterResources(ctx, targets, true, req.validateOnly) };
  },
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
