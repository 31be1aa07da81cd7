// AlterConfigs (33): replaces every dynamic config of a resource (a topic, this node, the
// cluster-wide broker defaults "", a client-metrics subscription) with the given ones; or only
// checks, with validateOnly. Kafka's broker checks first (ConfigAdminManager.preprocess: each
// resource once, no duplicate or null configs, the broker's own id, valid broker configs), then
// its controller (ConfigurationControlManager: the topic's or subscription's configs, whether the
// topic exists). A resource that fails changes nothing. Kafka's error response answers each
// requested resource with the error and its message.
//
// The checks and changes are shared with IncrementalAlterConfigs, which only computes the new
// configs differently.
//
// Authorization, where Kafka makes it: ALTER_CONFIGS on the cluster for BROKER and
// CLIENT_METRICS resources, on the topic for TOPIC, on the group for GROUP, checked by the
// controller (ControllerApis.authorizeAlterResource) once the broker's own checks passed, and
// answered CLUSTER_, TOPIC_ or GROUP_AUTHORIZATION_FAILED with the code's default text; the
// logger (IncrementalAlterConfigs' BROKER_LOGGER) needs ALTER_CONFIGS on the cluster, checked by
// the broker (RuntimeLoggerManager) before the node id, CLUSTER_AUTHORIZATION_FAILED without a
// message.
import type { Handler, RequestContext } from '../handler.js';
import { AclOperation, CLUSTER_NAME, ResourceType as AclResourceType } from '../../security/acls.js';
import { ErrorCode, KafkaError, errorMessage } from '../../protocol/errors.js';
import { topicNameProblem } from '../../cluster/cluster.js';
import { brokerConfigDef, clientMetricsConfigDef, topicConfigDef } from '../../cluster/configs.js';
import {
  OpType,
  ResourceType,
  applyOps,
  brokerChangeProblem,
  clientMetricsProblem,
  topicConfigsProblem,
  type ConfigOp,
} from '../../cluster/dynamic-configs.js';
import { ROOT_LOGGER, javaInt } from './describe-configs.js';
import {
  defaultAlterConfigsResponse,
  defaultAlterConfigsResponseAlterConfigsResourceResponse,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
} from '../../protocol/messages/index.js';

/** One requested resource, for either API (AlterConfigs: every op a SET). */
export interface AlterTarget {
  resourceType: number;
  resourceName: string;
  ops: ConfigOp[];
}

export interface AlterOutcome {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
}

/** log4j's levels a logger may be set to (LogLevelConfig.VALID_LOG_LEVELS), sorted as Kafka lists them. */
const LOG_LEVELS = ['DEBUG', 'ERROR', 'FATAL', 'INFO', 'TRACE', 'WARN'];

/** A config's value for the log: hidden when it is sensitive (a password, or a config of unknown type). */
function loggable(type: number, configs: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of configs) {
    const def = type === ResourceType.BROKER ? brokerConfigDef(name) : undefined;
    out[name] = type === ResourceType.BROKER && (def === undefined || def.type === 'password') ? '[hidden]' : value;
  }
  return out;
}

/**
 * A refusal made by Kafka's controller with an ApiError of the code alone, whose message is the
 * code's default text: kept in the answer (ApiError.fromThrowable would drop it).
 */
class ControllerRefusal extends KafkaError {}

/**
 * ALTER_CONFIGS on what the resource's type is authorized against (ControllerApis.authorizeAlterResource),
 * or null when allowed.
 */
function alterConfigsRefusal(ctx: RequestContext, r: AlterTarget): KafkaError | null {
  const { authorizer } = ctx.broker;
  if (!authorizer.enabled) return null;
  let type: number = AclResourceType.CLUSTER;
  let name = CLUSTER_NAME;
  let code: number = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  if (r.resourceType === ResourceType.TOPIC) {
    type = AclResourceType.TOPIC;
    name = r.resourceName;
    code = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  } else if (r.resourceType === ResourceType.GROUP) {
    type = AclResourceType.GROUP;
    name = r.resourceName;
    code = ErrorCode.GROUP_AUTHORIZATION_FAILED;
  }
  return authorizer.allows(ctx.connection, AclOperation.ALTER_CONFIGS, type, name) ? null : new ControllerRefusal(code);
}

/** Makes a change of the dynamic-config store; false (logged) when its file could not be written, and nothing changed. */
function saved(ctx: RequestContext, change: () => void): boolean {
  try {
    change();
    return true;
  } catch (err) {
    ctx.log.error({ err }, 'saving the dynamic configs failed: the change is not made');
    return false;
  }
}

/** Checks the name of a BROKER resource Kafka's broker accepts: "" or its own id. */
function brokerResourceProblem(ctx: RequestContext, name: string): KafkaError | null {
  if (name === '') return null;
  const id = javaInt(name);
  if (id === null) return new KafkaError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`);
  if (id !== ctx.broker.nodeId) return new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.broker.nodeId}, but received ${name}`);
  return null;
}

