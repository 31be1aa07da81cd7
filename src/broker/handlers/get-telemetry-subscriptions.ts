// GetTelemetrySubscriptions (71). Top-level error only.
import type { Handler } from '../handler.js';
import {
  defaultGetTelemetrySubscriptionsResponse,
  type GetTelemetrySubscriptionsRequest,
  type GetTelemetrySubscriptionsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<GetTelemetrySubscriptionsRequest, GetTelemetrySubscriptionsResponse> = {
  apiKey: 71,
  errorResponse(_req, _version, code) {
    return { ...defaultGetTelemetrySubscriptionsResponse(), errorCode: code };
  },
};
