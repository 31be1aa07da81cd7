// DescribeClientQuotas (48): the client quotas whose entities match every filter component -
// exactly (a name), the default entity, or any entity of the type - and with `strict` have no
// other entity types, as a Kafka 4.1 broker answers from its metadata image. A bad filter is
// answered with the top-level error and message and no entries (null), as in Kafka. Kafka first
// requires DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED, no message).
import type { Handler } from '../handler.js';
import { AclOperation } from '../../security/acls.js';
import { kafkaErrorOf } from '../topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultDescribeClientQuotasResponse,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> = {
  apiKey: 48,
  handle(ctx, req) {
    if (!ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.DESCRIBE_CONFIGS)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    try {
      const entries = ctx.broker.cluster.clientQuotas.describe(req.components, req.strict);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        entries: entries.map(e => ({ entity: e.entity.map(x => ({ entityType: x.entityType, entityName: x.entityName })), values: e.values })),
      };
    } catch (err) {
      const { code, message } = kafkaErrorOf(err);
      return handler.errorResponse(req, ctx.apiVersion, code, message);
    }
  },
  errorResponse(_req, _version, code, message) {
    return { ...defaultDescribeClientQuotasResponse(), errorCode: code, errorMessage: message ?? null, entries: null };
  },
};