function alterBroker(ctx: RequestContext, r: AlterTarget, incremental: boolean, validateOnly: boolean): KafkaError | null {
  const nameProblem = brokerResourceProblem(ctx, r.resourceName);
  if (nameProblem) return nameProblem;
  const cluster = ctx.broker.cluster;
  const store = cluster.dynamicConfigs;
  const key = r.resourceName === '' ? '' : String(ctx.broker.nodeId);
  const next = incremental
    ? applyOps(store.broker(key), r.ops, brokerConfigDef, (op, name) =>
        brokerConfigDef(name) === undefined
          ? // Kafka's broker looks the config up without a check and fails (KafkaConfig.configKeys(name))
            new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR)
          : new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${op.toLowerCase()} is not allowed for config key: ${name}`),
      )
    : new Map(r.ops.map(o => [o.name, o.value!]));
  if (next instanceof KafkaError) return next;
  const problem = brokerChangeProblem(store, ctx.broker.config, ctx.broker.nodeId, key, next);
  if (problem) {
    if (problem.reason) ctx.log.warn({ resource: key === '' ? 'cluster default' : `broker ${key}`, reason: problem.reason }, 'dynamic broker config refused');
    return problem.error;
  }
  // the broker's checks above come first; the controller authorizes what passed them
  const refused = alterConfigsRefusal(ctx, r);
  if (refused) return refused;
  if (validateOnly) return null;
  if (!saved(ctx, () => store.setBroker(key, next))) return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR);
  // topic configs that default to a broker config take the new value at once
  cluster.resolveAllTopicSettings();
  ctx.log.info({ resource: key === '' ? 'cluster default' : `broker ${key}`, configs: loggable(ResourceType.BROKER, next) }, 'dynamic broker configs changed');
  return null;
}

function alterTopic(ctx: RequestContext, r: AlterTarget, incremental: boolean, validateOnly: boolean): KafkaError | null {
  const refused = alterConfigsRefusal(ctx, r);
  if (refused) return refused;
  const cluster = ctx.broker.cluster;
  const name = r.resourceName;
  const topic = cluster.topic(name);
  const next = incremental
    ? applyOps(topic?.configs ?? new Map(), r.ops, topicConfigDef, (op, key) => new KafkaError(ErrorCode.INVALID_CONFIG, `Can't ${op} to key ${key} because its type is not LIST.`))
    : new Map(r.ops.map(o => [o.name, o.value!]));
  if (next instanceof KafkaError) return next;
  // ControllerConfigurationValidator, then the controller's existence check
  if (name === '') return new KafkaError(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
  const illegal = topicNameProblem(name);
  if (illegal !== null) return new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, illegal);
  const invalid = topicConfigsProblem(next, cluster.config);
  if (invalid) return invalid;
  if (topic === undefined) return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
  if (validateOnly) return null;
  cluster.setTopicConfigs(topic, next);
  ctx.log.info({ topic: name, configs: Object.fromEntries(next) }, 'topic configs changed');
  return null;
}

function alterClientMetrics(ctx: RequestContext, r: AlterTarget, incremental: boolean, validateOnly: boolean): KafkaError | null {
  const refused = alterConfigsRefusal(ctx, r);
  if (refused) return refused;
  const store = ctx.broker.cluster.dynamicConfigs;
  const next = incremental
    ? applyOps(store.clientMetrics(r.resourceName), r.ops, clientMetricsConfigDef, (op, key) => new KafkaError(ErrorCode.INVALID_CONFIG, `Can't ${op} to key ${key} because its type is not LIST.`))
    : new Map(r.ops.map(o => [o.name, o.value!]));
  if (next instanceof KafkaError) return next;
  const invalid = clientMetricsProblem(r.resourceName, next);
  if (invalid) return invalid;
  if (validateOnly) return null;
  if (!saved(ctx, () => store.setClientMetrics(r.resourceName, next))) return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR);
  ctx.log.info({ subscription: r.resourceName, configs: Object.fromEntries(next) }, 'client metrics subscription changed');
  return null;
}

