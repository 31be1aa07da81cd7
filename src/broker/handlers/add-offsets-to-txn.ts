// AddOffsetsToTxn (25). Top-level error only.
import type { Handler } from '../handler.js';
import { defaultAddOffsetsToTxnResponse, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../../protocol/messages/index.js';

export const handler: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  apiKey: 25,
  errorResponse(_req, _version, code) {
    return { ...defaultAddOffsetsToTxnResponse(), errorCode: code };
  },
};
