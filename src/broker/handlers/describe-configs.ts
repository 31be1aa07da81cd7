// DescribeConfigs (32), as Kafka's ConfigHelper answers it: the configs of a topic; of this node
// (resource name: its id) or the cluster-wide dynamic defaults (name ""); of this node's logger
// (BROKER_LOGGER); of a client-metrics subscription. Each config with its value (null when
// sensitive), source, synonyms in Kafka's order of precedence (DYNAMIC_TOPIC_CONFIG,
// DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG),
// read-only flag, type (v3+) and documentation (v3+, when asked). A resource that fails gets its
// error and no configs; an unknown resource type fails the whole request, which Kafka answers with
// the error's default text for every resource (Errors.message()).
//
// Authorization (ConfigHelper.handleDescribeConfigsRequest): DESCRIBE_CONFIGS on the topic for a
// TOPIC resource, on the cluster for BROKER, BROKER_LOGGER and CLIENT_METRICS, on the group for
// GROUP; a refused resource is answered after the others with TOPIC_, CLUSTER_ or
// GROUP_AUTHORIZATION_FAILED, the code's default text and no configs.
import type { Handler, RequestContext } from '../handler.js';
import { AclOperation, CLUSTER_NAME, ResourceType as AclResourceType } from '../../security/acls.js';
import { ErrorCode, KafkaError, errorMessage } from '../../protocol/errors.js';
import { topicNameProblem } from '../../cluster/cluster.js';
import {
  BROKER_CONFIGS,
  CLIENT_METRICS_CONFIGS,
  CONFIG_TYPE_IDS,
  TOPIC_CONFIGS,
  brokerConfigDef,
  canonicalText,
  dynamicUpdateMode,
  type ConfigDef,
} from '../../cluster/configs.js';
import { ResourceType } from '../../cluster/dynamic-configs.js';
import {
  defaultDescribeConfigsResponse,
  defaultDescribeConfigsResponseDescribeConfigsResult,
  type DescribeConfigsRequest,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type DescribeConfigsResponseDescribeConfigsResult,
  type DescribeConfigsResponseDescribeConfigsSynonym,
} from '../../protocol/messages/index.js';

type Entry = DescribeConfigsResponseDescribeConfigsResourceResult;
type Synonym = DescribeConfigsResponseDescribeConfigsSynonym;

/** Kafka's DescribeConfigsResponse.ConfigSource ids. */
const Source = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
} as const;

/** The types Kafka authorizes a describe for; any other fails the request. */
const DESCRIBABLE = new Set<number>([ResourceType.TOPIC, ResourceType.BROKER, ResourceType.BROKER_LOGGER, ResourceType.CLIENT_METRICS, ResourceType.GROUP]);

/** pino's levels under log4j's names, as Kafka reports a logger's level. */
const LOG4J_LEVELS: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'FATAL', silent: 'OFF' };
export const ROOT_LOGGER = 'root';

