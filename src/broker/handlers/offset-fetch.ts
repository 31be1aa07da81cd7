// OffsetFetch (9). v1-7 ask for one group, v8+ for several. A null topic list (v2+) asks for
// every committed offset of the group. Partitions without a commit, and unknown groups, answer
// offset -1 with no error, as Kafka does. With require_stable (v7+), a partition an open
// transaction has committed an offset for (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT and
// offset -1 until the transaction ends; without it, the last committed offset. The shape of an error depends on the version:
// - v1 has no top-level error code: every requested partition carries the error, with no
//   committed offset (-1) and empty metadata;
// - v2-7: the top-level error code only, no topics;
// - v8+ (batched groups): one entry per requested group with the group's error code, no topics.
import type { Handler } from '../handler.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  defaultOffsetFetchResponse,
  defaultOffsetFetchResponseOffsetFetchResponseGroup,
  defaultOffsetFetchResponseOffsetFetchResponsePartition,
  defaultOffsetFetchResponseOffsetFetchResponseTopic,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: 9,
  handle(ctx, req) {
    const groups = ctx.broker.groups;
    if (ctx.apiVersion < 8) {
      const r = groups.fetchOffsets(req.groupId, req.topics, null, req.requireStable);
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
        const r = groups.fetchOffsets(g.groupId, g.topics, { memberId: g.memberId, memberEpoch: g.memberEpoch }, req.requireStable);
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
