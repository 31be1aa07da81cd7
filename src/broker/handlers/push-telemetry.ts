// PushTelemetry (72). Top-level error only.
import type { Handler } from '../handler.js';
import { defaultPushTelemetryResponse, type PushTelemetryRequest, type PushTelemetryResponse } from '../../protocol/messages/index.js';

export const handler: Handler<PushTelemetryRequest, PushTelemetryResponse> = {
  apiKey: 72,
  errorResponse(_req, _version, code) {
    return { ...defaultPushTelemetryResponse(), errorCode: code };
  },
};
