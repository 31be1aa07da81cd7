// PushTelemetry (72): a client's metrics (KIP-714), checked as a Kafka 4.1 broker without a
// client-telemetry reporter checks them, then counted and dropped (see telemetry.ts; the API is
// answered but not advertised). Top-level error only.
import type { Handler } from '../handler.js';
import { telemetryOf } from '../telemetry.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defaultPushTelemetryResponse, type PushTelemetryRequest, type PushTelemetryResponse } from '../../protocol/messages/index.js';

export const handler: Handler<PushTelemetryRequest, PushTelemetryResponse> = {
  apiKey: 72,
  handle(ctx, req) {
    const answer = telemetryOf(ctx.broker).push(req, ctx);
    if (answer.errorCode !== ErrorCode.NONE) {
      ctx.log.debug({ clientInstanceId: req.clientInstanceId, error: answer.errorCode, message: answer.message }, 'PushTelemetry refused');
      return handler.errorResponse(req, ctx.apiVersion, answer.errorCode);
    }
    return { ...defaultPushTelemetryResponse(), errorCode: ErrorCode.NONE };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultPushTelemetryResponse(), errorCode: code };
  },
};
