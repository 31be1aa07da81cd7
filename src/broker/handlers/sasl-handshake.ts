// SaslHandshake (17). On a SASL listener the handshake is the connection's SASL authenticator's
// (src/network/sasl-authenticator.ts), before authentication and to begin re-authentication; a
// handshake that reaches dispatch - on a PLAINTEXT or SSL listener, or again after authentication
// from a client that cannot re-authenticate - gets ILLEGAL_SASL_STATE, as Kafka's KafkaApis
// answers it. Kafka's error response sets the error code only: the mechanisms list stays empty.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defaultSaslHandshakeResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/messages/index.js';

export const handler: Handler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: 17,
  errorResponse(_req, _version, code) {
    return { ...defaultSaslHandshakeResponse(), errorCode: code, mechanisms: [] };
  },
  handle(_ctx, req) {
    return this.errorResponse(req, 0, ErrorCode.ILLEGAL_SASL_STATE);
  },
};
