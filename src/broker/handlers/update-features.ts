// UpdateFeatures (57): changes finalized feature levels, as Kafka 4.1's controller does
// (QuorumController.updateFeatures, FeatureControlManager): every update is checked in the order
// of Kafka's HashMap of them, the first failure fails the whole request and changes nothing, and
// validateOnly checks without changing. v0 carries allowDowngrade instead of an upgrade type; the
// controller reads the type field, whose default (UPGRADE) stands in v0, so a v0 downgrade is
// refused there too. The answer: a top-level error, with Kafka's prefix, and no per-feature
// results; on success, for v0-1, a result per requested feature with error NONE (message "NONE",
// as Kafka's Errors.NONE.message()). Kafka lists no per-feature results when the request failed.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import { clusterDenied } from '../authorization.js';
import { AclOperation } from '../../security/acls.js';
import type { FeatureUpdate } from '../../cluster/features.js';
import { defaultUpdateFeaturesResponse, type UpdateFeaturesRequest, type UpdateFeaturesResponse } from '../../protocol/messages/index.js';

const FAILED_PREFIX = 'The update failed for all features since the following feature had an error: ';

/** Java's String.hashCode. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The iteration order of a java.util.HashMap the distinct `keys` were put into in this order:
 * by bucket (the spread hash masked to the table size the map has grown to), then by insertion
 * within a bucket. Kafka's controller checks the updates in this order, so it decides which
 * failure a request with several bad updates is answered with.
 */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  let capacity = 16;
  while (keys.length > capacity * 0.75) capacity *= 2;
  const bucket = (k: string) => {
    const h = javaStringHash(k);
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return keys.map((k, i) => ({ k, i, b: bucket(k) })).sort((x, y) => x.b - y.b || x.i - y.i).map(e => e.k);
}

export const handler: Handler<UpdateFeaturesRequest, UpdateFeaturesResponse> = {
  apiKey: 57,
  handle(ctx, req) {
    // ControllerApis.handleUpdateFeatures: ALTER on the cluster first
    const denied = clusterDenied(ctx, AclOperation.ALTER);
    if (denied !== null) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, denied);
    // the controller's two maps: by feature name, the last level and upgrade type given win, at
    // the place the name was first put
    const levels = new Map<string, number>();
    const types = new Map<string, number>();
    for (const u of req.featureUpdates) {
      levels.set(u.feature, u.maxVersionLevel);
      types.set(u.feature, u.upgradeType);
    }
    const updates: FeatureUpdate[] = javaHashMapOrder([...levels.keys()]).map(feature => ({
      feature,
      level: levels.get(feature)!,
      upgradeType: types.get(feature)!,
    }));
    const features = ctx.broker.cluster.features;
    const validateOnly = ctx.apiVersion >= 1 && req.validateOnly;
    const outcome = features.update(updates, validateOnly, ctx.broker.cluster.controllerId);
    if ('error' in outcome) {
      ctx.log.warn({ updates, error: outcome.error.code, message: outcome.error.message }, 'UpdateFeatures refused');
      return handler.errorResponse(req, ctx.apiVersion, outcome.error.code, FAILED_PREFIX + outcome.error.message);
    }
    if (validateOnly) ctx.log.debug({ updates }, 'UpdateFeatures validated');
    else if (outcome.records > 0) {
      ctx.log.info({ changed: outcome.changed, epoch: features.epoch, finalized: features.finalizedFeatures() }, 'finalized feature levels changed');
    }
    return {
      ...defaultUpdateFeaturesResponse(),
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      results:
        ctx.apiVersion <= 1 ? req.featureUpdates.map(u => ({ feature: u.feature, errorCode: ErrorCode.NONE, errorMessage: 'NONE' })) : [],
    };
  },
  errorResponse(_req, _version, code, message) {
    return { ...defaultUpdateFeaturesResponse(), errorCode: code, errorMessage: message ?? null, results: [] };
  },
};
