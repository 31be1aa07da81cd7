// DescribeUserScramCredentials (50). Top-level error and message, and one result per requested
// user with the error and message. Kafka does not name the user in those results (it leaves the
// name empty); clients read the top-level error first. A null user list (all users) gets no
// results (Kafka would fail on it).
import type { Handler } from '../handler.js';
import {
  defaultDescribeUserScramCredentialsResponse,
  defaultDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = {
  apiKey: 50,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultDescribeUserScramCredentialsResponse(),
      errorCode: code,
      errorMessage: message ?? null,
      results: (req.users ?? []).map(() => ({
        ...defaultDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult(),
        errorCode: code,
        errorMessage: message ?? null,
      })),
    };
  },
};
