// OffsetDelete (47). Top-level error only, no topics.
import type { Handler } from '../handler.js';
import { defaultOffsetDeleteResponse, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/messages/index.js';

export const handler: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: 47,
  errorResponse(_req, _version, code) {
    return { ...defaultOffsetDeleteResponse(), errorCode: code };
  },
};