/** A resource name as Java's Integer.parseInt reads it, or null. */
export function javaInt(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

interface Options {
  keys: string[] | null;
  synonyms: boolean;
  documentation: boolean;
}

function wanted(o: Options, name: string): boolean {
  return o.keys === null || o.keys.length === 0 || o.keys.includes(name);
}

function entry(o: Options, name: string, value: string | null, synonyms: Synonym[], extra: { readOnly: boolean; sensitive: boolean; def?: ConfigDef }): Entry {
  return {
    name,
    value,
    readOnly: extra.readOnly,
    configSource: synonyms[0]?.source ?? Source.DEFAULT_CONFIG,
    isSensitive: extra.sensitive,
    synonyms: o.synonyms ? synonyms : [],
    configType: extra.def ? CONFIG_TYPE_IDS[extra.def.type] : 0,
    documentation: o.documentation && extra.def ? extra.def.doc : null,
  };
}

/**
 * A broker config's values at every level that sets it, for this node, highest precedence first
 * (Kafka's ConfigHelper.configSynonyms). Values of sensitive configs are null.
 */
function brokerSynonyms(ctx: RequestContext, name: string, sensitive: boolean): Synonym[] {
  const store = ctx.broker.cluster.dynamicConfigs;
  const out: Synonym[] = [];
  const add = (value: string | null | undefined, source: number) => {
    if (value !== undefined && value !== null) out.push({ name, value: sensitive ? null : value, source });
  };
  add(store.broker(String(ctx.broker.nodeId)).get(name), Source.DYNAMIC_BROKER_CONFIG);
  add(store.broker('').get(name), Source.DYNAMIC_DEFAULT_BROKER_CONFIG);
  add(ctx.broker.config.staticText(name), Source.STATIC_BROKER_CONFIG);
  // Kafka has no default of its own for these: they default through their hours form, which
  // Kafka lists as the DEFAULT_CONFIG synonym, and only after a level that sets the config itself
  // (ConfigHelper.configSynonyms drops the synonyms before the first of the config's own name)
  const hours = DEFAULTS_IN_HOURS.get(name);
  if (hours === undefined) add(brokerConfigDef(name)?.default, Source.DEFAULT_CONFIG);
  else if (out.length > 0) out.push({ name: hours[0], value: sensitive ? null : hours[1], source: Source.DEFAULT_CONFIG });
  return out;
}

/** Broker configs whose Kafka default is null, with the hours config that gives it (Samsa reads only the `.ms` form). */
const DEFAULTS_IN_HOURS = new Map([
  ['log.retention.ms', ['log.retention.hours', '168']],
  ['log.roll.ms', ['log.roll.hours', '168']],
  ['log.roll.jitter.ms', ['log.roll.jitter.hours', '0']],
]);

/** A broker config's text for this node: its dynamic value, else the cluster-wide one, else as given at start, else the default. */
function brokerText(ctx: RequestContext, name: string): string | null {
  const store = ctx.broker.cluster.dynamicConfigs;
  return store.broker(String(ctx.broker.nodeId)).get(name) ?? store.broker('').get(name) ?? ctx.broker.config.staticText(name) ?? brokerConfigDef(name)?.default ?? null;
}

function describeTopic(ctx: RequestContext, name: string, o: Options): Entry[] {
  const problem = topicNameProblem(name);
  if (problem !== null) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  const topic = ctx.broker.cluster.topic(name);
  // Kafka sets no message here, so the field keeps its default, ""
  if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, '');
  const out: Entry[] = [];
  for (const def of TOPIC_CONFIGS) {
    if (!wanted(o, def.name)) continue;
    const sensitive = def.type === 'password';
    const synonyms: Synonym[] = [];
    const own = topic.configs.get(def.name);
    const value = canonicalText(def, own ?? (def.brokerSynonym ? brokerText(ctx, def.brokerSynonym) : null) ?? def.default);
    if (own !== undefined) synonyms.push({ name: def.name, value: sensitive ? null : value, source: Source.DYNAMIC_TOPIC_CONFIG });
    if (def.brokerSynonym) synonyms.push(...brokerSynonyms(ctx, def.brokerSynonym, sensitive));
    out.push(entry(o, def.name, sensitive ? null : value, synonyms, { readOnly: false, sensitive, def }));
  }
  return out;
}

function describeBroker(ctx: RequestContext, name: string, o: Options): Entry[] {
  const store = ctx.broker.cluster.dynamicConfigs;
  const out: Entry[] = [];
  if (name === '') {
    // the cluster-wide dynamic defaults alone, each with only that synonym
    for (const [key, raw] of store.broker('')) {
      if (!wanted(o, key)) continue;
      const def = brokerConfigDef(key);
      const sensitive = def === undefined || def.type === 'password';
      const value = sensitive ? null : raw;
      out.push(entry(o, key, value, [{ name: key, value, source: Source.DYNAMIC_DEFAULT_BROKER_CONFIG }], { readOnly: dynamicUpdateMode(key) === undefined, sensitive, def }));
    }
    return out;
  }
  const id = javaInt(name);
  if (id === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`);
  const nodeId = ctx.broker.nodeId;
  if (id !== nodeId) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${nodeId} or empty string, but received ${name}`);
  // configs Samsa does not know (given at start or set dynamically) come first, as Kafka lists
  // the originals it has no definition for; a config without a type is sensitive
  const custom = new Set<string>();
  for (const [key] of ctx.broker.config.staticEntries()) if (!brokerConfigDef(key)) custom.add(key);
  for (const key of store.broker(String(nodeId)).keys()) if (!brokerConfigDef(key)) custom.add(key);
  for (const key of store.broker('').keys()) if (!brokerConfigDef(key)) custom.add(key);
  for (const key of custom) {
    if (wanted(o, key)) out.push(entry(o, key, null, brokerSynonyms(ctx, key, true), { readOnly: true, sensitive: true }));
  }
  for (const def of BROKER_CONFIGS) {
    if (!wanted(o, def.name)) continue;
    const sensitive = def.type === 'password';
    const value = sensitive ? null : canonicalText(def, brokerText(ctx, def.name));
    out.push(entry(o, def.name, value, brokerSynonyms(ctx, def.name, sensitive), { readOnly: dynamicUpdateMode(def.name) === undefined, sensitive, def }));
  }
  return out;
}

