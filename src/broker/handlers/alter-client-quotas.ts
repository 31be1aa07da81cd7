// AlterClientQuotas (49): sets or removes quota values of user / client-id / ip entities, as Kafka
// 4.1's controller does (ClientQuotaControlManager): each entry is validated and answered on its
// own, with Kafka's code and message, the valid ones are applied together (unless validateOnly),
// and a request that would take more than 10,000 changes is refused whole (POLICY_VIOLATION).
// Kafka's error response answers each requested entry, its entity copied, with the error; the
// message is Kafka's default text for the code (Errors.message()), not the exception's. Kafka's
// controller requires ALTER_CONFIGS on the cluster first (that error response, with
// CLUSTER_AUTHORIZATION_FAILED).
import type { Handler, HandlerResult, RequestContext } from '../handler.js';
import { AclOperation } from '../../security/acls.js';
import { entityToString, ipNamesToResolve } from '../../cluster/client-quotas.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import {
  defaultAlterClientQuotasResponse,
  defaultAlterClientQuotasResponseEntityData,
  defaultAlterClientQuotasResponseEntryData,
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponse,
} from '../../protocol/messages/index.js';

/** The host names (not address literals) of IP entities that resolve, as Kafka's InetAddress.getByName. */
async function resolvable(names: string[]): Promise<Set<string>> {
  const ok = new Set<string>();
  if (names.length === 0) return ok;
  // loaded on first use: a broker that never resolves a name does not carry the resolver
  const { lookup } = await import('node:dns/promises');
  await Promise.all(
    names.map(name =>
      lookup(name).then(
        () => void ok.add(name),
        () => undefined,
      ),
    ),
  );
  return ok;
}

function alter(ctx: RequestContext, req: AlterClientQuotasRequest, resolved: Set<string>): AlterClientQuotasResponse {
  const store = ctx.broker.cluster.clientQuotas;
  const plan = store.plan(req.entries, name => resolved.has(name));
  // Kafka's controller refuses a batch above MAX_RECORDS_PER_USER_OP, even when only validating
  if ('tooManyRecords' in plan) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.POLICY_VIOLATION);
  if (!req.validateOnly && plan.records.length > 0) {
    try {
      store.apply(plan.records);
    } catch (err) {
      ctx.log.error({ err }, 'saving the client quotas failed; nothing was changed');
      return handler.errorResponse(req, ctx.apiVersion, ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    for (const r of plan.records) {
      ctx.log.info({ entity: entityToString(r.entity), key: r.key, value: r.value }, r.value === null ? 'client quota removed' : 'client quota set');
    }
  }
  return {
    throttleTimeMs: 0,
    entries: plan.results.map(r => ({
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      entity: r.entity.map(e => ({ entityType: e.entityType, entityName: e.entityName })),
    })),
  };
}

export const handler: Handler<AlterClientQuotasRequest, AlterClientQuotasResponse> = {
  apiKey: 49,
  handle(ctx, req): HandlerResult<AlterClientQuotasResponse> | Promise<HandlerResult<AlterClientQuotasResponse>> {
    if (!ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.ALTER_CONFIGS)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const hosts = ipNamesToResolve(req.entries);
    // only a host name needs a lookup; the validation and the change that follow it are one step
    if (hosts.length === 0) return alter(ctx, req, new Set());
    return resolvable(hosts).then(resolved => alter(ctx, req, resolved));
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultAlterClientQuotasResponse(),
      entries: req.entries.map(entry => ({
        ...defaultAlterClientQuotasResponseEntryData(),
        errorCode: code,
        errorMessage: errorMessage(code),
        entity: entry.entity.map(entity => ({
          ...defaultAlterClientQuotasResponseEntityData(),
          entityType: entity.entityType,
          entityName: entity.entityName,
        })),
      })),
    };
  },
};
