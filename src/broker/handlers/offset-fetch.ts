// OffsetFetch (9). v1-7 ask for one group, v8+ for several. A null topic list (v2+) asks for
// every committed offset of the group. Partitions without a commit, and unknown groups, answer
// offset -1 with no error, as Kafka does. With require_stable (v7+), a partition an open
// transaction has committed an offset for (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT and
// offset -1 until the transaction ends; without it, the last committed offset. The shape of an error depends on the version:
// - v1 has no top-level error code: every requested partition carries the error, with no
//   committed offset (-1) and empty metadata;
// - v2-7: the top-level error code only, no topics;
// - v8+ (batched groups): one entry per requested group with the group's error code, no topics.
// Authorization (KafkaApis.handleOffsetFetchRequest), per group: DESCRIBE on the group, else the
// group's error is GROUP_AUTHORIZATION_FAILED. Offsets are shown only of topics one may DESCRIBE:
// requested topics one may not come after the group's others with TOPIC_AUTHORIZATION_FAILED
// (offset -1) and are not asked of the coordinator; a fetch of all topics leaves them out.
import type { Handler, RequestContext } from '../handler.js';
import type { FetchedOffsets } from '../../coordinator/group/group-coordinator.js';
import { authorized, nameFilter } from '../authorization-groups.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import {
  defaultOffsetFetchResponse,
  defaultOffsetFetchResponseOffsetFetchResponseGroup,
  defaultOffsetFetchResponseOffsetFetchResponsePartition,
  defaultOffsetFetchResponseOffsetFetchResponseTopic,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '../../protocol/messages/index.js';

type Describable = ((topic: string) => boolean) | null;

/** One group's offsets, as KafkaApis fetches them for the requester (fetchOffsetsForGroup / fetchAllOffsetsForGroup). */
function fetchGroup(
  ctx: RequestContext,
  describable: Describable,
  groupId: string,
  topics: { name: string; partitionIndexes: number[] }[] | null,
  member: { memberId: string | null; memberEpoch: number } | null,
  requireStable: boolean,
): FetchedOffsets {
  const groups = ctx.broker.groups;
  if (describable === null) return groups.fetchOffsets(groupId, topics, member, requireStable);
  if (!authorized(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  if (topics === null) {
    const r = groups.fetchOffsets(groupId, null, member, requireStable);
    if (r.errorCode === ErrorCode.NONE) r.topics = r.topics.filter(t => describable(t.name));
    return r;
  }
  const allowed: typeof topics = [];
  const refused: FetchedOffsets['topics'] = [];
  for (const t of topics) {
    if (describable(t.name)) allowed.push(t);
    else {
      const partitions = t.partitionIndexes.map(partitionIndex => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
      refused.push({ name: t.name, partitions });
    }
  }
  const r = groups.fetchOffsets(groupId, allowed, member, requireStable);
  if (r.errorCode === ErrorCode.NONE && refused.length > 0) r.topics = [...r.topics, ...refused];
  return r;
}

export const handler: Handler<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: 9,
  handle(ctx, req) {
    const describable = nameFilter(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC);
    if (ctx.apiVersion < 8) {
      const r = fetchGroup(ctx, describable, req.groupId, req.topics, null, req.requireStable);
      if (r.errorCode !== ErrorCode.NONE) return handler.errorResponse(req, ctx.apiVersion, r.errorCode);
      return {
        ...defaultOffsetFetchResponse(),
        errorCode: ErrorCode.NONE,
        topics: r.topics.map(t => ({
          ...defaultOffsetFetchResponseOffsetFetchResponseTopic(),
          name: t.name,
          partitions: t.partitions.map(p => ({ ...defaultOffsetFetchResponseOffsetFetchResponsePartition(), ...p })),
        })),
      };
    }
    return {
      ...defaultOffsetFetchResponse(),
      groups: req.groups.map(g => {
        const r = fetchGroup(ctx, describable, g.groupId, g.topics, { memberId: g.memberId, memberEpoch: g.memberEpoch }, req.requireStable);
        return { ...defaultOffsetFetchResponseOffsetFetchResponseGroup(), groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
      }),
    };
  },
  errorResponse(req, version, code) {
    if (version < 2) {
      return {
        ...defaultOffsetFetchResponse(),
        topics: (req.topics ?? []).map(topic => ({
          ...defaultOffsetFetchResponseOffsetFetchResponseTopic(),
          name: topic.name,
          partitions: topic.partitionIndexes.map(partitionIndex => ({
            ...defaultOffsetFetchResponseOffsetFetchResponsePartition(),
            partitionIndex,
            committedOffset: -1,
            metadata: '',
            errorCode: code,
          })),
        })),
      };
    }
    if (version < 8) return { ...defaultOffsetFetchResponse(), errorCode: code };
    return {
      ...defaultOffsetFetchResponse(),
      groups: req.groups.map(group => ({
        ...defaultOffsetFetchResponseOffsetFetchResponseGroup(),
        groupId: group.groupId,
        errorCode: code,
      })),
    };
  },
};
