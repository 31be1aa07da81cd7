// Small authorization helpers for the topic-facing and admin handlers, as Kafka's AuthHelper
// offers them to KafkaApis and ControllerApis: a topic decision, the authorized-operations bit
// fields, and the cluster check with Kafka's ClusterAuthorizationException message. Without an
// authorizer every decision is "allowed"; handlers on hot paths test `authorizer.enabled` once per
// request and skip these altogether.
import type { RequestContext } from './handler.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acls.js';
import { clusterNotAuthorizedMessage, supportedOperations } from '../security/authorizer.js';

/** The *_authorized_operations value when the client did not ask for them (Kafka's schema default, Int.MinValue). */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

function allBits(resourceType: number): number {
  let bits = 0;
  for (const op of supportedOperations(resourceType)) bits |= 1 << op;
  return bits;
}
const ALL_TOPIC_OPERATIONS = allBits(ResourceType.TOPIC);

/** May the requester perform `operation` on the topic? (AuthHelper.authorize on a TOPIC resource.) */
export function allowsTopic(ctx: RequestContext, operation: number, name: string): boolean {
  return ctx.broker.authorizer.allows(ctx.connection, operation, ResourceType.TOPIC, name);
}

/**
 * AuthHelper.filterByAuthorized for topics: the distinct names the requester may perform
 * `operation` on, each decided once. Null without an authorizer: every name is allowed.
 */
export function authorizedTopicNames(ctx: RequestContext, operation: number, names: Iterable<string>): Set<string> | null {
  const authorizer = ctx.broker.authorizer;
  if (!authorizer.enabled) return null;
  const seen = new Set<string>();
  const allowed = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (authorizer.allows(ctx.connection, operation, ResourceType.TOPIC, name)) allowed.add(name);
  }
  return allowed;
}

/** The topic's authorized-operations bit field (AuthHelper.authorizedOperations): every topic operation without an authorizer. */
export function topicAuthorizedOperations(ctx: RequestContext, name: string): number {
  const authorizer = ctx.broker.authorizer;
  if (!authorizer.enabled) return ALL_TOPIC_OPERATIONS;
  return authorizer.authorizedOperations(ctx.connection.principal, ctx.connection.remoteAddress, ResourceType.TOPIC, name);
}

/**
 * cluster_authorized_operations as Metadata (v8-10) and DescribeCluster fill it when asked: the
 * cluster's authorized operations when the requester may DESCRIBE the cluster, else 0.
 */
export function clusterAuthorizedOperations(ctx: RequestContext): number {
  const authorizer = ctx.broker.authorizer;
  if (!authorizer.allowsCluster(ctx.connection, AclOperation.DESCRIBE)) return 0;
  return authorizer.authorizedOperations(ctx.connection.principal, ctx.connection.remoteAddress, ResourceType.CLUSTER, CLUSTER_NAME);
}

/**
 * AuthHelper.authorizeClusterOperation: null when the requester may perform `operation` on the
 * cluster, else the message of the ClusterAuthorizationException Kafka answers with
 * ("Request ... is not authorized.").
 */
export function clusterDenied(ctx: RequestContext, operation: number): string | null {
  return ctx.broker.authorizer.allowsCluster(ctx.connection, operation) ? null : clusterNotAuthorizedMessage(ctx.connection);
}
