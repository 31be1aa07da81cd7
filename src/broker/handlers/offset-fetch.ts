// OffsetFetch (9). The shape depends on the version, as in Kafka:
// - v1 has no top-level error code: every requested partition carries the error, with no
//   committed offset (-1) and empty metadata;
// - v2-7: the top-level error code only, no topics;
// - v8+ (batched groups): one entry per requested group with the group's error code, no topics.
import type { Handler } from '../handler.js';
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
