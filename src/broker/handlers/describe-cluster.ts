// DescribeCluster (60): the cluster id, the controller (as in Metadata: a live node, since every
// node answers the requests admin clients send to the controller), and the running nodes at the
// endpoint of the listener the client came through; v2 with includeFencedBrokers adds the stopped
// nodes, fenced. A request for controller endpoints (v1+) reaches a broker: Kafka answers
// MISMATCHED_ENDPOINT_TYPE; an unknown endpoint type is UNSUPPORTED_ENDPOINT_TYPE. The broker
// requires no permission (AuthHelper.computeDescribeClusterResponse); the cluster's authorized
// operations, when asked, are 0 to a requester that may not DESCRIBE the cluster.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import { nodeEndpoint } from '../topics.js';
import { OPERATIONS_NOT_REQUESTED, clusterAuthorizedOperations } from '../authorization.js';
import { defaultDescribeClusterResponse, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/messages/index.js';

const BROKERS = 1;
const CONTROLLERS = 2;

export const handler: Handler<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: 60,
  handle(ctx, req) {
    if (ctx.apiVersion >= 1 && req.endpointType !== BROKERS) {
      const code = req.endpointType === CONTROLLERS ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE;
      const message = req.endpointType === CONTROLLERS ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER' : `Unsupported endpoint type ${req.endpointType}`;
      return handler.errorResponse(req, ctx.apiVersion, code, message);
    }
    const cluster = ctx.broker.cluster;
    const brokers: DescribeClusterResponse['brokers'] = [];
    for (const n of [...cluster.nodes].sort((a, b) => a.nodeId - b.nodeId)) {
      if (!n.alive && !(ctx.apiVersion >= 2 && req.includeFencedBrokers)) continue;
      const endpoint = nodeEndpoint(ctx.broker, n.nodeId, ctx.connection);
      if (endpoint === null) continue;
      brokers.push({ brokerId: n.nodeId, host: endpoint.host, port: endpoint.port, rack: n.rack, isFenced: !n.alive });
    }
    return {
      ...defaultDescribeClusterResponse(),
      endpointType: BROKERS,
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      brokers,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : OPERATIONS_NOT_REQUESTED,
    };
  },
  errorResponse(_req, _version, code, message) {
    return { ...defaultDescribeClusterResponse(), errorCode: code, errorMessage: message ?? null };
  },
};
