// InitProducerId (22). Top-level error with no producer id (-1) and no epoch (-1).
import type { Handler } from '../handler.js';
import { defaultInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/messages/index.js';

export const handler: Handler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  errorResponse(_req, _version, code) {
    return { ...defaultInitProducerIdResponse(), errorCode: code, producerId: -1, producerEpoch: -1 };
  },
};
