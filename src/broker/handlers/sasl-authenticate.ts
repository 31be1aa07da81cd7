// SaslAuthenticate (36). The tokens of an authentication are the connection's SASL authenticator's
// (src/network/sasl-authenticator.ts); one that reaches dispatch - on a listener without SASL, or
// after authentication completed - gets ILLEGAL_SASL_STATE with Kafka's message.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defaultSaslAuthenticateResponse, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../../protocol/messages/index.js';

export const handler: Handler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: 36,
  errorResponse(_req, _version, code, message) {
    return { ...defaultSaslAuthenticateResponse(), errorCode: code, errorMessage: message ?? null, authBytes: Buffer.alloc(0) };
  },
  handle(_ctx, req) {
    return this.errorResponse(req, 0, ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate request received after successful authentication');
  },
};
