// CreateTopics (19): creates topics (or only checks them, with validateOnly), answering each with
// Kafka's code and message. Kafka's error response answers each requested topic with the error.
//
// Authorization (ControllerApis.createTopics): CREATE on the cluster allows every topic, else each
// needs CREATE on itself; a refused one is answered after the others TOPIC_AUTHORIZATION_FAILED
// ("Authorization failed.") and not created. A created topic's configs, partition count and
// replication factor are answered only to a requester that may DESCRIBE_CONFIGS it; otherwise
// its topic config error is TOPIC_AUTHORIZATION_FAILED. __cluster_metadata is refused before any
// of this.
import type { Handler } from '../handler.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { duplicates, kafkaErrorOf } from '../topics.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { topicConfigConflict } from '../../cluster/configs.js';
import { ZERO_UUID } from '../../protocol/wire.js';
import type { Cluster } from '../../cluster/cluster.js';
import {
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicConfigs,
} from '../../protocol/messages/index.js';

/** DescribeConfigs' ConfigSource codes. */
const SOURCE = { topic: 1, broker: 4, default: 5 } as const;

/** The topic's effective configs, sorted by name as Kafka's controller lists them. */
function describeConfigs(cluster: Cluster, configs: Map<string, string>): CreateTopicsResponseCreatableTopicConfigs[] {
  const described = cluster.describeTopicConfigs(configs).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return described.map(c => ({
    name: c.name,
    value: c.value,
    readOnly: false,
    configSource: SOURCE[c.source],
    isSensitive: false,
  }));
}

/**
 * Kafka's checks across the new topic's configs, with the broker's values for those it does not
 * set (LogConfig.validate); throws KafkaError(INVALID_CONFIG). Kafka makes them with the other
 * config checks, before the partition count and assignments, so a request wrong in both ways is
 * answered here with the partition error instead.
 */
function checkConfigsTogether(cluster: Cluster, configs: ReadonlyMap<string, string>): void {
  const effective = new Map(cluster.describeTopicConfigs(configs).map(c => [c.name, c.value]));
  const conflict = topicConfigConflict(name => effective.get(name) ?? null);
  if (conflict !== null) throw new KafkaError(ErrorCode.INVALID_CONFIG, conflict);
}

/** KRaft's metadata log, which Kafka's controller never lets a client create. */
const CLUSTER_METADATA_TOPIC = '__cluster_metadata';

export const handler: Handler<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: 19,
  handle(ctx, req) {
    const cluster = ctx.broker.cluster;
    const { authorizer } = ctx.broker;
    const conn = ctx.connection;
    const secure = authorizer.enabled;
    const mayCreateAll = !secure || authorizer.allowsCluster(conn, AclOperation.CREATE);
    const dup = duplicates(req.topics.map(t => t.name));
    const results: CreateTopicsResponse['topics'] = [];
    // answered after the duplicates, as Kafka's ControllerApis appends them
    const refused: CreateTopicsResponse['topics'] = [];
    for (const t of req.topics) {
      if (dup.has(t.name)) continue;
      if (t.name === CLUSTER_METADATA_TOPIC) {
        refused.push({ ...defaultCreateTopicsResponseCreatableTopicResult(), name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Creation of internal topic ${CLUSTER_METADATA_TOPIC} is prohibited.`, configs: [] });
        continue;
      }
      if (!mayCreateAll && !authorizer.allows(conn, AclOperation.CREATE, ResourceType.TOPIC, t.name)) {
        refused.push({ ...defaultCreateTopicsResponseCreatableTopicResult(), name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.', configs: [] });
        continue;
      }
      try {
        const configs = new Map(t.configs.map(c => [c.name, c.value]));
        const plan = cluster.planTopic({ name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments: t.assignments, configs });
        checkConfigsTogether(cluster, plan.configs);
        const topicId = req.validateOnly ? ZERO_UUID : cluster.createTopic(t.name, plan.replicas, plan.configs).id;
        if (!req.validateOnly) ctx.log.info({ topic: t.name, partitions: plan.replicas.length }, 'created topic');
        if (secure && !authorizer.allows(conn, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, t.name)) {
          // created, but what it was created with is not the requester's to see
          results.push({ ...defaultCreateTopicsResponseCreatableTopicResult(), name: t.name, topicId, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, configs: [] });
          continue;
        }
        results.push({
          name: t.name,
          topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicConfigErrorCode: ErrorCode.NONE,
          numPartitions: plan.replicas.length,
          replicationFactor: plan.replicas[0]?.length ?? 0,
          configs: describeConfigs(cluster, plan.configs),
        });
      } catch (err) {
        const { code, message } = kafkaErrorOf(err);
        results.push({ ...defaultCreateTopicsResponseCreatableTopicResult(), name: t.name, errorCode: code, errorMessage: message, configs: null });
      }
    }
    // Kafka answers a name given twice once, after the others, with INVALID_REQUEST, and creates
    // neither (ControllerApis.createTopics)
    for (const name of dup) {
      results.push({ ...defaultCreateTopicsResponseCreatableTopicResult(), name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.', configs: null });
    }
    if (refused.length > 0) results.push(...refused);
    return { throttleTimeMs: 0, topics: results };
  },
  errorResponse(req, _version, code, message) {
    return {
      ...defaultCreateTopicsResponse(),
      topics: req.topics.map(topic => ({
        ...defaultCreateTopicsResponseCreatableTopicResult(),
        name: topic.name,
        errorCode: code,
        errorMessage: message ?? null,
        // Kafka's generated default for this list is empty, not null.
        configs: [],
      })),
    };
  },
};
