// GetTelemetrySubscriptions (71): the client's telemetry subscription (KIP-714), as a Kafka 4.1
// broker without a client-telemetry reporter answers it: the client-metrics subscriptions the
// client instance matches (see telemetry.ts; the API is answered but not advertised). Top-level
// error only.
import type { Handler } from '../handler.js';
import { ACCEPTED_COMPRESSION_TYPES, TELEMETRY_MAX_BYTES, telemetryOf } from '../telemetry.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultGetTelemetrySubscriptionsResponse,
  type GetTelemetrySubscriptionsRequest,
  type GetTelemetrySubscriptionsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<GetTelemetrySubscriptionsRequest, GetTelemetrySubscriptionsResponse> = {
  apiKey: 71,
  handle(ctx, req) {
    const answer = telemetryOf(ctx.broker).getSubscriptions(req.clientInstanceId, ctx);
    if (answer.errorCode !== ErrorCode.NONE) return handler.errorResponse(req, ctx.apiVersion, answer.errorCode);
    return {
      ...defaultGetTelemetrySubscriptionsResponse(),
      clientInstanceId: answer.clientInstanceId,
      subscriptionId: answer.subscriptionId,
      acceptedCompressionTypes: [...ACCEPTED_COMPRESSION_TYPES],
      pushIntervalMs: answer.pushIntervalMs,
      telemetryMaxBytes: TELEMETRY_MAX_BYTES,
      deltaTemporality: true,
      requestedMetrics: [...answer.requestedMetrics],
    };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultGetTelemetrySubscriptionsResponse(), errorCode: code };
  },
};
