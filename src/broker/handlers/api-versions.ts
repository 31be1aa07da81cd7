// ApiVersions (18). Top-level error; for UNSUPPORTED_VERSION Kafka also lists the versions of
// ApiVersions itself (KIP-511), so the client can retry with one the broker speaks.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  API_SPECS,
  defaultApiVersionsResponse,
  defaultApiVersionsResponseApiVersion,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
} from '../../protocol/messages/index.js';

const API_VERSIONS_KEY = 18;

/** Kafka's pattern for the client software name and version sent from v3 (KIP-511). */
const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const handler: Handler<ApiVersionsRequest, ApiVersionsResponse> = {
  apiKey: API_VERSIONS_KEY,
  handle(ctx, req) {
    if (ctx.apiVersion >= 3 && !(SOFTWARE_PATTERN.test(req.clientSoftwareName) && SOFTWARE_PATTERN.test(req.clientSoftwareVersion))) {
      return handler.errorResponse(req, ctx.apiVersion, ErrorCode.INVALID_REQUEST);
    }
    return {
      ...defaultApiVersionsResponse(),
      apiKeys: ctx.broker.supportedApis(),
    };
  },
  errorResponse(_req, _version, code) {
    const response = { ...defaultApiVersionsResponse(), errorCode: code };
    if (code === ErrorCode.UNSUPPORTED_VERSION) {
      const spec = API_SPECS.find(api => api.key === API_VERSIONS_KEY)!;
      response.apiKeys = [
        {
          ...defaultApiVersionsResponseApiVersion(),
          apiKey: API_VERSIONS_KEY,
          minVersion: spec.minVersion,
          maxVersion: spec.maxVersion,
        },
      ];
    }
    return response;
  },
};
