// OffsetDelete (47): removes a group's committed offsets for topics it no longer consumes.
// Unknown topics and partitions are answered UNKNOWN_TOPIC_OR_PARTITION here, as Kafka's
// KafkaApis does; a whole-request error is top-level only, without topics. Authorization
// (KafkaApis.handleOffsetDeleteRequest), before anything else: DELETE on the group, else the
// request is GROUP_AUTHORIZATION_FAILED; then READ on each topic, whose partitions are otherwise
// TOPIC_AUTHORIZATION_FAILED (whether the topic exists or not).
import type { Handler } from '../handler.js';
import { authorized, nameFilter } from '../authorization-groups.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { defaultOffsetDeleteResponse, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/messages/index.js';

export const handler: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: 47,
  async handle(ctx, req) {
    if (!authorized(ctx, AclOperation.DELETE, ResourceType.GROUP, req.groupId)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.groupId === '') return handler.errorResponse(req, ctx.apiVersion, ErrorCode.INVALID_GROUP_ID);
    const readable = nameFilter(ctx, AclOperation.READ, ResourceType.TOPIC);
    const refused = new Set<string>();
    const cluster = ctx.broker.cluster;
    const unknown = new Map<string, Set<number>>();
    const valid: { name: string; partitions: number[] }[] = [];
    for (const t of req.topics) {
      if (readable !== null && !readable(t.name)) {
        refused.add(t.name);
        continue;
      }
      const topic = cluster.topic(t.name);
      const ok: number[] = [];
      for (const p of t.partitions) {
        if (topic !== undefined && !topic.deleted && p.partitionIndex >= 0 && p.partitionIndex < topic.partitions.length) ok.push(p.partitionIndex);
        else {
          if (!unknown.has(t.name)) unknown.set(t.name, new Set());
          unknown.get(t.name)!.add(p.partitionIndex);
        }
      }
      if (ok.length > 0) valid.push({ name: t.name, partitions: ok });
    }
    const r = await ctx.broker.groups.deleteOffsets(req.groupId, valid);
    if (r.errorCode !== ErrorCode.NONE) return handler.errorResponse(req, ctx.apiVersion, r.errorCode);
    const codes = new Map<string, number>();
    for (const t of r.topics) for (const p of t.partitions) codes.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
    return {
      ...defaultOffsetDeleteResponse(),
      topics: req.topics.map(t => ({
        name: t.name,
        partitions: t.partitions.map(p => ({
          partitionIndex: p.partitionIndex,
          errorCode: refused.has(t.name)
            ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : unknown.get(t.name)?.has(p.partitionIndex)
              ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              : (codes.get(`${t.name}\u0000${p.partitionIndex}`) ?? ErrorCode.NONE),
        })),
      })),
    };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultOffsetDeleteResponse(), errorCode: code };
  },
};
