// SaslHandshake (17). Kafka's error response sets the error code only: the mechanisms list stays
// empty. (The handshake's own UNSUPPORTED_SASL_MECHANISM answer, which lists the enabled
// mechanisms, is the handler's business, not this one's.)
import type { Handler } from '../handler.js';
import { defaultSaslHandshakeResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/messages/index.js';

export const handler: Handler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: 17,
  errorResponse(_req, _version, code) {
    return { ...defaultSaslHandshakeResponse(), errorCode: code, mechanisms: [] };
  },
};
