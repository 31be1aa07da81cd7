// EndTxn (26). Top-level error only (producer id and epoch, v5+, stay unknown).
import type { Handler } from '../handler.js';
import { defaultEndTxnResponse, type EndTxnRequest, type EndTxnResponse } from '../../protocol/messages/index.js';

export const handler: Handler<EndTxnRequest, EndTxnResponse> = {
  apiKey: 26,
  errorResponse(_req, _version, code) {
    return { ...defaultEndTxnResponse(), errorCode: code };
  },
};
