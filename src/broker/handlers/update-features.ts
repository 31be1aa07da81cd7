// UpdateFeatures (57). Top-level error and message; Kafka lists no per-feature results when the
// whole request failed.
import type { Handler } from '../handler.js';
import { defaultUpdateFeaturesResponse, type UpdateFeaturesRequest, type UpdateFeaturesResponse } from '../../protocol/messages/index.js';

export const handler: Handler<UpdateFeaturesRequest, UpdateFeaturesResponse> = {
  apiKey: 57,
  errorResponse(_req, _version, code, message) {
    return { ...defaultUpdateFeaturesResponse(), errorCode: code, errorMessage: message ?? null, results: [] };
  },
};
