// Authorization as the group and transaction handlers ask for it: Kafka's AuthHelper.authorize
// and filterByAuthorized over the request's connection. Each handler reads
// `ctx.broker.authorizer.enabled` once and skips all of this when no authorizer is configured.
import type { RequestContext } from './handler.js';
import { ResourceType } from '../security/acls.js';

/** AuthHelper.authorize: may the request's principal perform `operation` on the named (literal) resource? */
export function authorized(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): boolean {
  const authorizer = ctx.broker.authorizer;
  return !authorizer.enabled || authorizer.allows(ctx.connection, operation, resourceType, resourceName);
}

/** authorized() without the audit log's denial entry (Kafka's logIfDenied = false). */
export function authorizedQuietly(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): boolean {
  const authorizer = ctx.broker.authorizer;
  if (!authorizer.enabled) return true;
  return authorizer.authorizedOperations(ctx.connection.principal, ctx.connection.remoteAddress, resourceType, resourceName, [operation]) !== 0;
}

/**
 * AuthHelper.filterByAuthorized as a predicate: each distinct name is decided once per request,
 * however often the request names it. Null when there is no authorizer (every name passes), so
 * callers pay nothing then.
 */
export function nameFilter(ctx: RequestContext, operation: number, resourceType: number): ((name: string) => boolean) | null {
  const authorizer = ctx.broker.authorizer;
  if (!authorizer.enabled) return null;
  const decided = new Map<string, boolean>();
  const conn = ctx.connection;
  return name => {
    let ok = decided.get(name);
    if (ok === undefined) {
      ok = authorizer.allows(conn, operation, resourceType, name);
      decided.set(name, ok);
    }
    return ok;
  };
}

/** The authorized-operations bit field of a group (AuthHelper.authorizedOperations); every supported operation without an authorizer. */
export function groupAuthorizedOperations(ctx: RequestContext, groupId: string): number {
  return ctx.broker.authorizer.authorizedOperations(ctx.connection.principal, ctx.connection.remoteAddress, ResourceType.GROUP, groupId);
}
