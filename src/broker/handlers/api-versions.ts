// ApiVersions (18). Top-level error; for UNSUPPORTED_VERSION Kafka also lists the versions of
// ApiVersions itself (KIP-511), so the client can retry with one the broker speaks. The API list
// is the broker's (capped to an emulated Kafka release's, see kafka-versions.ts); the feature
// levels are the cluster's (features.ts).
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  API_SPECS,
  defaultApiVersionsResponse,
  defaultApiVersionsResponseApiVersion,
  defaultApiVersionsResponseFinalizedFeature,
  defaultApiVersionsResponseSupportedFeature,
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
    if (ctx.apiVersion >= 3) ctx.connection.clientSoftware = { name: req.clientSoftwareName, version: req.clientSoftwareVersion };
    // v3+: the feature levels (KIP-584); the finalized ones are valid only with an epoch >= 0.
    // Clients before ApiVersions v4 cannot read a supported range starting at 0 (KAFKA-17011):
    // Kafka leaves those features out of v3 answers (KAFKA-17492)
    const features = ctx.broker.cluster.features;
    const supported = ctx.apiVersion < 4 ? features.supported().filter(f => f.minVersion !== 0) : features.supported();
    return {
      ...defaultApiVersionsResponse(),
      apiKeys: ctx.broker.supportedApis(),
      supportedFeatures: supported.map(f => ({ ...defaultApiVersionsResponseSupportedFeature(), name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion })),
      finalizedFeaturesEpoch: features.epoch,
      finalizedFeatures: features.finalizedFeatures().map(f => ({ ...defaultApiVersionsResponseFinalizedFeature(), name: f.name, maxVersionLevel: f.level, minVersionLevel: f.level })),
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