/** The node's logger (KIP-412, Kafka's RuntimeLoggerManager): only `root`, at log4j's levels. */
function alterLogger(ctx: RequestContext, r: AlterTarget, validateOnly: boolean): KafkaError | null {
  const { authorizer } = ctx.broker;
  if (!authorizer.allowsCluster(ctx.connection, AclOperation.ALTER_CONFIGS)) return new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const id = javaInt(r.resourceName);
  if (id === null) return new KafkaError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${r.resourceName}`);
  // Kafka's message names its own id twice
  if (id !== ctx.broker.nodeId) return new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected node id. Expected ${ctx.broker.nodeId}, but received ${ctx.broker.nodeId}`);
  for (const { name, op, value } of r.ops) {
    const exists = name === ROOT_LOGGER;
    if (op === OpType.SET) {
      if (!exists) return new KafkaError(ErrorCode.INVALID_CONFIG, `Logger ${name} does not exist!`);
      if (!LOG_LEVELS.includes(value!)) {
        return new KafkaError(ErrorCode.INVALID_CONFIG, `Cannot set the log level of ${name} to ${value} as it is not a supported log level. Valid log levels are ${LOG_LEVELS.join(', ')}`);
      }
    } else if (op === OpType.DELETE) {
      if (!exists) return new KafkaError(ErrorCode.INVALID_CONFIG, `Logger ${name} does not exist!`);
      return new KafkaError(ErrorCode.INVALID_REQUEST, `Removing the log level of the ${ROOT_LOGGER} logger is not allowed`);
    } else if (op === OpType.APPEND || op === OpType.SUBTRACT) {
      return new KafkaError(ErrorCode.INVALID_REQUEST, `${op === OpType.APPEND ? 'APPEND' : 'SUBTRACT'} operation is not allowed for the BROKER_LOGGER resource`);
    } else {
      return new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operation type ${op} is not allowed for the BROKER_LOGGER resource`);
    }
  }
  if (validateOnly) return null;
  for (const { value } of r.ops) {
    ctx.broker.log.level = value!.toLowerCase();
    // Kafka logs this at warn, so it shows at any level
    ctx.log.warn(`Updated the log level of ${ROOT_LOGGER} to ${value}`);
  }
  return null;
}

function alterOne(ctx: RequestContext, r: AlterTarget, incremental: boolean, validateOnly: boolean): KafkaError | null {
  const names = r.ops.map(o => o.name);
  if (new Set(names).size !== names.length) return new KafkaError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
  const nulls = r.ops.filter(o => o.value === null && (!incremental || o.op !== OpType.DELETE)).map(o => o.name);
  if (nulls.length > 0) return new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
  switch (r.resourceType) {
    case ResourceType.BROKER:
      return alterBroker(ctx, r, incremental, validateOnly);
    case ResourceType.TOPIC:
      return alterTopic(ctx, r, incremental, validateOnly);
    case ResourceType.CLIENT_METRICS:
      return alterClientMetrics(ctx, r, incremental, validateOnly);
    case ResourceType.BROKER_LOGGER:
      // AlterConfigs never handled loggers
      if (incremental) return alterLogger(ctx, r, validateOnly);
      break;
    case ResourceType.GROUP: {
      // Kafka's broker passes GROUP resources on; its controller authorizes them first
      const refused = alterConfigsRefusal(ctx, r);
      if (refused) return refused;
      break;
    }
  }
  // GROUP: group configs are not built, answered as by a broker that does not know the type
  return new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`);
}

/** Both alter APIs: each resource checked and changed on its own, answered in request order. */
export function alterResources(ctx: RequestContext, resources: readonly AlterTarget[], incremental: boolean, validateOnly: boolean): AlterOutcome[] {
  const key = (r: AlterTarget) => `${r.resourceType}\u0000${r.resourceName}`;
  const seen = new Map<string, number>();
  for (const r of resources) seen.set(key(r), (seen.get(key(r)) ?? 0) + 1);
  return resources.map(r => {
    const out = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (seen.get(key(r))! > 1) return { ...out, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Each resource must appear at most once.' };
    const err = alterOne(ctx, r, incremental, validateOnly);
    if (err === null) return { ...out, errorCode: ErrorCode.NONE, errorMessage: null };
    ctx.log.debug({ resource: out, err: err.message }, 'config change refused');
    // as ApiError.fromThrowable: no message for UNKNOWN_SERVER_ERROR or the code's default text
    // (but the controller's refusals carry it)
    const message = err instanceof ControllerRefusal ? err.message : err.code === ErrorCode.UNKNOWN_SERVER_ERROR || err.message === errorMessage(err.code) ? null : err.message;
    return { ...out, errorCode: err.code, errorMessage: message };
  });
}

export const handler: Handler<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: 33,
  handle(ctx, req) {
    const targets = req.resources.map(r => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      ops: r.configs.map(c => ({ name: c.name, op: OpType.SET, value: c.value })),
    }));
    return { throttleTimeMs: 0, responses: alterResources(ctx, targets, false, req.validateOnly) };
  },
  errorResponse(req, _version, code, message) {
    return {
      ...defaultAlterConfigsResponse(),
      responses: req.resources.map(resource => ({
        ...defaultAlterConfigsResponseAlterConfigsResourceResponse(),
        errorCode: code,
        errorMessage: message ?? null,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
      })),
    };
  },
};
