// FindCoordinator (10). Below v4 Kafka answers the single key with the error and "no node"
// (id -1, empty host, port -1); from v4 it answers each requested key so. The error message is
// Kafka's default text for the code (Errors.message()), not the exception's message.
import type { Handler } from '../handler.js';
import { errorMessage } from '../../protocol/errors.js';
import {
  defaultFindCoordinatorResponse,
  defaultFindCoordinatorResponseCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  errorResponse(req, version, code) {
    if (version < 4) {
      return {
        ...defaultFindCoordinatorResponse(),
        errorCode: code,
        errorMessage: errorMessage(code),
        nodeId: -1,
        host: '',
        port: -1,
      };
    }
    return {
      ...defaultFindCoordinatorResponse(),
      coordinators: req.coordinatorKeys.map(key => ({
        ...defaultFindCoordinatorResponseCoordinator(),
        key,
        nodeId: -1,
        host: '',
        port: -1,
        errorCode: code,
        errorMessage: errorMessage(code),
      })),
    };
  },
};
