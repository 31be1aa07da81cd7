// DescribeAcls (29). Top-level error and message, no resources. Kafka 4.1's AclApis: DESCRIBE on
// the cluster, SECURITY_DISABLED without an authorizer, else the matching ACLs grouped by
// resource pattern.
import { NO_RESPONSE, type Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultDescribeAclsResponse,
  type DescribeAclsRequest,
  type DescribeAclsResponse,
  type DescribeAclsResponseDescribeAclsResource,
} from '../../protocol/messages/index.js';
import { AclOperation, hasUnknownIds, normalizedFilter } from '../../security/acls.js';
import { clusterNotAuthorizedMessage } from '../../security/authorizer.js';

export const handler: Handler<DescribeAclsRequest, DescribeAclsResponse> = {
  apiKey: 29,
  errorResponse(_req, _version, code, message) {
    return { ...defaultDescribeAclsResponse(), errorCode: code, errorMessage: message ?? null };
  },
  handle(ctx, req) {
    const v = ctx.apiVersion;
    // Kafka refuses these while parsing the request, and closes the connection
    if (hasUnknownIds({ resourceType: req.resourceTypeFilter, patternType: req.patternTypeFilter, operation: req.operation, permissionType: req.permissionType })) {
      ctx.connection.close('DescribeAcls: DescribeAclsRequest contains UNKNOWN elements');
      return NO_RESPONSE;
    }
    const { authorizer } = ctx.broker;
    if (!authorizer.allowsCluster(ctx.connection, AclOperation.DESCRIBE)) {
      return handler.errorResponse(req, v, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, clusterNotAuthorizedMessage(ctx.connection));
    }
    // sic: a different message from CreateAcls' and DeleteAcls'
    if (!authorizer.enabled) return handler.errorResponse(req, v, ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker');
    const acls = ctx.broker.cluster.acls.describe(
      normalizedFilter({
        resourceType: req.resourceTypeFilter,
        resourceName: req.resourceNameFilter,
        patternType: req.patternTypeFilter,
        principal: req.principalFilter,
        host: req.hostFilter,
        operation: req.operation,
        permissionType: req.permissionType,
      }),
    );
    // DescribeAclsResponse.aclsResources: one resource per pattern, with its entries
    const resources = new Map<string, DescribeAclsResponseDescribeAclsResource>();
    for (const a of acls) {
      const key = JSON.stringify([a.resourceType, a.resourceName, a.patternType]);
      let r = resources.get(key);
      if (r === undefined) resources.set(key, (r = { resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, acls: [] }));
      r.acls.push({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType });
    }
    return { ...defaultDescribeAclsResponse(), resources: [...resources.values()] };
  },
};
