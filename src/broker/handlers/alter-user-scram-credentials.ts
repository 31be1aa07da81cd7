// AlterUserScramCredentials (51). Kafka answers each distinct user named by the deletions and
// upsertions, sorted by name (not in request order), with the error and its message.
import type { Handler } from '../handler.js';
import {
  defaultAlterUserScramCredentialsResponse,
  defaultAlterUserScramCredentialsResponseAlterUserScramCredentialsResult,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = {
  apiKey: 51,
  errorResponse(req, _version, code, message) {
    const users = new Set<string>();
    for (const deletion of req.deletions) users.add(deletion.name);
    for (const upsertion of req.upsertions) users.add(upsertion.name);
    // Default sort compares UTF-16 code units, as Java's String.compareTo does.
    return {
      ...defaultAlterUserScramCredentialsResponse(),
      results: [...users].sort().map(user => ({
        ...defaultAlterUserScramCredentialsResponseAlterUserScramCredentialsResult(),
        user,
        errorCode: code,
        errorMessage: message ?? null,
      })),
    };
  },
};
