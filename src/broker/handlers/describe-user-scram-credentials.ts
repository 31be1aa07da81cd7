// DescribeUserScramCredentials (50): the SCRAM mechanisms and iteration counts of users' credentials
// (never the keys), as a Kafka 4.1 broker answers from its metadata image (ScramImage.describe): a
// null or empty user list asks for every user with a credential; a user named twice is answered
// once with DUPLICATE_RESOURCE, one without credentials with RESOURCE_NOT_FOUND; the top-level
// error stays NONE. The users come in the order of Kafka's HashMap of them.
//
// The error response: a top-level error and message, and one result per requested user with the
// error and message. Kafka does not name the user in those results (it leaves the name empty);
// clients read the top-level error first. A null user list (all users) gets no results.
import { AclOperation } from '../../security/acls.js';
import type { Handler } from '../handler.js';
import { javaHash, javaHashMapOrder } from '../../cluster/client-quotas.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultDescribeUserScramCredentialsResponse,
  defaultDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
  type DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = {
  apiKey: 50,
  handle(ctx, req) {
    // KafkaApis: DESCRIBE on the cluster, else the error response with the default message (none on the wire)
    if (ctx.broker.authorizer.enabled && !ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.DESCRIBE)) {
      return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    const store = ctx.broker.cluster.scramCredentials;
    const requested = req.users === null || req.users.length === 0 ? null : req.users.map(u => u.name);
    const names: string[] = [];
    const duplicated = new Set<string>();
    if (requested === null) names.push(...store.userNames());
    else {
      const seen = new Set<string>();
      for (const name of requested) {
        if (seen.has(name)) duplicated.add(name);
        else {
          seen.add(name);
          names.push(name);
        }
      }
    }
    const described = new Map(store.describe(names).map(d => [d.user, d.credentials]));
    const results: DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult[] = [];
    // Kafka collects the users in a new HashMap<String, Boolean>() and answers in its order
    for (const user of javaHashMapOrder(names, javaHash)) {
      const credentials = described.get(user);
      if (duplicated.has(user)) {
        results.push({
          user,
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
          credentialInfos: [],
        });
      } else if (credentials === undefined) {
        results.push({
          user,
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
          credentialInfos: [],
        });
      } else {
        results.push({
          user,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          credentialInfos: credentials.map(c => ({ mechanism: c.mechanism.type, iterations: c.iterations })),
        });
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
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
