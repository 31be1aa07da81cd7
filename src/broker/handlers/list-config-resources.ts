// ListConfigResources (74; ListClientMetricsResources before Kafka 4.1, KIP-1142): the resources
// that configs can be described for. v0 lists the client-metrics subscriptions; v1 the types
// asked for (none: every type v1 knows), each resource with its type: groups with configs (none:
// group configs are not built), client-metrics subscriptions, every node as a BROKER_LOGGER and as
// a BROKER resource, every topic. A type v1 does not know fails the request with
// UNSUPPORTED_VERSION, as Kafka answers. Top-level error only. Kafka first requires
// DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED).
import type { Handler } from '../handler.js';
import { AclOperation } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ResourceType } from '../../cluster/dynamic-configs.js';
import {
  defaultListConfigResourcesResponse,
  type ListConfigResourcesRequest,
  type ListConfigResourcesResponse,
} from '../../protocol/messages/index.js';

const V0_TYPES: readonly number[] = [ResourceType.CLIENT_METRICS];
const V1_TYPES: readonly number[] = [ResourceType.TOPIC, ResourceType.BROKER, ResourceType.BROKER_LOGGER, ResourceType.CLIENT_METRICS, ResourceType.GROUP];

export const handler: Handler<ListConfigResourcesRequest, ListConfigResourcesResponse> = {
  apiKey: 74,
  handle(ctx, req) {
    if (!ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.DESCRIBE_CONFIGS)) return this.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const supported = ctx.apiVersion === 0 ? V0_TYPES : V1_TYPES;
    const types = ctx.apiVersion === 0 || req.resourceTypes.length === 0 ? supported : req.resourceTypes;
    if (types.some(t => !supported.includes(t))) return this.errorResponse(req, ctx.apiVersion, ErrorCode.UNSUPPORTED_VERSION);
    const cluster = ctx.broker.cluster;
    const out: ListConfigResourcesResponse['configResources'] = [];
    const add = (resourceType: number, names: Iterable<string>) => {
      for (const resourceName of names) out.push({ resourceName, resourceType });
    };
    // in Kafka's order; GROUP would list the groups that have configs, and none can have any yet
    if (types.includes(ResourceType.CLIENT_METRICS)) add(ResourceType.CLIENT_METRICS, cluster.dynamicConfigs.clientMetricsNames());
    const nodeIds = cluster.nodes.map(n => String(n.nodeId));
    if (types.includes(ResourceType.BROKER_LOGGER)) add(ResourceType.BROKER_LOGGER, nodeIds);
    if (types.includes(ResourceType.BROKER)) add(ResourceType.BROKER, nodeIds);
    if (types.includes(ResourceType.TOPIC)) add(ResourceType.TOPIC, [...cluster.topics()].map(t => t.name));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, configResources: out };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultListConfigResourcesResponse(), errorCode: code };
  },
};
