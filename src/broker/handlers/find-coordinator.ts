// FindCoordinator (10). Group keys are answered with the leader of the group's partition of
// __consumer_offsets, transaction keys with the leader of the id's partition of
// __transaction_state; each topic is created on first use as Kafka does. Share-group keys
// INVALID_REQUEST (below v6 always, and share groups are not enabled). Below v4 Kafka answers the
// single key's error with "no node" (id -1, empty host, port -1) and the code's default message;
// from v4 it answers each requested key so, without a message.
// Authorization (Kafka 4.1's KafkaApis.getCoordinator), per key and before anything else: a group
// key needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED), a transaction key DESCRIBE on the
// transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); a share key (v6+) needs CLUSTER_ACTION
// on the cluster, else the whole request fails CLUSTER_AUTHORIZATION_FAILED.
import type { Handler, RequestContext } from '../handler.js';
import { authorized } from '../authorization-groups.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import {
  defaultFindCoordinatorResponse,
  defaultFindCoordinatorResponseCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/messages/index.js';
import { nodeEndpoint } from '../topics.js';

const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;
const KEY_SHARE = 2;

interface Found {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

const NO_NODE = { nodeId: -1, host: '', port: -1 };

function find(ctx: RequestContext, keyType: number, key: string): Found {
  if (keyType === KEY_GROUP && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, key)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, ...NO_NODE };
  if (keyType === KEY_TRANSACTION && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) {
    return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ...NO_NODE };
  }
  if (keyType !== KEY_GROUP && keyType !== KEY_TRANSACTION) return { errorCode: ErrorCode.INVALID_REQUEST, ...NO_NODE };
  const nodeId = keyType === KEY_GROUP ? ctx.broker.groups.coordinatorFor(key) : ctx.broker.transactions.coordinatorFor(key);
  // any node answers with the coordinator's address; none while the partition has no live leader
  const endpoint = nodeId >= 0 && ctx.broker.cluster.isAlive(nodeId) ? nodeEndpoint(ctx.broker, nodeId, ctx.connection) : null;
  if (endpoint === null) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, ...NO_NODE };
  return { errorCode: ErrorCode.NONE, nodeId, host: endpoint.host, port: endpoint.port };
}

export const handler: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  handle(ctx, req) {
    // Kafka checks (and throws) at the first share key: a request without keys asks nothing
    if (req.keyType === KEY_SHARE && ctx.apiVersion >= 6 && req.coordinatorKeys.length > 0 && ctx.broker.authorizer.enabled) {
      if (!ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.CLUSTER_ACTION)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    if (ctx.apiVersion < 4) {
      const found = find(ctx, req.keyType, req.key);
      if (found.errorCode !== ErrorCode.NONE) return handler.errorResponse(req, ctx.apiVersion, found.errorCode);
      return { ...defaultFindCoordinatorResponse(), errorMessage: errorMessage(ErrorCode.NONE), ...found };
    }
    return {
      ...defaultFindCoordinatorResponse(),
      coordinators: req.coordinatorKeys.map(key => ({
        ...defaultFindCoordinatorResponseCoordinator(),
        key,
        ...find(ctx, req.keyType, key),
        errorMessage: null,
      })),
    };
  },
  errorResponse(req, version, code) {
    if (version < 4) {
      return {
        ...defaultFindCoordinatorResponse(),
        errorCode: code,
        errorMessage: errorMessage(code),
        ...NO_NODE,
      };
    }
    return {
      ...defaultFindCoordinatorResponse(),
      coordinators: req.coordinatorKeys.map(key => ({
        ...defaultFindCoordinatorResponseCoordinator(),
        key,
        ...NO_NODE,
        errorCode: code,
        errorMessage: errorMessage(code),
      })),
    };
  },
};
