// DeleteAcls (31). One result per requested filter (by position), each with the error and its
// message and no matching ACLs. Kafka 4.1's AclApis: ALTER on the cluster, SECURITY_DISABLED
// without an authorizer, else each filter's removed ACLs (src/security/acls.ts).
import { NO_RESPONSE, type Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultDeleteAclsResponse,
  defaultDeleteAclsResponseDeleteAclsFilterResult,
  type DeleteAclsRequest,
  type DeleteAclsResponse,
} from '../../protocol/messages/index.js';
import { AclOperation, hasUnknownIds, normalizedFilter } from '../../security/acls.js';
import { clusterNotAuthorizedMessage } from '../../security/authorizer.js';

export const handler: Handler<DeleteAclsRequest, DeleteAclsResponse> = {
  apiKey: 31,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultDeleteAclsResponse(),
      filterResults: req.filters.map(() => ({
        ...defaultDeleteAclsResponseDeleteAclsFilterResult(),
        errorCode: code,
        errorMessage: message ?? null,
        matchingAcls: [],
      })),
    };
  },
  handle(ctx, req) {
    const v = ctx.apiVersion;
    // Kafka refuses these while parsing the request, and closes the connection
    if (req.filters.some(f => hasUnknownIds({ resourceType: f.resourceTypeFilter, patternType: f.patternTypeFilter, operation: f.operation, permissionType: f.permissionType }))) {
      ctx.connection.close('DeleteAcls: Filters contain UNKNOWN elements');
      return NO_RESPONSE;
    }
    const { authorizer } = ctx.broker;
    if (!authorizer.allowsCluster(ctx.connection, AclOperation.ALTER)) {
      return handler.errorResponse(req, v, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, clusterNotAuthorizedMessage(ctx.connection));
    }
    if (!authorizer.enabled) return handler.errorResponse(req, v, ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const results = ctx.broker.cluster.acls.delete(
      req.filters.map(f =>
        normalizedFilter({
          resourceType: f.resourceTypeFilter,
          resourceName: f.resourceNameFilter,
          patternType: f.patternTypeFilter,
          principal: f.principalFilter,
          host: f.hostFilter,
          operation: f.operation,
          permissionType: f.permissionType,
        }),
      ),
    );
    return {
      ...defaultDeleteAclsResponse(),
      filterResults: results.map(r => ({
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        // the store's bindings have exactly the matching ACL's fields
        matchingAcls: r.deleted.map(a => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...a })),
      })),
    };
  },
};