function describeLogger(ctx: RequestContext, name: string, o: Options): Entry[] {
  if (name === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty');
  const id = javaInt(name);
  if (id === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`);
  if (id !== ctx.broker.nodeId) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.broker.nodeId} but received ${name}`);
  if (!wanted(o, ROOT_LOGGER)) return [];
  const level = LOG4J_LEVELS[ctx.broker.log.level] ?? ctx.broker.log.level.toUpperCase();
  return [{ name: ROOT_LOGGER, value: level, readOnly: false, configSource: Source.DYNAMIC_BROKER_LOGGER_CONFIG, isSensitive: false, synonyms: [], configType: 0, documentation: null }];
}

function describeClientMetrics(ctx: RequestContext, name: string, o: Options): Entry[] {
  if (name === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Client metrics subscription name must not be empty');
  const stored = ctx.broker.cluster.dynamicConfigs.clientMetrics(name);
  const out: Entry[] = [];
  for (const def of CLIENT_METRICS_CONFIGS) {
    if (!wanted(o, def.name)) continue;
    const own = stored.get(def.name);
    const value = canonicalText(def, own ?? def.default);
    const synonyms = own === undefined ? [] : [{ name: def.name, value, source: Source.CLIENT_METRICS_CONFIG }];
    out.push(entry(o, def.name, value, synonyms, { readOnly: false, sensitive: false, def }));
  }
  return out;
}

function describe(ctx: RequestContext, r: DescribeConfigsRequestDescribeConfigsResource, o: Options): DescribeConfigsResponseDescribeConfigsResult {
  const result = { resourceType: r.resourceType, resourceName: r.resourceName };
  try {
    let configs: Entry[];
    switch (r.resourceType) {
      case ResourceType.TOPIC:
        configs = describeTopic(ctx, r.resourceName, o);
        break;
      case ResourceType.BROKER:
        configs = describeBroker(ctx, r.resourceName, o);
        break;
      case ResourceType.BROKER_LOGGER:
        configs = describeLogger(ctx, r.resourceName, o);
        break;
      case ResourceType.CLIENT_METRICS:
        configs = describeClientMetrics(ctx, r.resourceName, o);
        break;
      default:
        // GROUP: group configs are not built (Kafka's answer for a type it does not handle)
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Unsupported resource type: GROUP');
    }
    // Kafka's result leaves the message at its default, ""
    return { ...result, errorCode: ErrorCode.NONE, errorMessage: '', configs };
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    ctx.log.debug({ resource: r, err: err.message }, 'describe configs refused');
    // as ApiError.fromThrowable: no message when it is the code's default text
    const message = err.message === errorMessage(err.code) ? null : err.message;
    return { ...result, errorCode: err.code, errorMessage: message, configs: [] };
  }
}

/** The authorization error of describing the resource's configs, or NONE. */
function describeConfigsDenied(ctx: RequestContext, r: DescribeConfigsRequestDescribeConfigsResource): number {
  const { authorizer } = ctx.broker;
  if (!authorizer.enabled) return ErrorCode.NONE;
  if (r.resourceType === ResourceType.TOPIC) {
    return authorizer.allows(ctx.connection, AclOperation.DESCRIBE_CONFIGS, AclResourceType.TOPIC, r.resourceName) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
  if (r.resourceType === ResourceType.GROUP) {
    return authorizer.allows(ctx.connection, AclOperation.DESCRIBE_CONFIGS, AclResourceType.GROUP, r.resourceName) ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  }
  // BROKER, BROKER_LOGGER, CLIENT_METRICS
  return authorizer.allows(ctx.connection, AclOperation.DESCRIBE_CONFIGS, AclResourceType.CLUSTER, CLUSTER_NAME) ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

export const handler: Handler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: 32,
  handle(ctx, req) {
    if (req.resources.some(r => !DESCRIBABLE.has(r.resourceType))) return this.errorResponse(req, ctx.apiVersion, ErrorCode.INVALID_REQUEST);
    const results: DescribeConfigsResponseDescribeConfigsResult[] = [];
    const refused: DescribeConfigsResponseDescribeConfigsResult[] = [];
    for (const r of req.resources) {
      const denied = describeConfigsDenied(ctx, r);
      if (denied !== ErrorCode.NONE) {
        refused.push({ errorCode: denied, errorMessage: errorMessage(denied), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] });
        continue;
      }
      results.push(describe(ctx, r, { keys: r.configurationKeys, synonyms: req.includeSynonyms, documentation: req.includeDocumentation }));
    }
    if (refused.length > 0) results.push(...refused);
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultDescribeConfigsResponse(),
      results: req.resources.map(resource => ({
        ...defaultDescribeConfigsResponseDescribeConfigsResult(),
        errorCode: code,
        errorMessage: errorMessage(code),
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        configs: [],
      })),
    };
  },
};
