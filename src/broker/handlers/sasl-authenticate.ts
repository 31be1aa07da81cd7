// SaslAuthenticate (36). Top-level error and message, no auth bytes.
import type { Handler } from '../handler.js';
import { defaultSaslAuthenticateResponse, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../../protocol/messages/index.js';

export const handler: Handler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: 36,
  errorResponse(_req, _version, code, message) {
    return { ...defaultSaslAuthenticateResponse(), errorCode: code, errorMessage: message ?? null, authBytes: Buffer.alloc(0) };
  },
};
