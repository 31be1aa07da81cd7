// CreateAcls (30). One result per requested creation, each with the error and its message (the
// results carry no identifying fields: they answer the creations by position). Kafka 4.1's
// AclApis: ALTER on the cluster, SECURITY_DISABLED without an authorizer, then the store checks
// and creates each binding (src/security/acls.ts).
import { NO_RESPONSE, type Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultCreateAclsResponse,
  defaultCreateAclsResponseAclCreationResult,
  type CreateAclsRequest,
  type CreateAclsRequestAclCreation,
  type CreateAclsResponse,
} from '../../protocol/messages/index.js';
import { AclOperation, bindingConstructionProblem, hasUnknownIds, normalizedBinding, type AclBinding } from '../../security/acls.js';
import { clusterNotAuthorizedMessage } from '../../security/authorizer.js';

const bindingOf = (c: CreateAclsRequestAclCreation): AclBinding =>
  normalizedBinding({
    resourceType: c.resourceType,
    resourceName: c.resourceName,
    patternType: c.resourcePatternType,
    principal: c.principal,
    host: c.host,
    operation: c.operation,
    permissionType: c.permissionType,
  });

export const handler: Handler<CreateAclsRequest, CreateAclsResponse> = {
  apiKey: 30,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultCreateAclsResponse(),
      results: req.creations.map(() => ({
        ...defaultCreateAclsResponseAclCreationResult(),
        errorCode: code,
        errorMessage: message ?? null,
      })),
    };
  },
  handle(ctx, req) {
    const v = ctx.apiVersion;
    // Kafka refuses these while parsing the request, and closes the connection
    if (req.creations.some(c => hasUnknownIds({ ...c, patternType: c.resourcePatternType }))) {
      ctx.connection.close('CreateAcls: CreatableAcls contain unknown elements');
      return NO_RESPONSE;
    }
    const { authorizer } = ctx.broker;
    if (!authorizer.allowsCluster(ctx.connection, AclOperation.ALTER)) {
      return handler.errorResponse(req, v, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, clusterNotAuthorizedMessage(ctx.connection));
    }
    if (!authorizer.enabled) return handler.errorResponse(req, v, ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const bindings = req.creations.map(bindingOf);
    for (const b of bindings) {
      const problem = bindingConstructionProblem(b);
      // Kafka's IllegalArgumentException while building the bindings fails the whole request
      if (problem !== null) {
        ctx.log.warn({ api: 'CreateAcls', version: v, correlationId: ctx.correlationId }, `CreateAcls refused: ${problem}`);
        return handler.errorResponse(req, v, ErrorCode.UNKNOWN_SERVER_ERROR);
      }
    }
    const results = ctx.broker.cluster.acls.create(bindings);
    return { ...defaultCreateAclsResponse(), results };
  },
};
